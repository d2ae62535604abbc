/** The consul registry: every Consul service (one or more datacenters) as catalog services and endpoints. */
import type { RegistryFactory } from '../../src/registry.js';
import { consulSourceSchema, type ConsulSourceConfig } from './config.js';
import { checkConsulSource, createConsulRegistry } from './watch.js';

export { consulSourceSchema, type ConsulSourceConfig } from './config.js';
export { buildServiceRecord, healthOf, selectService, translateEntries } from './translate.js';
export { checkConsulSource, createConsulRegistry, watchConsulSource } from './watch.js';

/** The `consul` kind's entry for registries/index.ts. */
export const consulRegistryFactory: RegistryFactory<ConsulSourceConfig> = {
  kind: 'consul',
  description:
    'Services registered in Consul (catalog and health, blocking queries), from one or more datacenters',
  schema: consulSourceSchema,
  create: createConsulRegistry,
  check: checkConsulSource,
};
