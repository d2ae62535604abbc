import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createEncodedResource } from '../../../src/xds/codec/resource.js';
import { ResourceCache } from '../../../src/xds/resource-cache.js';
import type { ResourceCacheOptions } from '../../../src/xds/resource-cache.js';
import { buildClusterLoadAssignment } from '../../../src/xds/resources/endpoint.js';
import { TYPE_URLS } from '../../../src/xds/types.js';
import type { ResourceChange, TypeUrl } from '../../../src/xds/types.js';
import { FakeCatalog, aCatalogEndpoint, aCatalogService } from '../../fakes/catalog.js';

const PAYMENTS = 'outbound|8080||payments.default.svc.cluster.local';
const ORDERS = 'outbound|8080||orders.default.svc.cluster.local';
const payments = aCatalogService();
const orders = aCatalogService({ name: 'orders' });

let catalog: FakeCatalog;
let cache: ResourceCache;
let emitted: ResourceChange[];

function startCache(options: Partial<ResourceCacheOptions> = {}): void {
  cache = new ResourceCache(catalog, { domain: 'svc.cluster.local', ...options });
  cache.start();
  emitted = [];
  cache.changes().subscribe((change) => emitted.push(change));
}

/** The emitted changes as plain data: type → sorted names. */
function changedNames(change: ResourceChange | undefined): Partial<Record<TypeUrl, string[]>> {
  return Object.fromEntries([...(change?.changed ?? [])].map(([type, names]) => [type, [...names].sort()]));
}

beforeEach(() => {
  jest.useFakeTimers();
  catalog = new FakeCatalog([payments, orders]);
});

afterEach(() => {
  cache.stop();
  jest.useRealTimers();
});

describe('ResourceCache at start', () => {
  it('encodes every cluster and CLA of the view once', () => {
    startCache();
    expect(cache.get(TYPE_URLS.cluster, PAYMENTS)?.name).toBe(PAYMENTS);
    expect(cache.get(TYPE_URLS.endpoint, ORDERS)?.version).toMatch(/^[\w-]{16}$/);
    expect(cache.wildcard(TYPE_URLS.cluster).map((r) => r.name)).toEqual([ORDERS, PAYMENTS]);
    expect(cache.wildcard(TYPE_URLS.listener)).toEqual([]);
    expect(cache.encodes).toEqual({
      [TYPE_URLS.cluster]: 2,
      [TYPE_URLS.endpoint]: 2,
      [TYPE_URLS.listener]: 0,
      [TYPE_URLS.route]: 0,
    });
    expect(cache.version()).toBe('e1-1');
  });

  it('serves the bytes the builders produce', () => {
    startCache();
    const expected = createEncodedResource(
      TYPE_URLS.endpoint,
      PAYMENTS,
      buildClusterLoadAssignment(payments, 8080),
    );
    expect(cache.get(TYPE_URLS.endpoint, PAYMENTS)?.version).toBe(expected.version);
  });
});

