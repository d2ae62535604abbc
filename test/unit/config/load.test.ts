import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { NEVER } from 'rxjs';
import { z } from 'zod';
import {
  EMBEDDED_DEFAULT,
  PACKAGE_ROOT,
  loadConfig,
  parseConfig,
  type Config,
} from '../../../src/config/load.js';
import { TributaryError } from '../../../src/errors.js';
import type { RegistryFactory } from '../../../src/registry.js';

/** Factories of our own, so these tests do not depend on registries/. */
const FACTORIES: readonly RegistryFactory[] = [
  {
    kind: 'file',
    description: 'x',
    schema: z.strictObject({ paths: z.array(z.string()).min(1) }),
    create: (id) => ({ id, kind: 'file', events: () => NEVER }),
  },
  {
    kind: 'consul',
    description: 'y',
    schema: z.strictObject({
      address: z.string().default('http://127.0.0.1:8500'),
      token: z.string().optional(),
    }),
    create: (id) => ({ id, kind: 'consul', events: () => NEVER }),
  },
];

const FILE = 'tributary.yaml';

function parse(text: string, env: Record<string, string> = {}): Config {
  return parseConfig(text, { file: FILE, baseDir: '/etc/tributary', factories: FACTORIES, env });
}

/** The TributaryError parsing `text` throws. */
function parseError(text: string, env: Record<string, string> = {}): TributaryError {
  try {
    parse(text, env);
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('parseConfig', () => {
  it('fills every default', () => {
    const config = parse('');
    expect(config).toEqual({
      domain: 'svc.cluster.local',
      dataDir: '/etc/tributary/data',
      http: { host: '127.0.0.1', port: 8080 },
      grpc: { host: '127.0.0.1', port: 15010 },
      log: { level: 'info' },
      pipeline: { window: 20, retryBase: 500, retryMax: 30_000 },
      catalog: { changeLogSize: 10_000 },
      xds: { debounce: 30, maxDelay: 500, keepalive: 30_000 },
      api: { maxWait: 600_000, defaultWait: 300_000 },
      federation: { importedPriority: 1, heartbeat: 10_000, exports: [] },
      auth: { readAuth: 'open', tokens: [], rateLimit: { perSecond: 50, burst: 100 } },
      sources: [],
      file: FILE,
      baseDir: '/etc/tributary',
    });
  });

  it('keeps the defaults of a partly given section', () => {
    const config = parse(yaml('http:', '  port: 9090', 'pipeline:', '  retryMax: 1m'));
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.grpc.port).toBe(15010);
    expect(config.pipeline).toEqual({ window: 20, retryBase: 500, retryMax: 60_000 });
  });

  it('reads durations as milliseconds', () => {
    const config = parse(
      yaml('api:', '  maxWait: 2m', '  defaultWait: 1500ms', 'pipeline:', '  window: 5', '  retryBase: 0.5s'),
    );
    expect(config.api).toEqual({ maxWait: 120_000, defaultWait: 1_500 });
    expect(config.pipeline.window).toBe(5_000);
    expect(config.pipeline.retryBase).toBe(500);
  });

  it('builds each source with its id <kind>/<name>, priority and its kind’s own settings', () => {
    const config = parse(
      yaml(
        'sources:',
        '  - kind: file',
        '    name: vms',
        '    paths: [vms/a.yaml, vms/b.yaml]',
        '  - kind: consul',
        '    name: dc1',
        '    priority: 10',
      ),
    );
    expect(config.sources).toEqual([
      {
        id: 'file/vms',
        kind: 'file',
        name: 'vms',
        priority: 0,
        settings: { paths: ['vms/a.yaml', 'vms/b.yaml'] },
      },
      {
        id: 'consul/dc1',
        kind: 'consul',
        name: 'dc1',
        priority: 10,
        settings: { address: 'http://127.0.0.1:8500' },
      },
    ]);
  });

  it('resolves dataDir against the configuration file’s directory', () => {
    expect(parse(yaml('dataDir: state')).dataDir).toBe('/etc/tributary/state');
    expect(parse(yaml('dataDir: /var/lib/tributary')).dataDir).toBe('/var/lib/tributary');
  });

  describe('errors', () => {
    it('names file, line, column, field path and reason of a bad source field', () => {
      const error = parseError(
        yaml(
          'sources:',
          '  - kind: file',
          '    name: a',
          '    paths: [x]',
          '  - kind: file',
          '    name: b',
          '    paths: []',
        ),
      );
      expect(error).toBeInstanceOf(TributaryError);
      expect(error.code).toBe('TRB_CONFIG_INVALID');
      expect(error.field).toBe('sources[1].paths');
      expect(error.message).toMatch(/^tributary\.yaml:7:12: sources\[1\]\.paths: \S/);
      expect(error.message.split('\n')).toHaveLength(1);
    });

    it('points a missing field at the entry that lacks it', () => {
      const error = parseError(yaml('sources:', '  - kind: file', '    name: a'));
      expect(error.field).toBe('sources[0].paths');
      expect(error.message).toMatch(/^tributary\.yaml:2:5: sources\[0\]\.paths: /);
    });

    it('refuses an unknown top-level key', () => {
      const error = parseError(yaml('domain: example.org', 'colour: blue'));
      expect(error.code).toBe('TRB_CONFIG_INVALID');
      expect(error.field).toBe('colour');
      expect(error.message).toBe('tributary.yaml:2:9: colour: unknown field(s) "colour"');
    });

    it('refuses an unknown field of a source kind', () => {
      const error = parseError(
        yaml('sources:', '  - kind: file', '    name: a', '    paths: [x]', '    pathz: [y]'),
      );
      expect(error.field).toBe('sources[0].pathz');
      expect(error.message).toMatch(
        /^tributary\.yaml:5:12: sources\[0\]\.pathz: unknown field\(s\) "pathz"$/,
      );
    });

    it('names the known kinds for an unknown kind', () => {
      const error = parseError(yaml('sources:', '  - kind: etcd', '    name: main'));
      expect(error.field).toBe('sources[0].kind');
      expect(error.message).toBe(
        'tributary.yaml:2:11: sources[0].kind: "etcd" is not a source kind (known: file, consul)',
      );
    });

    it('refuses a source id used twice', () => {
      const error = parseError(
        yaml(
          'sources:',
          '  - kind: file',
          '    name: vms',
          '    paths: [a]',
          '  - kind: file',
          '    name: vms',
          '    paths: [b]',
        ),
      );
      expect(error.field).toBe('sources[1].name');
      expect(error.message).toBe('tributary.yaml:6:11: sources[1].name: source id "file/vms" is used twice');
    });

    it('allows the same name under two kinds', () => {
      const config = parse(
        yaml(
          'sources:',
          '  - kind: file',
          '    name: main',
          '    paths: [a]',
          '  - kind: consul',
          '    name: main',
        ),
      );
      expect(config.sources.map((s) => s.id)).toEqual(['file/main', 'consul/main']);
    });

    it('refuses a source name that is not a DNS label', () => {
      const error = parseError(yaml('sources:', '  - kind: file', '    name: My_VMs', '    paths: [a]'));
      expect(error.field).toBe('sources[0].name');
      expect(error.message).toMatch(/^tributary\.yaml:3:11: sources\[0\]\.name: must be lowercase/);
    });

    it('refuses a bad duration with its reason', () => {
      const error = parseError(yaml('pipeline:', '  window: soon'));
      expect(error.field).toBe('pipeline.window');
      expect(error.message).toBe(
        'tributary.yaml:2:11: pipeline.window: "soon" is not a duration (like 500ms, 10s, 5m)',
      );
    });

    it('lists every problem, the field being the first', () => {
      const error = parseError(yaml('http:', '  port: 70000', 'catalog:', '  changeLogSize: 5'));
      const lines = error.message.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^tributary\.yaml:2:9: http\.port: /);
      expect(lines[1]).toMatch(/^tributary\.yaml:4:18: catalog\.changeLogSize: /);
      expect(error.field).toBe('http.port');
    });

    it('reports invalid YAML as unreadable, with its line', () => {
      const error = parseError(yaml('domain: example.org', 'sources: [', '  - kind: file'));
      expect(error.code).toBe('TRB_CONFIG_UNREADABLE');
      expect(error.message).toMatch(/^tributary\.yaml:[1-9]\d*:[1-9]\d*: /);
      expect(error.message).not.toMatch(/:0:0:/);
    });

    it('reports a duplicate key as unreadable, at the second occurrence', () => {
      const error = parseError(yaml('domain: a.org', 'dataDir: x', 'domain: b.org'));
      expect(error.code).toBe('TRB_CONFIG_UNREADABLE');
      expect(error.message).toMatch(/^tributary\.yaml:3:1: .*unique/);
    });

    it('refuses a document that is not a map', () => {
      const error = parseError('just a string\n');
      expect(error.code).toBe('TRB_CONFIG_INVALID');
      expect(error.message).toMatch(/^tributary\.yaml:1:1: \(root\): /);
    });
  });

  describe('environment', () => {
    it('interpolates before validation', () => {
      const config = parse(
        yaml(
          'sources:',
          '  - kind: consul',
          '    name: ${DC:-dc1}',
          '    token: ${CONSUL_TOKEN}',
          'domain: ${DOMAIN}',
        ),
        { CONSUL_TOKEN: 's3cret', DOMAIN: 'mesh.local' },
      );
      expect(config.domain).toBe('mesh.local');
      expect(config.sources[0]).toMatchObject({ id: 'consul/dc1', settings: { token: 's3cret' } });
    });

    it('validates the interpolated value', () => {
      const error = parseError(yaml('sources:', '  - kind: file', '    name: ${NAME}', '    paths: [a]'), {
        NAME: 'Not_Valid',
      });
      expect(error.field).toBe('sources[0].name');
      expect(error.message).toMatch(/^tributary\.yaml:3:11: sources\[0\]\.name: must be lowercase/);
    });

    it('names the field that references an unset variable', () => {
      const error = parseError(yaml('domain: example.org', 'dataDir: ${DATA_DIR}'));
      expect(error.code).toBe('TRB_CONFIG_INVALID');
      expect(error.field).toBe('dataDir');
      expect(error.message).toBe(
        'tributary.yaml:2:10: dataDir: environment variable DATA_DIR is not set (referenced as ${DATA_DIR})',
      );
    });
  });
});

