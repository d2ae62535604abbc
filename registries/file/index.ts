/** The file registry: services and VMs listed in YAML or JSON files, re-read when they change. */
import type { RegistryFactory } from '../../src/registry.js';
import { fileSourceSchema, type FileSourceConfig } from './config.js';
import { checkFileSource, createFileRegistry } from './watch.js';

export { fileSourceSchema, type FileSourceConfig } from './config.js';
export { translateVmFile } from './translate.js';
export { checkFileSource, createFileRegistry, watchFileSource } from './watch.js';

/** The `file` kind's entry for registries/index.ts. */
export const fileRegistryFactory: RegistryFactory<FileSourceConfig> = {
  kind: 'file',
  description: 'Services and VMs listed in YAML or JSON files, re-read when the files change',
  schema: fileSourceSchema,
  create: createFileRegistry,
  check: checkFileSource,
};
