import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { consulSourceSchema, type ConsulSourceConfig } from '../../../../registries/consul/config.js';
import { parseHealthEntries, type HealthEntry } from '../../../../registries/consul/payload.js';
import {
  buildServiceRecord,
  globMatch,
  healthOf,
  selectService,
  translateEntries,
} from '../../../../registries/consul/translate.js';
import { validateServiceRecord } from '../../../../src/model/validate.js';

function fixture(name: string): HealthEntry[] {
  const body: unknown = JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
  const { entries, errors } = parseHealthEntries(body);
  expect(errors).toEqual([]);
  return entries;
}

const config = (settings: Record<string, unknown> = {}): ConsulSourceConfig =>
  consulSourceSchema.parse(settings);

describe('translateEntries: the documented sample (health-service-redis.json)', () => {
  const [instance] = translateEntries(fixture('health-service-redis.json'), 'dc1', config());

  it('maps one entry to an endpoint keyed by datacenter, node and service id', () => {
    expect(instance).toMatchObject({ key: 'default/redis', namespace: 'default', name: 'redis' });
    expect(instance!.endpoint).toEqual({
      address: '10.1.10.12',
      port: 8000,
      servicePort: 8000,
      health: 'healthy',
      weight: 10,
      locality: { region: 'dc1', zone: '', subzone: '' },
      labels: { 'tag.consul/primary': 'true', redis_version: '4.0' },
      instanceId: 'dc1/foobar/redis',
      cluster: 'dc1',
      network: '',
    });
  });

  it('uses the wan tagged address (written {address, port} in the docs) when configured', () => {
    const [wan] = translateEntries(
      fixture('health-service-redis.json'),
      'dc1',
      config({ taggedAddress: 'wan' }),
    );
    expect(wan!.endpoint).toMatchObject({ address: '198.18.1.2', port: 80, servicePort: 80 });
  });

  it("falls back to the node's tagged address, then to Service.Address", () => {
    const [entry] = fixture('health-service-redis.json');
    const noServiceTagged = { ...entry!, Service: { ...entry!.Service, TaggedAddresses: null } };
    const withNodeWan = {
      ...noServiceTagged,
      Node: { ...entry!.Node, TaggedAddresses: { wan: '203.0.113.9' } },
    };
    const options = config({ taggedAddress: 'wan' });
    expect(translateEntries([withNodeWan], 'dc1', options)[0]!.endpoint).toMatchObject({
      address: '203.0.113.9',
      port: 8000,
    });
    const lanOnly = { ...noServiceTagged, Node: { ...entry!.Node, TaggedAddresses: {} } };
    expect(translateEntries([lanOnly], 'dc1', options)[0]!.endpoint.address).toBe('10.1.10.12');
  });

  it("takes the datacenter from the node when the source reads the agent's own", () => {
    expect(translateEntries(fixture('health-service-redis.json'), '', config())[0]!.endpoint).toMatchObject({
      cluster: 'dc1',
      instanceId: 'dc1/foobar/redis',
      locality: { region: 'dc1' },
    });
  });
});

