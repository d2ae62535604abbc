import { describe, expect, it } from '@jest/globals';
import { mergeService, type RankedRecord } from '../../../src/catalog/union.js';
import type { ServiceRecord } from '../../../src/model/service.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

function ranked(sourceId: string, priority: number, record: ServiceRecord, stale = false): RankedRecord {
  return { sourceId, priority, stale, record };
}

const DOMAIN = 'svc.cluster.local';

describe('mergeService', () => {
  it('makes one service whose endpoints are the union of every source', () => {
    const vm = ranked('file/vms', 0, aServiceRecord({ endpoints: [anEndpoint({ address: '10.0.0.1' })] }));
    const k8s = ranked(
      'kubernetes/main',
      0,
      aServiceRecord({ endpoints: [anEndpoint({ address: '10.1.0.7' })] }),
    );
    const service = mergeService([vm, k8s], DOMAIN, 7);
    expect(service).toMatchObject({
      namespace: 'default',
      name: 'payments',
      hostname: 'payments.default.svc.cluster.local',
      revision: 7,
    });
    expect(service.endpoints.map((e) => [e.address, e.sourceId])).toEqual([
      ['10.0.0.1', 'file/vms'],
      ['10.1.0.7', 'kubernetes/main'],
    ]);
    expect(service.sources).toEqual(['file/vms', 'kubernetes/main']);
  });

  it('lists sources highest priority first', () => {
    const low = ranked('a/low', 1, aServiceRecord());
    const high = ranked('z/high', 5, aServiceRecord());
    expect(mergeService([low, high], DOMAIN, 1).sources).toEqual(['z/high', 'a/low']);
  });

  it('takes the fields of a shared endpoint from the higher-priority source and keeps both origins, winner first', () => {
    const consul = ranked(
      'consul/dc1',
      10,
      aServiceRecord({
        endpoints: [
          anEndpoint({ address: '10.0.0.5', weight: 3, health: 'draining', instanceId: 'node1-payments' }),
        ],
      }),
    );
    const file = ranked(
      'file/vms',
      0,
      aServiceRecord({
        endpoints: [anEndpoint({ address: '10.0.0.5', weight: 1, health: 'healthy', instanceId: 'vm-5' })],
      }),
    );
    for (const order of [
      [file, consul],
      [consul, file],
    ]) {
      const [endpoint, ...rest] = mergeService(order, DOMAIN, 1).endpoints;
      expect(rest).toEqual([]);
      expect(endpoint).toMatchObject({
        sourceId: 'consul/dc1',
        weight: 3,
        health: 'draining',
        instanceId: 'node1-payments',
      });
      expect(endpoint?.origins).toEqual([
        { sourceId: 'consul/dc1', instanceId: 'node1-payments', cluster: '', network: '' },
        { sourceId: 'file/vms', instanceId: 'vm-5', cluster: '', network: '' },
      ]);
    }
  });

  it('breaks a priority tie by source id, whatever the arrival order', () => {
    const b = ranked('b/two', 0, aServiceRecord({ endpoints: [anEndpoint({ weight: 2 })] }));
    const a = ranked('a/one', 0, aServiceRecord({ endpoints: [anEndpoint({ weight: 9 })] }));
    expect(mergeService([b, a], DOMAIN, 1).endpoints[0]).toMatchObject({ sourceId: 'a/one', weight: 9 });
    expect(mergeService([a, b], DOMAIN, 1).endpoints[0]).toMatchObject({ sourceId: 'a/one', weight: 9 });
  });

  it('keeps the same address:port on two networks as two endpoints', () => {
    const a = ranked('a/one', 0, aServiceRecord({ endpoints: [anEndpoint({ network: 'net-a' })] }));
    const b = ranked('b/two', 0, aServiceRecord({ endpoints: [anEndpoint({ network: 'net-b' })] }));
    const endpoints = mergeService([a, b], DOMAIN, 1).endpoints;
    expect(endpoints.map((e) => [e.network, e.origins.length])).toEqual([
      ['net-a', 1],
      ['net-b', 1],
    ]);
  });

  it('keeps the same address:port on two service ports as two endpoints', () => {
    const ports = [
      { number: 80, name: 'http', protocol: 'http' as const },
      { number: 9090, name: 'metrics', protocol: 'http' as const },
    ];
    const a = ranked(
      'a/one',
      0,
      aServiceRecord({ ports, endpoints: [anEndpoint({ servicePort: 80, port: 8080 })] }),
    );
    const b = ranked(
      'b/two',
      0,
      aServiceRecord({ ports, endpoints: [anEndpoint({ servicePort: 9090, port: 8080 })] }),
    );
    expect(mergeService([a, b], DOMAIN, 1).endpoints.map((e) => [e.servicePort, e.sourceId])).toEqual([
      [80, 'a/one'],
      [9090, 'b/two'],
    ]);
  });

  it('unions ports by number, the higher priority deciding name and protocol', () => {
    const high = ranked(
      'k/high',
      2,
      aServiceRecord({ ports: [{ number: 8080, name: 'grpc', protocol: 'grpc' }], endpoints: [] }),
    );
    const low = ranked(
      'f/low',
      1,
      aServiceRecord({
        ports: [
          { number: 8080, name: 'http', protocol: 'http' },
          { number: 443, name: 'https', protocol: 'https' },
        ],
        endpoints: [],
      }),
    );
    expect(mergeService([low, high], DOMAIN, 1).ports).toEqual([
      { number: 443, name: 'https', protocol: 'https' },
      { number: 8080, name: 'grpc', protocol: 'grpc' },
    ]);
  });

  it('renames a lower-priority port whose name the winner already gave another port', () => {
    const high = ranked(
      'k/high',
      2,
      aServiceRecord({ ports: [{ number: 80, name: 'http', protocol: 'http' }], endpoints: [] }),
    );
    const low = ranked(
      'f/low',
      1,
      aServiceRecord({ ports: [{ number: 8080, name: 'http', protocol: 'http' }], endpoints: [] }),
    );
    const ports = mergeService([low, high], DOMAIN, 1).ports;
    expect(ports).toEqual([
      { number: 80, name: 'http', protocol: 'http' },
      { number: 8080, name: 'port-8080', protocol: 'http' },
    ]);
  });

  it('merges labels, the higher priority winning a shared key, keys sorted', () => {
    const high = ranked('k/high', 2, aServiceRecord({ labels: { team: 'core', tier: 'gold' } }));
    const low = ranked('f/low', 1, aServiceRecord({ labels: { tier: 'bronze', app: 'pay' } }));
    const labels = mergeService([low, high], DOMAIN, 1).labels;
    expect(labels).toEqual({ app: 'pay', team: 'core', tier: 'gold' });
    expect(Object.keys(labels)).toEqual(['app', 'team', 'tier']);
  });

  it('sorts endpoints by service port, then address, then port', () => {
    const ports = [
      { number: 80, name: 'http', protocol: 'http' as const },
      { number: 90, name: 'admin', protocol: 'http' as const },
    ];
    const a = ranked(
      'a/one',
      0,
      aServiceRecord({
        ports,
        endpoints: [
          anEndpoint({ servicePort: 90, address: '10.0.0.1', port: 1 }),
          anEndpoint({ servicePort: 80, address: '10.0.0.2', port: 2 }),
        ],
      }),
    );
    const b = ranked(
      'b/two',
      0,
      aServiceRecord({
        ports,
        endpoints: [
          anEndpoint({ servicePort: 80, address: '10.0.0.2', port: 1 }),
          anEndpoint({ servicePort: 80, address: '10.0.0.1', port: 9 }),
        ],
      }),
    );
    expect(
      mergeService([a, b], DOMAIN, 1).endpoints.map((e) => `${e.servicePort}/${e.address}:${e.port}`),
    ).toEqual(['80/10.0.0.1:9', '80/10.0.0.2:1', '80/10.0.0.2:2', '90/10.0.0.1:1']);
  });

  it('marks an endpoint stale only when its deciding source is stale', () => {
    const staleHigh = ranked(
      'k/high',
      2,
      aServiceRecord({ endpoints: [anEndpoint({ address: '10.0.0.1' })] }),
      true,
    );
    const freshLow = ranked(
      'f/low',
      1,
      aServiceRecord({
        endpoints: [anEndpoint({ address: '10.0.0.1' }), anEndpoint({ address: '10.0.0.2' })],
      }),
    );
    expect(
      mergeService([freshLow, staleHigh], DOMAIN, 1).endpoints.map((e) => [e.address, e.sourceId, e.stale]),
    ).toEqual([
      ['10.0.0.1', 'k/high', true],
      ['10.0.0.2', 'f/low', false],
    ]);
  });

  it('sorts endpoint label keys', () => {
    const a = ranked('a/one', 0, aServiceRecord({ endpoints: [anEndpoint({ labels: { z: '1', a: '2' } })] }));
    expect(Object.keys(mergeService([a], DOMAIN, 1).endpoints[0]!.labels)).toEqual(['a', 'z']);
  });
});
