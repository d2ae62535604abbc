import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerSourceSchema } from '../../../../registries/peer/config.js';
import { peerRegistryFactory } from '../../../../registries/peer/index.js';
import { registryFactories } from '../../../../registries/index.js';

/** `path: message` of every issue, or [] when valid. */
function problems(input: Record<string, unknown>): string[] {
  const result = peerSourceSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const base = { address: 'https://west.example:8080', token: 't' };

describe('peer source config', () => {
  it('fills the defaults (durations in milliseconds)', () => {
    expect(peerSourceSchema.parse(base)).toEqual({
      ...base,
      namespaces: [],
      services: [],
      network: '',
      gateways: [],
      expiry: 3_600_000,
      heartbeatTimeout: 45_000,
      retryBase: 1000,
      retryMax: 30_000,
      connectTimeout: 10_000,
    });
  });

  it('requires network when gateways are given', () => {
    expect(problems({ ...base, gateways: [{ address: '192.0.2.1', port: 15443 }] })).toEqual([
      "network: gateways put the peer on another network: name it in `network` (it must not be '')",
    ]);
  });

  it('takes token or tokenFile, exactly one', () => {
    expect(problems({ ...base, tokenFile: 'peer.token' })).toEqual([
      'tokenFile: give token or tokenFile, not both',
    ]);
    expect(problems({ address: base.address })).toEqual([
      'token: a peer token is required: give token or tokenFile',
    ]);
  });

  it('names the bad field: address, gateway address, service key, duration', () => {
    expect(problems({ ...base, address: 'ftp://west' })).toEqual([
      'address: must be an http:// or https:// URL like https://peer.example:8080',
    ]);
    expect(problems({ ...base, network: 'n', gateways: [{ address: 'gw.example', port: 1 }] })).toEqual([
      'gateways.0.address: must be an IP address',
    ]);
    expect(problems({ ...base, services: ['web'] })).toEqual([
      'services.0: must be a service as namespace/name',
    ]);
    expect(problems({ ...base, expiry: 'soon' })[0]).toMatch(/^expiry: "soon" is not a duration/);
    expect(problems({ ...base, certFile: 'c.pem' })).toEqual(['keyFile: certFile and keyFile go together']);
  });

  it('describes every field', () => {
    for (const [field, schema] of Object.entries(peerSourceSchema.shape)) {
      expect([field, schema.description]).toEqual([field, expect.any(String)]);
    }
  });

  it('is in the table of adapters', () => {
    expect(registryFactories).toContain(peerRegistryFactory);
    expect(peerRegistryFactory.kind).toBe('peer');
  });
});

describe('peer source check', () => {
  it('reports unreadable token and TLS files, and passes readable ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peer-check-'));
    writeFileSync(join(dir, 'peer.token'), 'secret\n');
    const config = peerSourceSchema.parse({ address: base.address, tokenFile: 'peer.token' });
    expect(await peerRegistryFactory.check!(config, { baseDir: dir })).toEqual([]);
    const missing = peerSourceSchema.parse({ ...base, caFile: 'ca.pem' });
    expect(await peerRegistryFactory.check!(missing, { baseDir: dir })).toEqual([
      expect.stringMatching(/^peer source: caFile ".*ca\.pem": .*ENOENT/),
    ]);
    writeFileSync(join(dir, 'empty.token'), '\n');
    const empty = peerSourceSchema.parse({ address: base.address, tokenFile: 'empty.token' });
    expect(await peerRegistryFactory.check!(empty, { baseDir: dir })).toEqual([
      'peer source: tokenFile: the file is empty',
    ]);
  });
});
