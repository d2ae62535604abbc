/** The rest registry: VMs that register themselves over the REST API (native or Consul-agent). */
import type { RegistryFactory } from '../../src/registry.js';
import { restSourceSchema, type RestSourceConfig } from './config.js';
import { createRestRegistry } from './watch.js';

export { restSourceSchema, type RestSourceConfig } from './config.js';
export { buildServiceRecord, endpointsOf } from './translate.js';
export { createRestRegistry, watchRegistrations } from './watch.js';

/** The `rest` kind's entry for registries/index.ts. One per daemon: the registration API is global. */
export const restRegistryFactory: RegistryFactory<RestSourceConfig> = {
  kind: 'rest',
  description:
    'VMs registering themselves over the REST API (native /v1/registrations and the Consul agent API), with TTL heartbeats',
  schema: restSourceSchema,
  create: createRestRegistry,
  singleton: true,
};