describe('translateEntries: mixed check states (health-service-mixed.json)', () => {
  const entries = fixture('health-service-mixed.json');
  const byId = (options = config()) =>
    new Map(translateEntries(entries, 'dc1', options).map((i) => [i.endpoint.instanceId, i]));

  it('skips Connect sidecars and gateways (Kind set)', () => {
    expect([...byId().keys()]).toEqual([
      'dc1/web-1/web-1',
      'dc1/web-2/web-2',
      'dc1/web-3/web-3',
      'dc1/web-4/web-4',
      'dc1/web-5/web-5',
    ]);
  });

  it('derives health from the worst check, node-level checks included, maintenance as draining', () => {
    const health = [...byId().values()].map(
      (i) => `${i.endpoint.instanceId} ${i.endpoint.health} ${i.endpoint.weight}`,
    );
    expect(health).toEqual([
      'dc1/web-1/web-1 healthy 10', // passing: Weights.Passing
      'dc1/web-2/web-2 healthy 2', // warning: healthy by default, with Weights.Warning
      'dc1/web-3/web-3 unhealthy 1', // its node's serfHealth is critical
      'dc1/web-4/web-4 draining 1', // _service_maintenance:web-4
      'dc1/web-5/web-5 healthy 1',
    ]);
    expect(byId(config({ warningHealth: 'unhealthy' })).get('dc1/web-2/web-2')!.endpoint.health).toBe(
      'unhealthy',
    );
  });

  it('uses Node.Address when Service.Address is empty', () => {
    expect(byId().get('dc1/web-5/web-5')!.endpoint).toMatchObject({ address: '10.0.1.5', port: 9090 });
  });

  it('takes the zone (and region) from node meta, the region from the datacenter otherwise', () => {
    expect(byId().get('dc1/web-1/web-1')!.endpoint.locality).toEqual({
      region: 'dc1',
      zone: 'dc1-a',
      subzone: '',
    });
    const custom = config({ locality: { regionMetaKey: 'zone' } });
    expect(byId(custom).get('dc1/web-1/web-1')!.endpoint.locality.region).toBe('dc1-a');
  });

  it('keeps the datacenter network configured for it', () => {
    expect(byId(config({ networks: { dc1: 'net-a' } })).get('dc1/web-1/web-1')!.endpoint.network).toBe(
      'net-a',
    );
  });

  it('builds one valid record: a service port per instance port, protocol from meta', () => {
    const record = buildServiceRecord(translateEntries(entries, 'dc1', config()))!;
    expect(record.ports).toEqual([
      { number: 8080, name: 'port-8080', protocol: 'http' },
      { number: 9090, name: 'port-9090', protocol: 'tcp' },
    ]);
    expect(record.endpoints).toHaveLength(5);
    expect(validateServiceRecord(record, 'web').errors).toEqual([]);
  });

  it('names a port by the port-name meta key (as write-through registrations carry it), never twice', () => {
    const named = entries.map((e) =>
      e.Service.ID === 'web-5' || e.Service.ID === 'web-1'
        ? { ...e, Service: { ...e.Service, Meta: { ...e.Service.Meta, 'tributary-port-name': 'http' } } }
        : e,
    );
    const record = buildServiceRecord(translateEntries(named, 'dc1', config()))!;
    expect(record.ports.map((p) => `${p.number} ${p.name}`)).toEqual(['8080 http', '9090 port-9090']);
    expect(validateServiceRecord(record, 'web').errors).toEqual([]);
  });

  it('takes the service port from the service-port meta key (write-through registrations), else Port', () => {
    const meta = (m: Record<string, string>) =>
      entries.map((e) => ({ ...e, Service: { ...e.Service, Meta: { ...e.Service.Meta, ...m } } }));
    const moved = translateEntries(meta({ 'tributary-service-port': '80' }), 'dc1', config());
    expect(moved.map((i) => [i.endpoint.servicePort, i.endpoint.port])).toContainEqual([80, 8080]);
    const junk = translateEntries(meta({ 'tributary-service-port': '99999' }), 'dc1', config());
    expect(junk.map((i) => i.endpoint.servicePort)).not.toContain(99_999);
  });

  it('keeps only instances with an included tag and without an excluded one', () => {
    const v1 = byId(config({ filter: { tags: ['v1'] } }));
    expect([...v1.keys()]).toEqual(['dc1/web-1/web-1', 'dc1/web-2/web-2']);
    const notPrimary = byId(config({ filter: { excludeTags: ['prim*'] } }));
    expect(notPrimary.has('dc1/web-1/web-1')).toBe(false);
    expect(notPrimary.size).toBe(4);
  });
});

describe('namespaces', () => {
  const [entry] = fixture('health-service-redis.json');
  const withService = (patch: Partial<HealthEntry['Service']>): HealthEntry => ({
    ...entry!,
    Service: { ...entry!.Service, ...patch },
  });
  const namespaceOf = (e: HealthEntry, settings: Record<string, unknown> = {}) =>
    translateEntries([e], 'dc1', config(settings))[0]!.namespace;

  it('comes from the meta key, then the tag prefix, then the Consul namespace, then the config', () => {
    const all = withService({
      Meta: { 'tributary-namespace': 'from-meta' },
      Tags: ['namespace=from-tag'],
      Namespace: 'from-consul',
    });
    const settings = { namespaceTagPrefix: 'namespace=', consulNamespaces: true, namespace: 'fixed' };
    expect(namespaceOf(all, settings)).toBe('from-meta');
    expect(
      namespaceOf(withService({ Meta: {}, Tags: ['namespace=from-tag'], Namespace: 'ns' }), settings),
    ).toBe('from-tag');
    expect(namespaceOf(withService({ Meta: {}, Tags: [], Namespace: 'from-consul' }), settings)).toBe(
      'from-consul',
    );
    expect(
      namespaceOf(withService({ Meta: {}, Tags: [], Namespace: 'from-consul' }), { namespace: 'fixed' }),
    ).toBe('fixed');
  });
});

describe('selection and health rules', () => {
  it('matches names by globs, exclusions first, and tags against the catalog tag list', () => {
    const filter = config({ filter: { names: ['web*', 'api'], excludeNames: ['web-canary'] } }).filter;
    expect(selectService('web', [], filter)).toBe(true);
    expect(selectService('web-canary', [], filter)).toBe(false);
    expect(selectService('db', [], filter)).toBe(false);
    const tagged = config({ filter: { tags: ['v?'] } }).filter;
    expect(selectService('web', ['v1', 'x'], tagged)).toBe(true);
    expect(selectService('web', ['x'], tagged)).toBe(false);
    expect(globMatch('a.b*', 'a.bc')).toBe(true);
    expect(globMatch('a.b*', 'axbc')).toBe(false);
  });

  it('counts an instance without checks as healthy and node maintenance as draining', () => {
    expect(healthOf([], 'healthy').health).toBe('healthy');
    expect(healthOf([{ CheckID: '_node_maintenance', Status: 'critical' }], 'healthy').health).toBe(
      'draining',
    );
  });

  it('reports a malformed entry with its path and keeps the others', () => {
    const [good] = fixture('health-service-redis.json');
    const bad = { ...good!, Service: { ...good!.Service, Port: 'eighty' } };
    const { entries, errors } = parseHealthEntries([good, bad]);
    expect(entries).toHaveLength(1);
    expect(errors).toEqual([expect.stringMatching(/^\[1\]\.Service\.Port: /)]);
    expect(parseHealthEntries({}).errors).toEqual(['the reply is not a list of health entries']);
  });
});
