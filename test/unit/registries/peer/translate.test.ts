import { describe, expect, it } from '@jest/globals';
import type { Endpoint } from '../../../../src/model/endpoint.js';
import { MAX_WEIGHT } from '../../../../src/model/validate.js';
import {
  gatewayEndpoints,
  gatewayHealth,
  importRecord,
  regionBehind,
  type PeerImport,
} from '../../../../registries/peer/translate.js';
import { anEndpoint, aServiceRecord } from '../../../support/builders.js';

const west: PeerImport = { peer: 'west', network: 'west-net', gateways: [] };
const gateways: PeerImport = {
  ...west,
  gateways: [
    { address: '192.0.2.10', port: 15443 },
    { address: '192.0.2.11', port: 15443, locality: { region: 'r2', zone: 'z2', subzone: '' } },
  ],
};

describe('importRecord', () => {
  it("stamps the origin, prefixes the instance id and gives the peer's network to endpoints naming none", () => {
    const record = aServiceRecord({
      labels: { team: 'pay' },
      endpoints: [
        anEndpoint({ instanceId: 'vm-1', labels: { version: 'v2' }, cluster: 'eks-1' }),
        anEndpoint({ address: '10.0.0.2', instanceId: 'vm-2', network: 'vpc-b' }),
      ],
    });
    const imported = importRecord(record, west);
    expect(imported.labels).toEqual({ team: 'pay' });
    expect(imported.endpoints).toEqual([
      { ...record.endpoints[0], instanceId: 'west/vm-1', network: 'west-net', origin: 'west' },
      { ...record.endpoints[1], instanceId: 'west/vm-2', network: 'vpc-b', origin: 'west' },
    ]);
  });

  it('leaves out fields it does not know (a newer peer may send more)', () => {
    const record = {
      ...aServiceRecord(),
      extra: 1,
      endpoints: [{ ...anEndpoint(), origin: 'east', extra: 2 }],
    };
    const imported = importRecord(record, west);
    expect(Object.keys(imported)).toEqual(['namespace', 'name', 'ports', 'labels', 'endpoints']);
    expect(imported.endpoints[0]).not.toHaveProperty('extra');
    expect(imported.endpoints[0]!.origin).toBe('west');
  });
});

describe('gateway endpoints', () => {
  const ports = (servicePort: number, health: Endpoint['health'], address: string): Endpoint =>
    anEndpoint({ servicePort, port: servicePort, health, address });

  it('gives one endpoint per gateway and service port, weighted by the endpoints behind it', () => {
    const behind = [
      ports(80, 'healthy', '10.0.0.1'),
      ports(80, 'unhealthy', '10.0.0.2'),
      ports(9090, 'unhealthy', '10.0.0.1'),
    ];
    const result = gatewayEndpoints(behind, gateways);
    expect(result.map((e) => `${e.servicePort} ${e.address}:${e.port} w${e.weight} ${e.health}`)).toEqual([
      '80 192.0.2.10:15443 w2 healthy',
      '80 192.0.2.11:15443 w2 healthy',
      '9090 192.0.2.10:15443 w1 unhealthy',
      '9090 192.0.2.11:15443 w1 unhealthy',
    ]);
    expect(result[0]).toMatchObject({
      instanceId: 'gateway/192.0.2.10:15443',
      network: 'west-net',
      origin: 'west',
      labels: {},
      locality: { region: 'eu-west-1', zone: '', subzone: '' },
    });
    expect(result[1]!.locality).toEqual({ region: 'r2', zone: 'z2', subzone: '' });
  });

  it('caps the weight at MAX_WEIGHT', () => {
    const many = new Array<Endpoint>(MAX_WEIGHT + 1).fill(anEndpoint());
    expect(
      gatewayEndpoints(many, { ...west, gateways: [{ address: '192.0.2.1', port: 1 }] })[0]!.weight,
    ).toBe(MAX_WEIGHT);
  });

  it('is healthy if any endpoint behind is, else draining if any is, else unhealthy', () => {
    expect(gatewayHealth([{ health: 'unhealthy' }, { health: 'healthy' }])).toBe('healthy');
    expect(gatewayHealth([{ health: 'unknown' }, { health: 'draining' }])).toBe('draining');
    expect(gatewayHealth([{ health: 'unknown' }, { health: 'unhealthy' }])).toBe('unhealthy');
  });

  it('takes the region most endpoints behind have (ties: alphabetical), zone and subzone empty', () => {
    const at = (region: string) => ({ locality: { region, zone: 'z', subzone: 's' } });
    expect(regionBehind([at('b'), at('a'), at('b'), at('')])).toEqual({ region: 'b', zone: '', subzone: '' });
    expect(regionBehind([at('b'), at('a')])).toEqual({ region: 'a', zone: '', subzone: '' });
    expect(regionBehind([at('')])).toEqual({ region: '', zone: '', subzone: '' });
  });

  it('replaces the endpoints of a record when gateways are configured', () => {
    const record = aServiceRecord({ endpoints: [anEndpoint(), anEndpoint({ address: '10.0.0.2' })] });
    expect(importRecord(record, gateways).endpoints.map((e) => e.address)).toEqual([
      '192.0.2.10',
      '192.0.2.11',
    ]);
    expect(importRecord(aServiceRecord({ endpoints: [] }), gateways).endpoints).toEqual([]);
  });
});
