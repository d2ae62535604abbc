/**
 * The on-demand initial build of the resource cache (cold start: listen first, encode later): reads
 * encode what they ask for, warmUp() encodes the rest, and clients can never tell it from an eager
 * start (same bytes served, same changes announced).
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { CatalogService } from '../../../src/catalog/view.js';
import { createEncodedResource } from '../../../src/xds/codec/resource.js';
import { ResourceCache } from '../../../src/xds/resource-cache.js';
import { buildCluster } from '../../../src/xds/resources/cluster.js';
import { buildClusterLoadAssignment } from '../../../src/xds/resources/endpoint.js';
import { TYPE_URLS } from '../../../src/xds/types.js';
import type { ResourceChange, TypeUrl } from '../../../src/xds/types.js';
import { FakeCatalog, aCatalogEndpoint, aCatalogService } from '../../fakes/catalog.js';

const DOMAIN = 'svc.cluster.local';
const PAYMENTS = 'outbound|8080||payments.default.svc.cluster.local';
const ORDERS = 'outbound|8080||orders.default.svc.cluster.local';
const payments = aCatalogService();
const orders = aCatalogService({ name: 'orders' });

let caches: ResourceCache[] = [];

function startCache(catalog: FakeCatalog, initialBuild: 'eager' | 'on-demand'): ResourceCache {
  const cache = new ResourceCache(catalog, { domain: DOMAIN, initialBuild });
  cache.start();
  caches.push(cache);
  return cache;
}

function record(cache: ResourceCache): ResourceChange[] {
  const emitted: ResourceChange[] = [];
  cache.changes().subscribe((change) => emitted.push(change));
  return emitted;
}

/** Emitted changes as plain data: version, type → sorted names. */
function plain(changes: readonly ResourceChange[]): unknown[] {
  return changes.map((change) => ({
    version: change.version,
    changed: Object.fromEntries([...change.changed].map(([type, names]) => [type, [...names].sort()])),
  }));
}

beforeEach(() => {
  jest.useFakeTimers();
  caches = [];
});

afterEach(() => {
  for (const cache of caches) cache.stop();
  jest.useRealTimers();
});