describe('loadConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses the embedded default without a file: the file source on the example VMs', async () => {
    const config = await loadConfig(undefined, FACTORIES, {});
    expect(config.file).toBeNull();
    expect(config.baseDir).toBe(PACKAGE_ROOT);
    expect(config.sources).toEqual([
      {
        id: 'file/examples',
        kind: 'file',
        name: 'examples',
        priority: 0,
        settings: { paths: ['examples/vms'] },
      },
    ]);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.dataDir).toBe(resolve('data'));
    expect(EMBEDDED_DEFAULT).toContain('examples/vms');
  });

  it('finds the package root holding examples/', () => {
    expect(PACKAGE_ROOT).toBe(resolve(import.meta.dirname, '../../..'));
  });

  it('reads a file, naming it in errors and anchoring relative paths at its directory', async () => {
    const file = join(dir, 'tributary.yaml');
    writeFileSync(
      file,
      yaml('dataDir: state', 'sources:', '  - kind: file', '    name: vms', '    paths: [vms]'),
    );
    const config = await loadConfig(file, FACTORIES, {});
    expect(config).toMatchObject({ file, baseDir: dir, dataDir: join(dir, 'state') });

    writeFileSync(file, yaml('sources:', '  - kind: file', '    name: vms', '    paths: []'));
    await expect(loadConfig(file, FACTORIES, {})).rejects.toMatchObject({
      code: 'TRB_CONFIG_INVALID',
      field: 'sources[0].paths',
      message: expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:12: `)),
    });
  });

  it('reports a missing file as unreadable', async () => {
    const file = join(dir, 'missing.yaml');
    await expect(loadConfig(file, FACTORIES, {})).rejects.toMatchObject({
      code: 'TRB_CONFIG_UNREADABLE',
      message: expect.stringContaining(`${file}: cannot read`),
    });
  });
});