describe('ResourceCache changes', () => {
  it('lists only the CLA after an endpoint-only change, with the new type version', () => {
    startCache();
    catalog.apply({ upsert: [{ ...payments, endpoints: [aCatalogEndpoint({ address: '10.0.0.7' })] }] });
    jest.advanceTimersByTime(30);
    expect(emitted.map(changedNames)).toEqual([{ [TYPE_URLS.endpoint]: [PAYMENTS] }]);
    expect(emitted[0]?.version).toBe('e1-2');
    expect(cache.version()).toBe('e1-2');
  });

  it('encodes the changed CLA once, however many streams read it', () => {
    startCache();
    const before = cache.encodes;
    catalog.apply({ upsert: [{ ...payments, endpoints: [] }] });
    jest.advanceTimersByTime(30);
    for (let stream = 0; stream < 1000; stream++) cache.get(TYPE_URLS.endpoint, PAYMENTS);
    expect(cache.encodes[TYPE_URLS.endpoint] - before[TYPE_URLS.endpoint]).toBe(1);
    expect(cache.encodes[TYPE_URLS.cluster] - before[TYPE_URLS.cluster]).toBe(0);
  });

  it('lists the cluster and CLA of a new service', () => {
    startCache();
    const billing = aCatalogService({ name: 'billing' });
    catalog.apply({ upsert: [billing] });
    jest.advanceTimersByTime(30);
    const name = 'outbound|8080||billing.default.svc.cluster.local';
    expect(emitted.map(changedNames)).toEqual([
      { [TYPE_URLS.cluster]: [name], [TYPE_URLS.endpoint]: [name] },
    ]);
    expect(cache.wildcard(TYPE_URLS.cluster).map((r) => r.name)).toContain(name);
  });

  it('lists the cluster and CLA of a removed service, which then no longer exist', () => {
    startCache();
    catalog.apply({ remove: [{ namespace: 'default', name: 'orders' }] });
    jest.advanceTimersByTime(30);
    expect(emitted.map(changedNames)).toEqual([
      { [TYPE_URLS.cluster]: [ORDERS], [TYPE_URLS.endpoint]: [ORDERS] },
    ]);
    expect(cache.get(TYPE_URLS.cluster, ORDERS)).toBeUndefined();
    expect(cache.get(TYPE_URLS.endpoint, ORDERS)).toBeUndefined();
    expect(cache.wildcard(TYPE_URLS.cluster).map((r) => r.name)).toEqual([PAYMENTS]);
  });

  it('lists a port’s cluster when a label changes its lb_policy', () => {
    startCache();
    catalog.apply({ upsert: [{ ...payments, labels: { 'tributary.io/lb-policy': 'LEAST_REQUEST' } }] });
    jest.advanceTimersByTime(30);
    expect(emitted.map(changedNames)).toEqual([{ [TYPE_URLS.cluster]: [PAYMENTS] }]);
  });

  it('emits nothing when the rebuilt bytes are unchanged', () => {
    startCache();
    const cluster = cache.get(TYPE_URLS.cluster, PAYMENTS);
    catalog.apply({ upsert: [{ ...payments, revision: 99 }] });
    jest.advanceTimersByTime(1000);
    expect(emitted).toEqual([]);
    expect(cache.get(TYPE_URLS.cluster, PAYMENTS)).toBe(cluster);
  });

  it('coalesces a burst into one change once the catalog is quiet', () => {
    startCache();
    for (let i = 1; i <= 5; i++) {
      catalog.apply({ upsert: [{ ...payments, endpoints: [aCatalogEndpoint({ address: `10.0.1.${i}` })] }] });
      jest.advanceTimersByTime(20);
    }
    catalog.apply({ upsert: [{ ...orders, endpoints: [] }] });
    jest.advanceTimersByTime(29);
    expect(emitted).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(emitted.map(changedNames)).toEqual([{ [TYPE_URLS.endpoint]: [ORDERS, PAYMENTS] }]);
    expect(emitted[0]?.version).toBe('e1-7');
  });

  it('applies changes no later than maxDelayMs after the first, however busy the catalog', () => {
    startCache({ debounceMs: 30, maxDelayMs: 100 });
    for (let i = 1; i <= 4; i++) {
      catalog.apply({ upsert: [{ ...payments, endpoints: [aCatalogEndpoint({ address: `10.0.2.${i}` })] }] });
      jest.advanceTimersByTime(25);
    }
    expect(emitted).toHaveLength(1);
    expect(emitted[0]?.version).toBe('e1-5');
  });

  it('applies pending changes at once on flush()', () => {
    startCache();
    catalog.apply({ upsert: [{ ...payments, endpoints: [] }] });
    cache.flush();
    expect(emitted).toHaveLength(1);
    jest.advanceTimersByTime(1000);
    expect(emitted).toHaveLength(1);
  });

  it('ignores changes after stop() and completes its feed', () => {
    startCache();
    let completed = false;
    cache.changes().subscribe({ complete: () => (completed = true) });
    cache.stop();
    expect(completed).toBe(true);
    expect(catalog.subscribers).toBe(0);
  });
});

