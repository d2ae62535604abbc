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

  it('refuses registrationStore: consul as not supported yet, naming the field', () => {
    expect(() => parse('sources:\n  - { kind: rest, name: vms, registrationStore: consul }\n')).toThrow(
      /tributary\.yaml:2:\d+: sources\[0\]\.registrationStore: registrationStore: "consul" \(write-through to a Consul agent\) is not supported yet/,
    );
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
