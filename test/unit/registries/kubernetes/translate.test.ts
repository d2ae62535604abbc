import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  endpointSliceSchema,
  serviceSchema,
  type EndpointSlice,
  type Service,
} from '../../../../registries/kubernetes/payload.js';
import {
  buildServiceRecord,
  healthOf,
  protocolOf,
  type NodeLocality,
  type TranslateOptions,
} from '../../../../registries/kubernetes/translate.js';
import { validateServiceRecord } from '../../../../src/model/validate.js';
import {
  endpointSlice,
  service,
  type ServiceInput,
  type SliceInput,
} from '../../../fakes/kubernetes/index.js';

/** The documentation samples of ../shared/fixtures/kubernetes/, copied to ./fixtures/. */
const fixture = (name: string): EndpointSlice =>
  endpointSliceSchema.parse(JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')));

const OPTIONS: TranslateOptions = {
  cluster: 'c1',
  network: '',
  externalName: 'skip',
  defaultProtocol: 'tcp',
};
const NO_NODES = new Map<string, NodeLocality>();
const svc = (input: ServiceInput): Service => serviceSchema.parse(service(input));
const slice = (input: SliceInput): EndpointSlice => endpointSliceSchema.parse(endpointSlice(input));
const brief = (record: ReturnType<typeof buildServiceRecord>) =>
  record?.endpoints.map((e) => `${e.address}:${e.port}→${e.servicePort} ${e.health}`);

describe('kubernetes translate: the documentation samples', () => {
  it('maps the EndpointSlice example (fixtures/) joined to its Service', () => {
    const record = buildServiceRecord(
      svc({ namespace: 'default', name: 'example', ports: [{ name: 'http', port: 80 }] }),
      [fixture('endpointslice-example.json')],
      new Map([['node-1', { region: 'us-west2', zone: 'ignored', subzone: '' }]]),
      OPTIONS,
    );
    expect(record).toEqual({
      namespace: 'default',
      name: 'example',
      ports: [{ number: 80, name: 'http', protocol: 'http' }],
      labels: {},
      endpoints: [
        {
          address: '10.1.2.3',
          port: 80,
          servicePort: 80,
          health: 'healthy',
          weight: 1,
          // the slice's zone wins over the Node's; the region comes from the Node
          locality: { region: 'us-west2', zone: 'us-west2-a', subzone: '' },
          labels: {},
          instanceId: 'c1/default/example-abc/10.1.2.3',
          cluster: 'c1',
          network: '',
        },
      ],
    });
    expect(validateServiceRecord(record!, 'r').errors).toEqual([]);
  });

  it('reads the zone of the hints example', () => {
    const record = buildServiceRecord(
      svc({ name: 'example-svc', ports: [{ name: 'http', port: 80 }] }),
      [fixture('endpointslice-hints.json')],
      NO_NODES,
      OPTIONS,
    );
    expect(record?.endpoints[0]?.locality).toEqual({ region: '', zone: 'zone-a', subzone: '' });
  });
});

describe('kubernetes translate: rules', () => {
  it.each([
    [{ name: 'web', appProtocol: 'kubernetes.io/h2c' }, 'http2'],
    [{ name: 'web', appProtocol: 'grpc' }, 'grpc'],
    [{ name: 'web', appProtocol: 'kubernetes.io/wss' }, 'https'],
    [{ name: 'grpc' }, 'grpc'],
    [{ name: 'grpc-api' }, 'grpc'],
    [{ name: 'http2-internal' }, 'http2'],
    [{ name: 'http' }, 'http'],
    [{ name: 'https-admin' }, 'https'],
    [{ name: 'httpx' }, 'tcp'],
    [{ name: 'redis' }, 'tcp'],
    [{ name: 'dns', protocol: 'UDP' }, 'udp'],
    [{ name: 'sig', protocol: 'SCTP' }, undefined],
  ])('protocol of %j is %s', (port, protocol) => {
    expect(protocolOf(port, 'tcp')).toBe(protocol);
  });

  it.each([
    [undefined, 'healthy'],
    [{}, 'healthy'],
    [{ ready: true }, 'healthy'],
    [{ ready: false }, 'unhealthy'],
    [{ ready: false, serving: true, terminating: true }, 'draining'],
    [{ ready: false, terminating: true }, 'draining'], // serving missing → serving
    [{ ready: false, serving: false, terminating: true }, 'unhealthy'],
    [{ ready: false, serving: true, terminating: false }, 'unhealthy'],
  ])('conditions %j → %s', (conditions, health) => {
    expect(healthOf(conditions)).toBe(health);
  });

  it('joins slice ports to Service ports by name: the service port is the Service’s, the endpoint port the slice’s', () => {
    const record = buildServiceRecord(
      svc({
        name: 'web',
        ports: [
          { name: 'http', port: 80, targetPort: 'web' },
          { name: 'metrics', port: 9100 },
        ],
      }),
      [
        slice({
          name: 'web-1',
          service: 'web',
          ports: [
            { name: 'http', port: 8080 },
            { name: 'metrics', port: 9100 },
            { name: 'debug', port: 6060 }, // not a port of the Service
          ],
          endpoints: [{ address: '10.0.0.1' }],
        }),
      ],
      NO_NODES,
      OPTIONS,
    );
    expect(record?.ports).toEqual([
      { number: 80, name: 'http', protocol: 'http' },
      { number: 9100, name: 'metrics', protocol: 'tcp' },
    ]);
    expect(brief(record)).toEqual(['10.0.0.1:8080→80 healthy', '10.0.0.1:9100→9100 healthy']);
  });

  it('names an unnamed single port port-<n>', () => {
    const record = buildServiceRecord(
      svc({ name: 'db', ports: [{ port: 5432 }] }),
      [slice({ name: 'db-1', service: 'db', ports: [{ port: 5432 }], endpoints: [{ address: '10.0.0.7' }] })],
      NO_NODES,
      OPTIONS,
    );
    expect(record?.ports).toEqual([{ number: 5432, name: 'port-5432', protocol: 'tcp' }]);
    expect(brief(record)).toEqual(['10.0.0.7:5432→5432 healthy']);
  });

  it('merges IPv4 and IPv6 slices, skips FQDN slices and addresses of the wrong family', () => {
    const record = buildServiceRecord(
      svc({ name: 'dual', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
      [
        slice({
          name: 'dual-v4',
          service: 'dual',
          endpoints: [{ address: '10.0.0.1' }, { address: 'fd00::9' }],
        }),
        slice({ name: 'dual-v6', service: 'dual', addressType: 'IPv6', endpoints: [{ address: 'fd00::1' }] }),
        slice({
          name: 'dual-fqdn',
          service: 'dual',
          addressType: 'FQDN',
          endpoints: [{ address: 'db.example.com' }],
        }),
      ],
      NO_NODES,
      OPTIONS,
    );
    expect(brief(record)).toEqual(['10.0.0.1:8080→80 healthy', 'fd00::1:8080→80 healthy']);
  });

  it('serves headless Services like others; a headless Service without ports serves nothing', () => {
    const headless = buildServiceRecord(
      svc({ name: 'stateful', clusterIP: 'None', ports: [{ name: 'tcp-peer', port: 7000 }] }),
      [
        slice({
          name: 'stateful-1',
          service: 'stateful',
          ports: [{ name: 'tcp-peer', port: 7000 }],
          endpoints: [{ address: '10.0.3.1' }],
        }),
      ],
      NO_NODES,
      OPTIONS,
    );
    expect(brief(headless)).toEqual(['10.0.3.1:7000→7000 healthy']);
    expect(
      buildServiceRecord(svc({ name: 'bare', clusterIP: 'None', ports: [] }), [], NO_NODES, OPTIONS),
    ).toBeUndefined();
  });

  it('skips ExternalName services by default; `externalName: address` serves an IP-address externalName', () => {
    const byIp = svc({
      name: 'legacy',
      type: 'ExternalName',
      externalName: '192.0.2.10',
      ports: [{ name: 'http', port: 80, targetPort: 8081 }],
    });
    const byName = svc({
      name: 'mail',
      type: 'ExternalName',
      externalName: 'mail.example.com',
      ports: [{ name: 'smtp', port: 25 }],
    });
    expect(buildServiceRecord(byIp, [], NO_NODES, OPTIONS)).toBeUndefined();
    const mapped = { ...OPTIONS, externalName: 'address' as const };
    expect(brief(buildServiceRecord(byIp, [], NO_NODES, mapped))).toEqual(['192.0.2.10:8081→80 healthy']);
    expect(buildServiceRecord(byName, [], NO_NODES, mapped)).toBeUndefined();
  });

  it('keeps an address listed by two slices once, with its best health', () => {
    const record = buildServiceRecord(
      svc({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
      [
        slice({ name: 'web-a', service: 'web', endpoints: [{ address: '10.0.0.1', ready: false }] }),
        slice({ name: 'web-b', service: 'web', endpoints: [{ address: '10.0.0.1' }] }),
      ],
      NO_NODES,
      OPTIONS,
    );
    expect(brief(record)).toEqual(['10.0.0.1:8080→80 healthy']);
    expect(record?.endpoints[0]?.instanceId).toBe('c1/default/web-b/10.0.0.1');
  });

  it('takes the Service labels, stamps cluster and network, and locality from the Node', () => {
    const record = buildServiceRecord(
      svc({
        name: 'web',
        labels: { app: 'web', 'bad key!': 'x' },
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      }),
      [slice({ name: 'web-a', service: 'web', endpoints: [{ address: '10.0.0.1', nodeName: 'n1' }] })],
      new Map([['n1', { region: 'r1', zone: 'z1', subzone: 'rack-4' }]]),
      { ...OPTIONS, cluster: 'east', network: 'east-net' },
    );
    expect(record?.labels).toEqual({ app: 'web' });
    expect(record?.endpoints[0]).toMatchObject({
      cluster: 'east',
      network: 'east-net',
      instanceId: 'east/default/web-a/10.0.0.1',
      locality: { region: 'r1', zone: 'z1', subzone: 'rack-4' },
    });
  });

  it('gives a Service without slices a record with no endpoints', () => {
    const record = buildServiceRecord(svc({ name: 'idle' }), [], NO_NODES, OPTIONS);
    expect(record?.endpoints).toEqual([]);
    expect(record?.ports).toHaveLength(1);
  });
});
