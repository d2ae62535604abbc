import { isIP } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import type { CatalogEndpoint } from '../../../../src/catalog/view.js';
import { encodeResource } from '../../../../src/xds/codec/index.js';
import {
  MAX_WEIGHT_SUM,
  buildClusterLoadAssignment,
  capWeights,
} from '../../../../src/xds/resources/endpoint.js';
import { TYPE_URLS } from '../../../../src/xds/types.js';
import { aCatalogEndpoint, aCatalogService } from '../../../fakes/catalog.js';

const euA = { region: 'eu', zone: 'eu-a', subzone: '' };
const euB = { region: 'eu', zone: 'eu-b', subzone: '' };
const none = { region: '', zone: '', subzone: '' };

function claOf(endpoints: CatalogEndpoint[], priorityOf?: (e: CatalogEndpoint) => number) {
  return buildClusterLoadAssignment(aCatalogService({ endpoints }), 8080, priorityOf ? { priorityOf } : {});
}

describe('buildClusterLoadAssignment', () => {
  it('names the CLA like its cluster (XDS.md §5 item 28)', () => {
    expect(claOf([]).cluster_name).toBe('outbound|8080||payments.default.svc.cluster.local');
  });

  it('withdraws with endpoints: [] when the port has no endpoints (item 17)', () => {
    const service = aCatalogService({ endpoints: [aCatalogEndpoint({ servicePort: 9090 })] });
    expect(buildClusterLoadAssignment(service, 8080)).toEqual({
      cluster_name: 'outbound|8080||payments.default.svc.cluster.local',
      endpoints: [],
    });
  });

  it('builds IP-literal socket addresses with port_value and labels as metadata (item 26)', () => {
    const cla = claOf([
      aCatalogEndpoint({ address: 'fd00::1', port: 9000, labels: { version: 'v2' }, locality: euA }),
    ]);
    expect(cla.endpoints).toEqual([
      {
        locality: { region: 'eu', zone: 'eu-a', sub_zone: '' },
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: 'fd00::1', port_value: 9000 } } },
            health_status: 'HEALTHY',
            metadata: { filter_metadata: { tributary: { fields: { version: { stringValue: 'v2' } } } } },
            load_balancing_weight: { value: 1 },
          },
        ],
        load_balancing_weight: { value: 1 },
        priority: 0,
      },
    ]);
    for (const group of claOf([aCatalogEndpoint(), aCatalogEndpoint({ address: '10.0.0.9' })]).endpoints) {
      for (const lb of group.lb_endpoints)
        expect(isIP(lb.endpoint.address.socket_address.address)).not.toBe(0);
    }
  });

  it('groups by locality, always sets the locality and gives each a non-zero weight (item 26)', () => {
    const cla = claOf([
      aCatalogEndpoint({ address: '10.0.0.3', locality: euB, weight: 5 }),
      aCatalogEndpoint({ address: '10.0.0.1', locality: euA, weight: 2 }),
      aCatalogEndpoint({ address: '10.0.0.2', locality: euA, weight: 3 }),
      aCatalogEndpoint({ address: '10.0.0.4', locality: none }),
    ]);
    expect(
      cla.endpoints.map((g) => [g.locality, g.load_balancing_weight.value, g.lb_endpoints.length]),
    ).toEqual([
      [{ region: '', zone: '', sub_zone: '' }, 1, 1],
      [{ region: 'eu', zone: 'eu-a', sub_zone: '' }, 5, 2],
      [{ region: 'eu', zone: 'eu-b', sub_zone: '' }, 5, 1],
    ]);
    const keys = cla.endpoints.map((g) => JSON.stringify([g.priority, g.locality]));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('renumbers priorities contiguously from 0 (item 26)', () => {
    const priorities = new Map([
      ['10.0.0.1', 7],
      ['10.0.0.2', 3],
      ['10.0.0.3', 3],
    ]);
    const cla = claOf(
      [
        aCatalogEndpoint({ address: '10.0.0.1' }),
        aCatalogEndpoint({ address: '10.0.0.2', locality: euB }),
        aCatalogEndpoint({ address: '10.0.0.3' }),
      ],
      (e) => priorities.get(e.address) ?? 0,
    );
    expect(
      cla.endpoints.map((g) => [
        g.priority,
        g.lb_endpoints.map((lb) => lb.endpoint.address.socket_address.address),
      ]),
    ).toEqual([
      [0, ['10.0.0.2']],
      [0, ['10.0.0.3']],
      [1, ['10.0.0.1']],
    ]);
  });

  it('puts every endpoint at priority 0 by default', () => {
    const cla = claOf([
      aCatalogEndpoint({ address: '10.0.0.1', locality: euA }),
      aCatalogEndpoint({ address: '10.0.0.2', locality: euB }),
    ]);
    expect(cla.endpoints.map((g) => g.priority)).toEqual([0, 0]);
  });

  it('never lists an address:port twice; the most preferred placement wins (item 26)', () => {
    const cla = claOf(
      [
        aCatalogEndpoint({ address: '10.0.0.1', locality: euB }),
        aCatalogEndpoint({ address: '10.0.0.1', locality: euA }),
        aCatalogEndpoint({ address: '10.0.0.1', port: 8081 }),
      ],
      (e) => (e.locality.zone === 'eu-a' ? 1 : 0),
    );
    const addresses = cla.endpoints.flatMap((g) =>
      g.lb_endpoints.map(
        (lb) =>
          `${lb.endpoint.address.socket_address.address}:${lb.endpoint.address.socket_address.port_value}`,
      ),
    );
    expect(addresses.sort()).toEqual(['10.0.0.1:8080', '10.0.0.1:8081']);
    expect(cla.endpoints.every((g) => g.priority === 0)).toBe(true);
  });

  it.each([
    ['healthy', 'HEALTHY'],
    ['unhealthy', 'UNHEALTHY'],
    ['draining', 'DRAINING'],
    ['unknown', 'UNKNOWN'],
  ] as const)('maps health %s to %s (item 27)', (health, status) => {
    expect(claOf([aCatalogEndpoint({ health })]).endpoints[0]!.lb_endpoints[0]!.health_status).toBe(status);
  });

  it('gives the same bytes whatever the input order', () => {
    const endpoints = [
      aCatalogEndpoint({ address: '10.0.0.2', locality: euB }),
      aCatalogEndpoint({ address: '10.0.0.1', locality: euA }),
      aCatalogEndpoint({ address: '10.0.0.3', locality: euA, labels: { b: '2', a: '1' } }),
    ];
    const forward = encodeResource(TYPE_URLS.endpoint, claOf(endpoints)).value;
    const backward = encodeResource(TYPE_URLS.endpoint, claOf([...endpoints].reverse())).value;
    expect(Buffer.from(backward)).toEqual(Buffer.from(forward));
  });

  it('publishes labels only, never which registry reported an endpoint', () => {
    const endpoint = aCatalogEndpoint({
      sourceId: 'consul/dc1',
      instanceId: 'node-7/payments-1',
      cluster: 'dc1',
      network: 'vpc-1',
    });
    const json = JSON.stringify(claOf([endpoint]));
    for (const secret of ['consul/dc1', 'node-7', 'dc1', 'vpc-1']) expect(json).not.toContain(secret);
  });

  it('keeps each priority’s locality weights within uint32', () => {
    const endpoints = Array.from({ length: 5000 }, (_, i) =>
      aCatalogEndpoint({
        address: `10.${Math.floor(i / 250)}.${i % 250}.1`,
        weight: 1_000_000,
        locality: i % 2 ? euA : euB,
      }),
    );
    const cla = claOf(endpoints);
    const sum = cla.endpoints.reduce((total, g) => total + g.load_balancing_weight.value, 0);
    expect(sum).toBeLessThanOrEqual(MAX_WEIGHT_SUM);
    expect(cla.endpoints.every((g) => g.load_balancing_weight.value >= 1)).toBe(true);
    for (const group of cla.endpoints) {
      const inLocality = group.lb_endpoints.reduce((total, lb) => total + lb.load_balancing_weight.value, 0);
      expect(inLocality).toBeLessThanOrEqual(MAX_WEIGHT_SUM);
    }
  });
});

describe('capWeights', () => {
  it('leaves weights that fit alone', () => {
    expect(capWeights([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('scales weights that overflow uint32, keeping each at least 1', () => {
    const capped = capWeights([MAX_WEIGHT_SUM, MAX_WEIGHT_SUM, 1]);
    expect(capped.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(MAX_WEIGHT_SUM);
    expect(capped[2]).toBe(1);
    expect(Math.abs(capped[0]! - capped[1]!)).toBeLessThanOrEqual(1);
  });
});
