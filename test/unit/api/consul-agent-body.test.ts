import { describe, expect, it } from '@jest/globals';
import {
  canonicalServiceBody,
  consulToRegistrationInput,
  toConsulAgentService,
} from '../../../src/api/consul-agent-body.js';
import { aRegistration } from '../registration/fixtures.js';

const MAPPING = { defaultNamespace: 'default', namespaceMetaKey: 'tributary-namespace' };
const map = (body: unknown) => consulToRegistrationInput(body, MAPPING, '192.0.2.7');

describe('Consul agent registration bodies', () => {
  it('maps a service with a TTL check: ttl, grace, check id, critical until the first pass', () => {
    const input = map({
      ID: 'web-1',
      Name: 'web',
      Tags: ['v1'],
      Address: '10.0.0.5',
      Port: 9000,
      Meta: { 'tributary-namespace': 'shop', protocol: 'grpc', team: 'a' },
      Weights: { Passing: 10, Warning: 0 },
      Check: { TTL: '15s', DeregisterCriticalServiceAfter: '1m' },
    });
    expect(input).toMatchObject({
      id: 'web-1',
      namespace: 'shop',
      service: 'web',
      address: '10.0.0.5',
      ports: [{ name: 'port-9000', number: 9000, servicePort: 9000, protocol: 'grpc' }],
      labels: { 'tributary-namespace': 'shop', protocol: 'grpc', team: 'a' },
      tags: ['v1'],
      weight: 10,
      warningWeight: 1,
      ttlMs: 15_000,
      graceMs: 60_000,
      status: 'critical',
      checkId: 'service:web-1',
      api: 'consul',
    });
  });

  it('reads keys in any case and snake_case, as Consul does', () => {
    expect(
      canonicalServiceBody({
        name: 'web',
        PORT: 1,
        check: { ttl: '5s', deregister_critical_service_after: '9s' },
      }),
    ).toEqual({ Name: 'web', Port: 1, Check: { TTL: '5s', DeregisterCriticalServiceAfter: '9s' } });
  });

  it('defaults: ID = Name, the caller address, the Namespace field or the default namespace, no check = never expires', () => {
    expect(map({ Name: 'web', Port: 80 })).toMatchObject({
      id: 'web',
      address: '192.0.2.7',
      namespace: 'default',
      ttlMs: null,
      status: 'passing',
    });
    expect(
      map({ Name: 'web', Port: 80, Namespace: 'team-a', Checks: [{ TTL: '3s', Status: 'passing' }] }),
    ).toMatchObject({
      namespace: 'team-a',
      ttlMs: 3000,
      graceMs: undefined,
      status: 'passing',
    });
  });

  it('refuses what it cannot honour, naming the field', () => {
    expect(() => map({ Name: 'web', Port: 80, Check: { HTTP: 'http://x', Interval: '10s' } })).toThrow(
      'body.Check.HTTP: Tributary runs no checks: only TTL checks are supported',
    );
    expect(() => map({ Name: 'web', Port: 80, Checks: [{ TTL: '1s' }, { TTL: '2s' }] })).toThrow(
      'body.Checks: only one (TTL) check per service is supported',
    );
    expect(() => map({ Name: 'web', Port: 80, Kind: 'connect-proxy' })).toThrow(/^body\.Kind: /);
    expect(() => map({ Name: 'web' })).toThrow(/^body\.Port: /);
    expect(() => map({ Name: 'web', Port: 80, Meta: { 'tributary-namespace': 'Bad_NS' } })).toThrow(
      /^body\.Meta\.tributary-namespace: /,
    );
    expect(() => map({ Name: 'Web_1', Port: 80 })).toThrow(/^body\.Name: /);
  });

  it('lists a registration with Consul field names', () => {
    const registration = aRegistration({
      id: 'web-1',
      service: 'web',
      tags: ['v1'],
      labels: { a: 'b' },
      weight: 3,
    });
    expect(toConsulAgentService(registration)).toMatchObject({
      ID: 'web-1',
      Service: 'web',
      Tags: ['v1'],
      Meta: { a: 'b' },
      Port: 8080,
      Address: '10.0.0.1',
      Weights: { Passing: 3, Warning: 1 },
      Namespace: 'shop',
    });
  });
});
