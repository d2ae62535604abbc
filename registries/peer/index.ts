/** The peer registry: the services a peer Tributary (another cloud) exports to this one, marked with their origin. */
import type { RegistryFactory } from '../../src/registry.js';
import { peerSourceSchema, type PeerSourceConfig } from './config.js';
import { checkPeerSource, createPeerRegistry } from './watch.js';

export { peerSourceSchema, type PeerGateway, type PeerSourceConfig } from './config.js';
export { gatewayEndpoints, importEndpoint, importRecord, type PeerImport } from './translate.js';
export { checkPeerSource, createPeerRegistry, peerNameOf, watchPeerSource } from './watch.js';

/** The `peer` kind's entry for registries/index.ts. */
export const peerRegistryFactory: RegistryFactory<PeerSourceConfig> = {
  kind: 'peer',
  description:
    'Services a peer Tributary exports to this cloud (its catalog watch feed), imported with the peer as their origin',
  schema: peerSourceSchema,
  create: createPeerRegistry,
  check: checkPeerSource,
  // What a peer exports is its own; importing it here must never make this cloud export it on.
  imports: true,
};
