import { describe, expect, it } from '@jest/globals';
import { registryFactories } from '../../../../registries/index.js';
import { parseConfig } from '../../../../src/config/load.js';

const parse = (text: string) =>
  parseConfig(text, {
    file: 'tributary.yaml',
    baseDir: '/etc/tributary',
    factories: registryFactories,
    env: {},
  });

describe('rest source configuration', () => {
  it('fills its defaults (durations in ms)', () => {
    expect(parse('sources:\n  - { kind: rest, name: vms }\n').sources[0]?.settings).toEqual({
      ttl: 30_000,
      grace: 60_000,
      maxRegistrations: 10_000,
      registrationStore: 'sqlite',
      consulDefaultNamespace: 'default',
      consulNamespaceMetaKey: 'tributary-namespace',
    });
  });

  it('takes registrationStore: consul with the agent settings, defaulting to the local agent', () => {
    const config = parse(
      'sources:\n  - kind: rest\n    name: vms\n    registrationStore: consul\n    consul: { address: "https://consul.internal:8501", token: abc, timeout: 2s }\n',
    );
    expect(config.sources[0]?.settings).toMatchObject({
      registrationStore: 'consul',
      consul: { address: 'https://consul.internal:8501', token: 'abc', timeout: 2000 },
    });
    const local = parse('sources:\n  - { kind: rest, name: vms, registrationStore: consul }\n');
    expect(local.sources[0]?.settings).toMatchObject({ registrationStore: 'consul' });
  });

  it('refuses a consul block without registrationStore: consul, and a bad agent address, naming the field', () => {
    expect(() => parse('sources:\n  - { kind: rest, name: vms, consul: { token: abc } }\n')).toThrow(
      /sources\[0\]\.consul: is only used with registrationStore: consul/,
    );
    expect(() =>
      parse(
        'sources:\n  - { kind: rest, name: vms, registrationStore: consul, consul: { address: "consul:8500" } }\n',
      ),
    ).toThrow(/sources\[0\]\.consul\.address: must be an http:\/\/ or https:\/\/ URL/);
  });

  it('allows one rest source only, and checks durations and tokens', () => {
    expect(() => parse('sources:\n  - { kind: rest, name: a }\n  - { kind: rest, name: b }\n')).toThrow(
      /sources\[1\]\.kind: only one source of kind "rest" may be configured/,
    );
    expect(() => parse('sources:\n  - { kind: rest, name: a, ttl: 10ms }\n')).toThrow(
      /sources\[0\]\.ttl: "10ms" is not a duration from 100 ms/,
    );
    expect(() => parse('auth:\n  tokens:\n    - { name: x, sha256: "00", scopes: [write] }\n')).toThrow(
      /auth\.tokens\[0\]\.sha256: must be the SHA-256[\s\S]*auth\.tokens\[0\]\.scopes\[0\]: must be read, admin/,
    );
  });
});
