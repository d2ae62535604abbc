/**
 * The xDS subset in proto/ (same packages, messages and field numbers as Envoy's API; see
 * proto/README.md), loaded once with protobufjs on first use. Field names are kept as in the .proto
 * files (`keepCase`), so plain objects read like Envoy's documentation: `eds_cluster_config`, not
 * `edsClusterConfig`. XDS.md §2.7 lists the protobufjs gotchas this module avoids.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Root, Type } from 'protobufjs';

/** The files that pull in every message and service the daemon speaks (imports follow). */
export const PROTO_ENTRY_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
];

/** Fully qualified names of the messages the codec reads and writes itself. */
export const MESSAGES = {
  any: 'google.protobuf.Any',
  discoveryRequest: 'envoy.service.discovery.v3.DiscoveryRequest',
  discoveryResponse: 'envoy.service.discovery.v3.DiscoveryResponse',
  deltaRequest: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  deltaResponse: 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  resource: 'envoy.service.discovery.v3.Resource',
} as const;

/**
 * The nearest ancestor directory of `fromUrl` holding a package.json: the package root both from
 * src/ (jest) and from dist/src/ (after tsc).
 */
export function findPackageRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

/** The proto/ directory of this package. */
export function protoDir(): string {
  return join(findPackageRoot(import.meta.url), 'proto');
}

let loaded: Root | undefined;
const types = new Map<string, Type | undefined>();

/** The protobufjs Root over proto/, loaded and resolved on first call. */
export function protoRoot(): Root {
  if (loaded === undefined) {
    const dir = protoDir();
    const root = new protobuf.Root();
    // google/protobuf/{any,duration,struct,wrappers}.proto come from protobufjs' bundled copies.
    root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(dir, target));
    root.loadSync([...PROTO_ENTRY_FILES], { keepCase: true });
    root.resolveAll();
    loaded = root;
  }
  return loaded;
}

/** The message type with this fully qualified name, or undefined when proto/ does not define it. */
export function findMessageType(fullName: string): Type | undefined {
  if (!types.has(fullName)) {
    const found = protoRoot().lookup(fullName);
    types.set(fullName, found instanceof protobuf.Type ? found : undefined);
  }
  return types.get(fullName);
}

/** The message type with this fully qualified name; throws when proto/ does not define it. */
export function messageType(fullName: string): Type {
  const type = findMessageType(fullName);
  if (type === undefined) throw new Error(`proto/ defines no message ${fullName}`);
  return type;
}

/** `type.googleapis.com/a.b.C` → `a.b.C`. */
export function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}
