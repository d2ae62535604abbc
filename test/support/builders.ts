/** Test builders with sensible defaults: aServiceRecord(), anEndpoint(). */
import type { Endpoint } from '../../src/model/endpoint.js';
import type { ServiceRecord } from '../../src/model/service.js';

export function anEndpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    address: '10.0.0.1',
    port: 8080,
    servicePort: 8080,
    health: 'healthy',
    weight: 1,
    locality: { region: 'eu-west-1', zone: 'eu-west-1a', subzone: '' },
    labels: {},
    instanceId: overrides.address ?? '10.0.0.1',
    cluster: '',
    network: '',
    ...overrides,
  };
}

export function aServiceRecord(overrides: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    namespace: 'default',
    name: 'payments',
    ports: [{ number: 8080, name: 'http', protocol: 'http' }],
    labels: {},
    endpoints: [anEndpoint()],
    ...overrides,
  };
}