describe('ResourceCache with an on-demand initial build', () => {
  it('encodes nothing at start, then only the resource a read asks for, with the bytes an eager build has', () => {
    const cache = startCache(new FakeCatalog([payments, orders]), 'on-demand');
    expect(cache.encodes[TYPE_URLS.cluster] + cache.encodes[TYPE_URLS.endpoint]).toBe(0);
    expect(cache.version()).toBe('e1-1');

    const cla = cache.get(TYPE_URLS.endpoint, PAYMENTS);
    expect(cla?.version).toBe(
      createEncodedResource(TYPE_URLS.endpoint, PAYMENTS, buildClusterLoadAssignment(payments, 8080)).version,
    );
    expect(cache.encodes).toMatchObject({ [TYPE_URLS.endpoint]: 1, [TYPE_URLS.cluster]: 0 });
    expect(cache.get(TYPE_URLS.endpoint, PAYMENTS)).toBe(cla);
    expect(cache.encodes[TYPE_URLS.endpoint]).toBe(1);
    expect(cache.get(TYPE_URLS.endpoint, 'outbound|8080||nothing.default.svc.cluster.local')).toBeUndefined();
  });

  it('answers a CDS wildcard with every cluster, encoding no CLA for it', () => {
    const cache = startCache(new FakeCatalog([payments, orders]), 'on-demand');
    const clusters = cache.wildcard(TYPE_URLS.cluster);
    expect(clusters.map((r) => r.name)).toEqual([ORDERS, PAYMENTS]);
    expect(clusters[1]?.version).toBe(
      createEncodedResource(TYPE_URLS.cluster, PAYMENTS, buildCluster(payments, 8080)).version,
    );
    expect(cache.encodes).toMatchObject({ [TYPE_URLS.cluster]: 2, [TYPE_URLS.endpoint]: 0 });
  });

  it('warmUp encodes everything left, once, after start returned', () => {
    const cache = startCache(new FakeCatalog([payments, orders]), 'on-demand');
    cache.get(TYPE_URLS.cluster, ORDERS);
    let done = 0;
    cache.warmUp(() => (done += 1));
    expect(cache.encodes[TYPE_URLS.endpoint]).toBe(0);
    jest.runAllTimers();
    expect(cache.encodes).toMatchObject({ [TYPE_URLS.cluster]: 2, [TYPE_URLS.endpoint]: 2 });
    expect(done).toBe(1);
    cache.warmUp(() => (done += 1));
    expect(done).toBe(2);
    jest.runAllTimers();
    cache.wildcard(TYPE_URLS.cluster);
    cache.get(TYPE_URLS.endpoint, ORDERS);
    expect(cache.encodes).toMatchObject({ [TYPE_URLS.cluster]: 2, [TYPE_URLS.endpoint]: 2 });
  });

  it('stop() cancels a warm-up in progress', () => {
    const cache = startCache(new FakeCatalog([payments, orders]), 'on-demand');
    let done = false;
    cache.warmUp(() => (done = true));
    cache.stop();
    jest.runAllTimers();
    expect(cache.encodes[TYPE_URLS.endpoint]).toBe(0);
    expect(done).toBe(false);
  });

  it('announces a change to a service nobody read yet exactly as an eager cache does', () => {
    const catalog = new FakeCatalog([payments, orders]);
    const eager = startCache(catalog, 'eager');
    const lazy = startCache(catalog, 'on-demand');
    const [fromEager, fromLazy] = [record(eager), record(lazy)];
    catalog.apply({ upsert: [{ ...payments, endpoints: [aCatalogEndpoint({ address: '10.0.0.9' })] }] });
    jest.advanceTimersByTime(30);
    expect(plain(fromLazy)).toEqual(plain(fromEager));
    expect(plain(fromLazy)).toEqual([{ version: 'e1-2', changed: { [TYPE_URLS.endpoint]: [PAYMENTS] } }]);
    expect(lazy.get(TYPE_URLS.endpoint, PAYMENTS)?.version).toBe(
      eager.get(TYPE_URLS.endpoint, PAYMENTS)?.version,
    );
  });

  it('serves and announces what an eager cache does through a random sequence of changes and reads', () => {
    let seed = 42;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const serviceOf = (i: number): CatalogService =>
      aCatalogService({
        name: `svc-${i}`,
        ports:
          random() < 0.3
            ? [
                { number: 8080, name: 'http', protocol: 'http' },
                { number: 9090, name: 'grpc', protocol: 'grpc' },
              ]
            : [{ number: 8080, name: 'http', protocol: 'http' }],
        labels: random() < 0.2 ? { 'tributary.io/lb-policy': 'LEAST_REQUEST' } : {},
        endpoints: Array.from({ length: Math.floor(random() * 4) }, () =>
          aCatalogEndpoint({
            address: `10.0.0.${Math.floor(random() * 8)}`,
            weight: 1 + Math.floor(random() * 2),
          }),
        ),
      });
    const names = (i: number): string[] =>
      [8080, 9090].map((p) => `outbound|${p}||svc-${i}.default.${DOMAIN}`);
    const catalog = new FakeCatalog(Array.from({ length: 12 }, (_, i) => serviceOf(i)));
    const eager = startCache(catalog, 'eager');
    const lazy = startCache(catalog, 'on-demand');
    const [fromEager, fromLazy] = [record(eager), record(lazy)];
    const types: TypeUrl[] = [TYPE_URLS.cluster, TYPE_URLS.endpoint];
    const served: string[] = [];
    const expected: string[] = [];
    for (let step = 0; step < 60; step++) {
      const roll = random();
      if (roll < 0.5) {
        const i = Math.floor(random() * 16);
        if (random() < 0.2) catalog.apply({ remove: [{ namespace: 'default', name: `svc-${i}` }] });
        else catalog.apply({ upsert: [serviceOf(i)] });
      } else if (roll < 0.8) {
        const type = pick(types);
        const name = pick(names(Math.floor(random() * 16)));
        served.push(`${step} ${name} ${lazy.get(type, name)?.version}`);
        expected.push(`${step} ${name} ${eager.get(type, name)?.version}`);
      } else if (roll < 0.9) {
        const lazyNames = lazy.wildcard(TYPE_URLS.cluster).map((r) => `${r.name}@${r.version}`);
        const eagerNames = eager.wildcard(TYPE_URLS.cluster).map((r) => `${r.name}@${r.version}`);
        served.push(`${step} cds ${lazyNames.join(',')}`);
        expected.push(`${step} cds ${eagerNames.join(',')}`);
      } else lazy.warmUp();
      if (random() < 0.4) jest.advanceTimersByTime(30);
    }
    jest.advanceTimersByTime(600);
    expect(served).toEqual(expected);
    expect(plain(fromLazy)).toEqual(plain(fromEager));
    expect(fromEager.length).toBeGreaterThan(5);
    for (let i = 0; i < 16; i++) {
      for (const name of names(i)) {
        for (const type of types)
          expect([name, lazy.get(type, name)?.version]).toEqual([name, eager.get(type, name)?.version]);
      }
    }
  });
});
