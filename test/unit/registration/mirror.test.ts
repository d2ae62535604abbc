import { describe, expect, it } from '@jest/globals';
import { consulServicesOf } from '../../../src/registration/mirror.js';
import { aRegistration } from './fixtures.js';

const MAPPING = { namespaceMetaKey: 'tributary-namespace' };

describe('consulServicesOf (registration → Consul agent service)', () => {
  it('maps one port to one service with its TTL check, namespace in meta, and the registration id', () => {
    const { services, skipped } = consulServicesOf(
      aRegistration({
        labels: { version: 'v2', 'app.kubernetes.io/name': 'payments' },
        tags: ['blue'],
        status: 'warning',
        note: 'slow',
        ttlMs: 15_000,
        graceMs: 60_000,
      }),
      MAPPING,
    );
    expect(services).toEqual([
      {
        id: 'vm-1',
        name: 'payments',
        address: '10.0.0.1',
        port: 8080,
        tags: ['blue'],
        meta: {
          version: 'v2',
          'tributary-namespace': 'shop',
          protocol: 'http',
          'tributary-port-name': 'http',
        },
        check: {
          checkid: 'service:vm-1',
          name: 'Tributary TTL of vm-1',
          ttl: '15000ms',
          deregistercriticalserviceafter: '60000ms',
          status: 'warning',
          notes: 'slow',
        },
      },
    ]);
    // Consul meta keys allow only letters, digits, _ and -.
    expect(skipped).toEqual(['app.kubernetes.io/name']);
  });

  it('writes one service per port (Consul services have one port), ids suffixed by the port name', () => {
    const { services } = consulServicesOf(
      aRegistration({
        ports: [
          { name: 'http', number: 8080, servicePort: 80, protocol: 'http' },
          { name: 'grpc', number: 9090, servicePort: 9090, protocol: 'grpc' },
        ],
      }),
      MAPPING,
    );
    expect(
      services.map((s) => [
        s.id,
        s.port,
        s.check?.checkid,
        s.meta['tributary-port-name'],
        s.meta['protocol'],
        s.meta['tributary-service-port'],
      ]),
    ).toEqual([
      ['vm-1:http', 8080, 'service:vm-1:http', 'http', 'http', '80'],
      ['vm-1:grpc', 9090, 'service:vm-1:grpc', 'grpc', 'grpc', undefined],
    ]);
  });

  it('writes no check for a registration without TTL', () => {
    const { services } = consulServicesOf(aRegistration({ ttlMs: null }), MAPPING);
    expect(services[0]).not.toHaveProperty('check');
  });
});
