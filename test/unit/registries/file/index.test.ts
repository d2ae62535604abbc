import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileRegistryFactory } from '../../../../registries/file/index.js';

const EXAMPLES = resolve('examples');

describe('fileRegistryFactory.schema', () => {
  it('applies the default debounce', () => {
    expect(fileRegistryFactory.schema.parse({ paths: ['vms'] })).toEqual({ paths: ['vms'], debounceMs: 100 });
  });

  it('rejects unknown fields, an empty path list and an out-of-range debounce', () => {
    expect(fileRegistryFactory.schema.safeParse({ paths: ['vms'], path: 'vms' }).success).toBe(false);
    expect(fileRegistryFactory.schema.safeParse({ paths: [] }).success).toBe(false);
    expect(fileRegistryFactory.schema.safeParse({ paths: ['vms'], debounceMs: 20_000 }).success).toBe(false);
    expect(fileRegistryFactory.schema.safeParse({ paths: ['vms'], debounceMs: 1.5 }).success).toBe(false);
  });
});

describe('fileRegistryFactory.create', () => {
  it('makes a registry of kind file under the given id', () => {
    const registry = fileRegistryFactory.create(
      'file/vms',
      { paths: ['vms'], debounceMs: 100 },
      { baseDir: EXAMPLES },
    );
    expect({ id: registry.id, kind: registry.kind }).toEqual({ id: 'file/vms', kind: 'file' });
  });
});

describe('fileRegistryFactory.check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing wrong with the example VM files', async () => {
    expect(
      await fileRegistryFactory.check!({ paths: ['vms'], debounceMs: 100 }, { baseDir: EXAMPLES }),
    ).toEqual([]);
  });

  it('returns every problem: missing paths, bad files and services defined twice', async () => {
    mkdirSync(join(dir, 'vms'));
    writeFileSync(join(dir, 'vms/a.yaml'), 'services:\n  - name: a\n    ports: [{ number: 80 }]\n');
    writeFileSync(join(dir, 'vms/b.json'), '{ "services": [{ "name": "a", "ports": [{ "number": 81 }] }] }');
    writeFileSync(join(dir, 'vms/c.yml'), 'services:\n  - name: c\n    port: 80\n');
    const problems = await fileRegistryFactory.check!(
      { paths: ['vms', 'nowhere'], debounceMs: 100 },
      { baseDir: dir },
    );
    expect(problems).toEqual([
      `paths[1]: "${join(dir, 'nowhere')}" does not exist`,
      `${join(dir, 'vms/b.json')}:1:26: services[0].name: "default/a" is already defined in ${join(dir, 'vms/a.yaml')}`,
      `${join(dir, 'vms/c.yml')}:2:5: services[0].ports: is required`,
      `${join(dir, 'vms/c.yml')}:3:5: services[0].port: unknown field`,
    ]);
  });

  it('reads an explicitly named file whatever its extension', async () => {
    writeFileSync(
      join(dir, 'vms.conf'),
      'services:\n  - name: a\n    ports: [{ number: 80, protocol: tcpp }]\n',
    );
    expect(
      await fileRegistryFactory.check!({ paths: ['vms.conf'], debounceMs: 100 }, { baseDir: dir }),
    ).toEqual([
      `${join(dir, 'vms.conf')}:3:37: services[0].ports[0].protocol: "tcpp" is not one of http, http2, grpc, https, tls, tcp, udp`,
    ]);
  });
});