describe('ResourceCache on-demand listeners and routes', () => {
  it('builds a listener and its route for an authority, encoding each once', () => {
    startCache();
    const listener = cache.get(TYPE_URLS.listener, 'payments.default:8080');
    const route = cache.get(TYPE_URLS.route, 'payments.default:8080');
    expect(listener?.name).toBe('payments.default:8080');
    expect(route?.json).toMatchObject({ virtual_hosts: [{ routes: [{ route: { cluster: PAYMENTS } }] }] });
    expect(cache.get(TYPE_URLS.listener, 'payments.default:8080')).toBe(listener);
    expect(cache.encodes[TYPE_URLS.listener]).toBe(1);
    expect(cache.encodes[TYPE_URLS.route]).toBe(1);
  });

  it('gives undefined for an unknown authority, and lists it when the service appears', () => {
    startCache();
    expect(cache.get(TYPE_URLS.listener, 'billing.default')).toBeUndefined();
    expect(cache.get(TYPE_URLS.route, 'billing.default')).toBeUndefined();
    catalog.apply({ upsert: [aCatalogService({ name: 'billing' })] });
    jest.advanceTimersByTime(30);
    expect(changedNames(emitted[0])[TYPE_URLS.listener]).toEqual(['billing.default']);
    expect(changedNames(emitted[0])[TYPE_URLS.route]).toEqual(['billing.default']);
    expect(cache.get(TYPE_URLS.listener, 'billing.default')?.name).toBe('billing.default');
  });

  it('does not rebuild remembered listeners and routes on an endpoint-only change', () => {
    startCache();
    cache.get(TYPE_URLS.listener, 'payments.default:8080');
    cache.get(TYPE_URLS.route, 'payments.default:8080');
    const before = { ...cache.encodes };
    catalog.apply({ upsert: [{ ...payments, endpoints: [] }] });
    jest.advanceTimersByTime(30);
    expect(cache.encodes[TYPE_URLS.endpoint] - before[TYPE_URLS.endpoint]).toBe(1);
    expect(cache.encodes[TYPE_URLS.listener]).toBe(before[TYPE_URLS.listener]);
    expect(cache.encodes[TYPE_URLS.route]).toBe(before[TYPE_URLS.route]);
  });

  it('updates remembered routes when the port changes, and drops listeners whose port is gone', () => {
    startCache();
    cache.get(TYPE_URLS.listener, 'payments.default');
    cache.get(TYPE_URLS.route, 'payments.default');
    cache.get(TYPE_URLS.listener, 'payments.default:8080');
    const moved = {
      ...payments,
      ports: [{ number: 9090, name: 'http', protocol: 'http' as const }],
      endpoints: [aCatalogEndpoint({ servicePort: 9090 })],
    };
    catalog.apply({ upsert: [moved] });
    jest.advanceTimersByTime(30);
    const names = changedNames(emitted[0]);
    expect(names[TYPE_URLS.route]).toEqual(['payments.default']);
    expect(names[TYPE_URLS.listener]).toEqual(['payments.default:8080']);
    expect(cache.get(TYPE_URLS.route, 'payments.default')?.json).toMatchObject({
      virtual_hosts: [
        { routes: [{ route: { cluster: 'outbound|9090||payments.default.svc.cluster.local' } }] },
      ],
    });
    expect(cache.get(TYPE_URLS.listener, 'payments.default:8080')).toBeUndefined();
  });

  it('lists remembered listeners and routes of a removed service as changed', () => {
    startCache();
    cache.get(TYPE_URLS.listener, 'orders.default.svc.cluster.local:8080');
    catalog.apply({ remove: [{ namespace: 'default', name: 'orders' }] });
    jest.advanceTimersByTime(30);
    expect(changedNames(emitted[0])[TYPE_URLS.listener]).toEqual(['orders.default.svc.cluster.local:8080']);
    expect(cache.get(TYPE_URLS.listener, 'orders.default.svc.cluster.local:8080')).toBeUndefined();
  });

  it('leaves listeners out of an endpoint-only change', () => {
    startCache();
    cache.get(TYPE_URLS.listener, 'payments.default');
    cache.get(TYPE_URLS.route, 'payments.default');
    catalog.apply({ upsert: [{ ...payments, endpoints: [] }] });
    jest.advanceTimersByTime(30);
    expect(emitted.map(changedNames)).toEqual([{ [TYPE_URLS.endpoint]: [PAYMENTS] }]);
  });

  it('remembers at most maxOnDemand names per type, forgetting the least recently requested', () => {
    startCache({ maxOnDemand: 2 });
    cache.get(TYPE_URLS.listener, 'payments.default');
    cache.get(TYPE_URLS.listener, 'orders.default');
    cache.get(TYPE_URLS.listener, 'payments.default');
    cache.get(TYPE_URLS.listener, 'payments.default:8080');
    expect(cache.encodes[TYPE_URLS.listener]).toBe(3);
    cache.get(TYPE_URLS.listener, 'payments.default');
    expect(cache.encodes[TYPE_URLS.listener]).toBe(3);
    cache.get(TYPE_URLS.listener, 'orders.default');
    expect(cache.encodes[TYPE_URLS.listener]).toBe(4);
  });
});
