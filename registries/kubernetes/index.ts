/** The kubernetes registry: the Services and EndpointSlices of one Kubernetes cluster as catalog services and endpoints. */
import type { RegistryFactory } from '../../src/registry.js';
import { kubernetesSourceSchema, type KubernetesSourceConfig } from './config.js';
import { checkKubernetesSource, createKubernetesRegistry } from './watch.js';

export { kubernetesSourceSchema, type KubernetesSourceConfig } from './config.js';
export { buildServiceRecord, healthOf, protocolOf } from './translate.js';
export { checkKubernetesSource, createKubernetesRegistry, watchKubernetesSource } from './watch.js';

/** The `kubernetes` kind's entry for registries/index.ts. */
export const kubernetesRegistryFactory: RegistryFactory<KubernetesSourceConfig> = {
  kind: 'kubernetes',
  description:
    'Services and EndpointSlices of one Kubernetes cluster (list and watch), with its cluster id on every endpoint',
  schema: kubernetesSourceSchema,
  create: createKubernetesRegistry,
  check: checkKubernetesSource,
};
