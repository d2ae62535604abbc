/**
 * file (or the embedded default) + environment → a validated Config. Every error names the file,
 * the line, the field path and the reason: `tributary.yaml:7:11: sources[0].paths: …`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { TributaryError } from '../errors.js';
import type { RegistryFactory } from '../registry.js';
import { formatPath, interpolateEnv } from './interpolate.js';
import { configSchema, type RawConfig } from './schema.js';

/** One configured source, its kind's settings parsed by the kind's own schema. */
export interface SourceConfig {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly priority: number;
  readonly settings: Record<string, unknown>;
}

/** The validated configuration. Relative paths in sources resolve against `baseDir`. */
export type Config = Omit<RawConfig, 'sources'> & {
  readonly sources: readonly SourceConfig[];
  /** The config file, or null for the embedded default. */
  readonly file: string | null;
  readonly baseDir: string;
};

/** The package root (where examples/ lives): the nearest folder above this module with a package.json. */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The embedded default: loopback listeners, ./data, the file registry on the example VM files. */
export const EMBEDDED_DEFAULT = `
sources:
  - kind: file
    name: examples
    paths: [examples/vms]
`;

type Located = { path: (string | number)[]; message: string };

function locate(doc: Document, lines: LineCounter, file: string, path: (string | number)[]): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return `${file}:${line}:${col}`;
    }
  }
  return file;
}

function fail(code: 'TRB_CONFIG_INVALID' | 'TRB_CONFIG_UNREADABLE', lines: string[], field?: string): never {
  throw new TributaryError(code, lines.join('\n'), field === undefined ? {} : { field });
}

function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): Located[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      // Point at the first unknown key itself, not at the object that holds it.
      const first = issue.keys[0];
      const at = first === undefined ? path : [...path, first];
      return { path: at, message: `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    }
    return { path, message: issue.message };
  });
}

function checkSources(
  raw: RawConfig,
  factories: ReadonlyMap<string, RegistryFactory>,
): { sources: SourceConfig[]; errors: Located[] } {
  const errors: Located[] = [];
  const sources: SourceConfig[] = [];
  const ids = new Set<string>();
  raw.sources.forEach((entry, i) => {
    const { kind, name, priority, ...rest } = entry;
    const factory = factories.get(kind);
    if (!factory) {
      errors.push({
        path: ['sources', i, 'kind'],
        message: `"${kind}" is not a source kind (known: ${[...factories.keys()].join(', ')})`,
      });
      return;
    }
    const id = `${kind}/${name}`;
    if (factory.singleton && sources.some((s) => s.kind === kind)) {
      errors.push({
        path: ['sources', i, 'kind'],
        message: `only one source of kind "${kind}" may be configured`,
      });
    }
    if (ids.has(id))
      errors.push({ path: ['sources', i, 'name'], message: `source id "${id}" is used twice` });
    ids.add(id);
    const parsed = factory.schema.safeParse(rest);
    if (!parsed.success) errors.push(...issuesOf(parsed.error, ['sources', i]));
    else sources.push({ id, kind, name, priority, settings: parsed.data });
  });
  return { sources, errors };
}

/** Parses and validates config text. `file` names it in errors; `baseDir` anchors relative paths. */
export function parseConfig(
  text: string,
  options: {
    file: string | null;
    baseDir: string;
    factories: readonly RegistryFactory[];
    env?: Readonly<Record<string, string | undefined>>;
  },
): Config {
  const name = options.file ?? '<embedded default>';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    fail(
      'TRB_CONFIG_UNREADABLE',
      doc.errors.map((e) => {
        // linePos is only filled in with prettyErrors; the line counter gives the position either way.
        const { line, col } = lines.linePos(e.pos[0]);
        return `${name}:${line}:${col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const interpolated = interpolateEnv(doc.toJS() ?? {}, options.env ?? process.env);
  const parsed = configSchema.safeParse(interpolated.value);
  const factories = new Map(options.factories.map((f) => [f.kind, f]));
  const errors: Located[] = [...interpolated.errors];
  let sources: SourceConfig[] = [];
  if (!parsed.success) errors.push(...issuesOf(parsed.error));
  else {
    const checked = checkSources(parsed.data, factories);
    errors.push(...checked.errors);
    sources = checked.sources;
  }
  if (errors.length > 0 || !parsed.success) {
    fail(
      'TRB_CONFIG_INVALID',
      errors.map(
        (e) => `${locate(doc, lines, name, e.path)}: ${formatPath(e.path) || '(root)'}: ${e.message}`,
      ),
      formatPath(errors[0]?.path ?? []),
    );
  }
  const dataDir = resolve(options.file ? options.baseDir : process.cwd(), parsed.data.dataDir);
  return { ...parsed.data, dataDir, sources, file: options.file, baseDir: options.baseDir };
}

/** Loads `file`, or the embedded default when it is undefined. */
export async function loadConfig(
  file: string | undefined,
  factories: readonly RegistryFactory[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Config> {
  if (file === undefined)
    return parseConfig(EMBEDDED_DEFAULT, { file: null, baseDir: PACKAGE_ROOT, factories, env });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TributaryError('TRB_CONFIG_UNREADABLE', `${file}: cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseConfig(text, { file, baseDir: dirname(resolve(file)), factories, env });
}
