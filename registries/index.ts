/** The one table of adapters (STYLE.md habit 4): kind → factory. Nothing downstream branches on kind. */
import type { RegistryFactory } from '../src/registry.js';
import { consulRegistryFactory } from './consul/index.js';
import { fileRegistryFactory } from './file/index.js';
import { kubernetesRegistryFactory } from './kubernetes/index.js';
import { peerRegistryFactory } from './peer/index.js';
import { restRegistryFactory } from './rest/index.js';

export const registryFactories: readonly RegistryFactory[] = [
  fileRegistryFactory,
  restRegistryFactory,
  consulRegistryFactory,
  kubernetesRegistryFactory,
  peerRegistryFactory,
];
