import { describe, expect, it } from '@jest/globals';
import { ConsulRecords } from '../../../../registries/consul/records.js';
import type { ConsulInstance } from '../../../../registries/consul/translate.js';

function instance(namespace: string, name: string, address: string, dc = 'dc1'): ConsulInstance {
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    protocol: 'tcp',
    portName: undefined,
    endpoint: {
      address,
      port: 80,
      servicePort: 80,
      health: 'healthy',
      weight: 1,
      locality: { region: dc, zone: '', subzone: '' },
      labels: {},
      instanceId: `${dc}/node-${address}/${name}`,
      cluster: dc,
      network: '',
    },
  };
}

describe('ConsulRecords', () => {
  it('merges the watches of one service from two datacenters and splits one Consul service over namespaces', () => {
    const records = new ConsulRecords();
    records.place('health|dc1|web', [
      instance('shop', 'web', '10.0.0.1'),
      instance('ops', 'web', '10.0.0.2'),
    ]);
    records.place('health|dc2|web', [instance('shop', 'web', '10.0.1.1', 'dc2')]);
    const snapshot = records.snapshot();
    expect(
      snapshot.map((s) => `${s.namespace}/${s.name} ${s.endpoints.map((e) => e.address).join(',')}`),
    ).toEqual(['ops/web 10.0.0.2', 'shop/web 10.0.0.1,10.0.1.1']);
  });

  it('says only what changed: an upsert for a changed service, a delete for one gone, nothing otherwise', () => {
    const records = new ConsulRecords();
    records.place('w1', [instance('shop', 'web', '10.0.0.1'), instance('ops', 'web', '10.0.0.2')]);
    records.snapshot();
    expect(
      records.changes(
        records.place('w1', [instance('shop', 'web', '10.0.0.1'), instance('ops', 'web', '10.0.0.2')]),
      ),
    ).toEqual([]);
    const moved = records.changes(
      records.place('w1', [instance('shop', 'web', '10.0.0.1'), instance('shop', 'web', '10.0.0.2')]),
    );
    expect(
      moved.map((e) =>
        e.type === 'upsert'
          ? `upsert ${e.service.namespace}`
          : e.type === 'delete'
            ? `delete ${e.namespace}`
            : e.type,
      ),
    ).toEqual(['upsert shop', 'delete ops']);
  });
});
