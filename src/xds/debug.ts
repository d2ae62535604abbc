/**
 * What /debug/syncz and /debug/config_dump show (after Istio's syncz and Envoy's config_dump): every
 * connected proxy with its per-type versions, and the resources one node holds, as JSON.
 */
import type { StreamRegistry, StreamSnapshot } from './stream-registry.js';
import type { ResourceSource, TypeUrl } from './types.js';

/** The debug reads the REST server exposes; plain JSON-able results. */
export interface XdsDebug {
  /** Every live stream: node, user agent, per type the last sent version and nonce, ACKed version, last NACK. */
  syncz(): { streams: StreamSnapshot[] };
  /** The resources the given node was sent (as JSON), per stream and type; undefined when the node is not connected. */
  configDump(nodeId: string): unknown;
}

/** Reads the stream registry and the resource source. */
export function createXdsDebug(registry: StreamRegistry, source: ResourceSource): XdsDebug {
  return {
    syncz: () => ({ streams: registry.snapshot() }),
    configDump(nodeId) {
      const streams = registry.find(nodeId);
      if (streams.length === 0) return undefined;
      return {
        node: nodeId,
        streams: streams.map((stream) => ({
          streamId: stream.streamId,
          userAgent: stream.userAgent,
          types: stream.types.map((t) => ({
            typeUrl: t.typeUrl,
            version: t.lastSentVersion,
            ackedVersion: t.ackedVersion,
            lastNack: t.lastNack,
            resources: Object.entries(t.versions ?? {}).map(([name, version]) => {
              const current = source.get(t.typeUrl as TypeUrl, name);
              // The content is shown only while the cache still holds the version that was sent.
              return current?.version === version
                ? { name, version, resource: current.json }
                : {
                    name,
                    version,
                    resource: null,
                    note: 'changed since it was sent; a newer version is due',
                  };
            }),
          })),
        })),
      };
    },
  };
}
