/** `tributary validate <file>`: the config, then every file each source points at. */
import type { Config } from '../config/load.js';
import type { RegistryFactory } from '../registry.js';

/** Every problem found in the files the config's sources point at (the config itself already parsed). */
export async function checkSources(config: Config, factories: readonly RegistryFactory[]): Promise<string[]> {
  const byKind = new Map(factories.map((f) => [f.kind, f]));
  const problems: string[] = [];
  for (const source of config.sources) {
    const factory = byKind.get(source.kind);
    const found = (await factory?.check?.(source.settings, { baseDir: config.baseDir })) ?? [];
    problems.push(...found.map((p) => `${source.id}: ${p}`));
  }
  return problems;
}
