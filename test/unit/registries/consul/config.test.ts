import { describe, expect, it } from '@jest/globals';
import { registryFactories } from '../../../../registries/index.js';
import { consulSourceSchema } from '../../../../registries/consul/config.js';
import { ConsulRequestError } from '../../../../registries/consul/client.js';
import { describeFailure } from '../../../../registries/consul/watch.js';

describe('consul source settings', () => {
  it('is in the factory table as kind consul', () => {
    expect(registryFactories.map((f) => f.kind)).toContain('consul');
  });

  it('defaults to the local agent, its own datacenter and Consul blocking-query timings', () => {
    expect(consulSourceSchema.parse({})).toMatchObject({
      address: 'http://127.0.0.1:8500',
      datacenters: [],
      consistency: 'default',
      wait: 300_000,
      minInterval: 200,
      retryBase: 1000,
      retryMax: 30_000,
      maxWatches: 512,
      namespace: 'default',
      taggedAddress: 'none',
      warningHealth: 'healthy',
      filter: { names: [], excludeNames: [], tags: [], excludeTags: [] },
    });
  });

  it('refuses a wait beyond 10 minutes, token with tokenFile, a certificate without its key, unknown fields', () => {
    const problems = (settings: Record<string, unknown>) =>
      (consulSourceSchema.safeParse(settings).error?.issues ?? []).map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      );
    expect(problems({ wait: '11m' })).toEqual([expect.stringMatching(/^wait: "11m" is not a duration/)]);
    expect(problems({ token: 'a', tokenFile: 'b' })).toEqual([
      'tokenFile: give token or tokenFile, not both',
    ]);
    expect(problems({ certFile: 'c.pem' })).toEqual(['keyFile: certFile and keyFile go together']);
    expect(problems({ address: 'consul:8500' })).toEqual([
      expect.stringMatching(/^address: must be an http/),
    ]);
    expect(problems({ datacenter: 'dc1' })).toEqual([expect.stringMatching(/Unrecognized key.*datacenter/)]);
  });
});

describe('describeFailure: what a 403 tells the user to grant', () => {
  it('names service:read and node:read for a health read, service:read for the list', () => {
    const denied = new ConsulRequestError(
      'GET /v1/health/service/web: HTTP 403 Permission denied',
      403,
      "Permission denied: token with AccessorID 'x' lacks permission 'service:read' on \"web\"",
    );
    expect(describeFailure(denied, 'web')).toMatch(/grant the ACL token service:read on "web" and node:read/);
    expect(describeFailure(denied, undefined)).toMatch(
      /grant the ACL token service:read .*service_prefix ""/,
    );
  });

  it('points at the token itself for ACL not found, and passes other failures through', () => {
    const unknown = new ConsulRequestError(
      'GET /v1/catalog/services: HTTP 403 ACL not found',
      403,
      'ACL not found',
    );
    expect(describeFailure(unknown, undefined)).toMatch(
      /does not know the configured ACL token; check token\/tokenFile$/,
    );
    const down = new ConsulRequestError(
      'GET /v1/catalog/services: unreachable (ECONNREFUSED)',
      undefined,
      '',
    );
    expect(describeFailure(down, undefined)).toBe('GET /v1/catalog/services: unreachable (ECONNREFUSED)');
  });
});
