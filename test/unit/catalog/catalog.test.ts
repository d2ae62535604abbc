import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Catalog, type CatalogSource } from '../../../src/catalog/catalog.js';
import { CatalogStore } from '../../../src/catalog/store.js';
import type { CatalogChange, CatalogService, CatalogView } from '../../../src/catalog/view.js';
import { aServiceRecord, aSnapshotBatch, aSourceBatch, anEndpoint } from '../../support/builders.js';

const FILE: CatalogSource = { id: 'file/vms', kind: 'file', priority: 0 };
const K8S: CatalogSource = { id: 'kubernetes/main', kind: 'kubernetes', priority: 10 };

const payments = aServiceRecord({
  name: 'payments',
  endpoints: [anEndpoint({ address: '10.0.0.1' }), anEndpoint({ address: '10.0.0.2' })],
});
const orders = aServiceRecord({ name: 'orders', endpoints: [anEndpoint({ address: '10.0.1.1' })] });
const k8sPayments = aServiceRecord({ name: 'payments', endpoints: [anEndpoint({ address: '10.1.0.1' })] });
const ledger = aServiceRecord({ name: 'ledger', endpoints: [anEndpoint({ address: '10.1.0.9' })] });

let dir: string;
let opened: Catalog[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-catalog-'));
  opened = [];
});

afterEach(() => {
  for (const catalog of opened) catalog.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(
  sources: readonly CatalogSource[] = [FILE, K8S],
  changeLogSize = 10,
  path = join(dir, 'tributary.db'),
) {
  const catalog = new Catalog(CatalogStore.open(path), {
    domain: 'svc.cluster.local',
    sources,
    changeLogSize,
    now: () => new Date('2024-05-01T12:00:00Z'),
  });
  opened.push(catalog);
  return catalog;
}

/** The services of a view with the stale flags left out (they are what a warm start changes). */
function withoutStale(view: CatalogView): unknown[] {
  return [...view.services.values()].map((s: CatalogService) => ({
    ...s,
    endpoints: s.endpoints.map(({ stale: _stale, ...rest }) => rest),
  }));
}

function staleFlags(view: CatalogView): Record<string, boolean[]> {
  return Object.fromEntries([...view.services].map(([key, s]) => [key, s.endpoints.map((e) => e.stale)]));
}

describe('Catalog', () => {
  describe('a fresh database', () => {
    it('starts empty at revision 0 with a random 8-hex epoch, not warm', () => {
      const catalog = open();
      const view = catalog.view();
      expect(view.epoch).toMatch(/^[0-9a-f]{8}$/);
      expect(view.revision).toBe(0);
      expect(view.version).toBe(`${view.epoch}-0`);
      expect(view.services.size).toBe(0);
      expect(catalog.warmStarted).toBe(false);
    });

    it('gives two databases different epochs', () => {
      const a = open([FILE], 10, join(dir, 'a.db'));
      const b = open([FILE], 10, join(dir, 'b.db'));
      expect(a.view().epoch).not.toBe(b.view().epoch);
    });

    it('lists every configured source in configuration order, never heard from', () => {
      const view = open().view();
      expect([...view.sources.keys()]).toEqual([FILE.id, K8S.id]);
      expect(view.sources.get(K8S.id)).toMatchObject({
        kind: 'kubernetes',
        priority: 10,
        state: 'syncing',
        stale: false,
        lastSync: null,
        services: 0,
        endpoints: 0,
      });
    });

    it('is not ready until every configured source is synced or degraded', () => {
      const catalog = open();
      expect(catalog.ready()).toBe(false);
      catalog.apply([aSnapshotBatch(FILE.id, [payments], { status: { state: 'synced' } })]);
      expect(catalog.ready()).toBe(false);
      catalog.apply([aSourceBatch(K8S.id, { status: { state: 'down', error: 'refused' } })]);
      expect(catalog.ready()).toBe(false);
      catalog.apply([aSourceBatch(K8S.id, { status: { state: 'degraded', error: 'partial' } })]);
      expect(catalog.ready()).toBe(true);
    });
  });

  describe('apply', () => {
    it('returns the change and serves the merged services in the view', () => {
      const catalog = open();
      const change = catalog.apply([
        aSnapshotBatch(FILE.id, [payments]),
        aSnapshotBatch(K8S.id, [k8sPayments]),
      ]);
      expect(change).toMatchObject({
        revision: 1,
        services: [{ namespace: 'default', name: 'payments', op: 'upsert' }],
      });
      const view = catalog.view();
      expect(view.revision).toBe(1);
      expect(view.services.get('default/payments')?.endpoints.map((e) => e.address)).toEqual([
        '10.0.0.1',
        '10.0.0.2',
        '10.1.0.1',
      ]);
      expect(view.sources.get(FILE.id)).toMatchObject({ services: 1, endpoints: 2 });
    });

    it('returns undefined and keeps the revision for a batch that changes nothing', () => {
      const catalog = open();
      catalog.apply([aSnapshotBatch(FILE.id, [payments])]);
      expect(catalog.apply([aSnapshotBatch(FILE.id, [payments])])).toBeUndefined();
      expect(catalog.view().revision).toBe(1);
    });

    it('returns a new immutable view per revision and the same view while nothing changes', () => {
      const catalog = open();
      catalog.apply([aSnapshotBatch(FILE.id, [payments])]);
      const first = catalog.view();
      expect(catalog.view()).toBe(first);
      catalog.apply([aSnapshotBatch(FILE.id, [orders])]);
      expect(catalog.view()).not.toBe(first);
      expect([...first.services.keys()]).toEqual(['default/payments']);
    });
  });

  describe('changes()', () => {
    it('emits exactly one change per committed batch, synchronously, in revision order', () => {
      const catalog = open();
      const seen: CatalogChange[] = [];
      const subscription = catalog.changes().subscribe((c) => seen.push(c));
      catalog.apply([aSnapshotBatch(FILE.id, [payments]), aSnapshotBatch(K8S.id, [ledger])]);
      expect(seen.map((c) => c.revision)).toEqual([1]);
      catalog.apply([aSnapshotBatch(FILE.id, [payments])]); // unchanged
      expect(seen).toHaveLength(1);
      const second = catalog.apply([aSnapshotBatch(FILE.id, [orders])]);
      expect(seen.map((c) => c.revision)).toEqual([1, 2]);
      expect(seen[1]).toEqual(second);
      subscription.unsubscribe();
    });

    it('shows the new revision in view() from inside the subscriber', () => {
      const catalog = open();
      const observed: [number, number, boolean][] = [];
      const subscription = catalog.changes().subscribe((c) => {
        const view = catalog.view();
        observed.push([c.revision, view.revision, view.services.has('default/orders')]);
      });
      catalog.apply([aSnapshotBatch(FILE.id, [payments])]);
      catalog.apply([aSnapshotBatch(FILE.id, [payments, orders])]);
      expect(observed).toEqual([
        [1, 1, false],
        [2, 2, true],
      ]);
      subscription.unsubscribe();
    });

    it('completes the feed on close, after which apply is refused', () => {
      const catalog = open();
      let completed = false;
      catalog.changes().subscribe({ complete: () => (completed = true) });
      catalog.close();
      expect(completed).toBe(true);
      expect(catalog.apply([aSnapshotBatch(FILE.id, [payments])])).toBeUndefined();
      catalog.close(); // idempotent
    });
  });

  describe('since()', () => {
    function applyRevisions(catalog: Catalog, count: number): void {
      for (let i = 0; i < count; i++) {
        const record = aServiceRecord({
          name: `svc-${i}`,
          endpoints: [anEndpoint({ address: `10.2.0.${i + 1}` })],
        });
        catalog.apply([aSourceBatch(FILE.id, { upserts: new Map([[`default/svc-${i}`, record]]) })]);
      }
    }

    it('replays the changes after a revision in order, and [] at head', () => {
      const catalog = open();
      applyRevisions(catalog, 5);
      expect(catalog.since(2)?.map((c) => c.revision)).toEqual([3, 4, 5]);
      expect(catalog.since(2)?.[0]?.services).toEqual([
        { namespace: 'default', name: 'svc-2', op: 'upsert' },
      ]);
      expect(catalog.since(0)?.map((c) => c.revision)).toEqual([1, 2, 3, 4, 5]);
      expect(catalog.since(5)).toEqual([]);
    });

    it('returns undefined for a revision older than the change log', () => {
      const catalog = open([FILE, K8S], 10);
      applyRevisions(catalog, 15);
      // The log keeps revisions 6..15: a client at 5 can resume, one at 4 cannot.
      expect(catalog.since(5)?.map((c) => c.revision)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      expect(catalog.since(4)).toBeUndefined();
      expect(catalog.since(0)).toBeUndefined();
    });

    it('survives a reopen', () => {
      const first = open([FILE, K8S], 10);
      applyRevisions(first, 15);
      const before = first.since(7);
      first.close();
      const reopened = open([FILE, K8S], 10);
      expect(reopened.since(7)).toEqual(before);
      expect(reopened.since(4)).toBeUndefined();
      expect(reopened.since(15)).toEqual([]);
    });
  });

  describe('warm start', () => {
    it('serves the same services, endpoints, revisions and epoch after a reopen', () => {
      const first = open();
      first.apply([aSnapshotBatch(FILE.id, [payments, orders]), aSnapshotBatch(K8S.id, [k8sPayments])]);
      first.apply([aSnapshotBatch(K8S.id, [k8sPayments, ledger])]);
      const before = first.view();
      first.close();

      const reopened = open();
      const after = reopened.view();
      expect(reopened.warmStarted).toBe(true);
      expect(after.epoch).toBe(before.epoch);
      expect(after.revision).toBe(2);
      expect(after.version).toBe(before.version);
      expect(withoutStale(after)).toEqual(withoutStale(before));
      expect([...after.services.values()].map((s) => [s.name, s.revision])).toEqual([
        ['ledger', 2],
        ['orders', 1],
        ['payments', 1],
      ]);
    });

    it('is ready at once', () => {
      const first = open();
      first.apply([aSnapshotBatch(FILE.id, [payments])]);
      first.close();
      expect(open().ready()).toBe(true);
    });

    it('marks every endpoint stale until its source sends a snapshot', () => {
      const first = open();
      first.apply([aSnapshotBatch(FILE.id, [payments]), aSnapshotBatch(K8S.id, [k8sPayments, ledger])]);
      first.close();

      const reopened = open();
      expect(staleFlags(reopened.view())).toEqual({
        'default/ledger': [true],
        'default/payments': [true, true, true],
      });
      expect(reopened.view().sources.get(FILE.id)?.stale).toBe(true);

      // A restarting adapter says `syncing` first: that vouches for nothing yet.
      reopened.apply([aSourceBatch(FILE.id, { status: { state: 'syncing' } })]);
      expect(staleFlags(reopened.view())['default/payments']).toEqual([true, true, true]);

      const change = reopened.apply([aSnapshotBatch(FILE.id, [payments])]);
      expect(change?.revision).toBe(2);
      expect(staleFlags(reopened.view())).toEqual({
        'default/ledger': [true],
        'default/payments': [false, false, true],
      });
    });

    it('is not warm when the database holds no records', () => {
      const first = open();
      first.apply([aSourceBatch(FILE.id, { status: { state: 'synced' } })]);
      first.close();
      const reopened = open();
      expect(reopened.warmStarted).toBe(false);
      expect(reopened.ready()).toBe(false);
    });

    it('keeps the epoch across several reopens', () => {
      const epoch = open().view().epoch;
      opened[0]!.close();
      const second = open();
      expect(second.view().epoch).toBe(epoch);
      second.apply([aSnapshotBatch(FILE.id, [payments])]);
      second.close();
      expect(open().view().epoch).toBe(epoch);
    });
  });

  describe('a source removed from the configuration', () => {
    it('has its records pruned at open, in one revision', () => {
      const first = open([FILE, K8S]);
      first.apply([aSnapshotBatch(FILE.id, [payments]), aSnapshotBatch(K8S.id, [k8sPayments, ledger])]);
      first.close();

      const reopened = open([FILE]);
      const view = reopened.view();
      expect(view.revision).toBe(2);
      expect([...view.services.keys()]).toEqual(['default/payments']);
      expect(view.services.get('default/payments')?.endpoints.map((e) => e.address)).toEqual([
        '10.0.0.1',
        '10.0.0.2',
      ]);
      expect(view.services.get('default/payments')?.sources).toEqual([FILE.id]);
      expect([...view.sources.keys()]).toEqual([FILE.id]);
      expect(reopened.since(1)).toEqual([
        {
          epoch: view.epoch,
          revision: 2,
          services: [
            { namespace: 'default', name: 'ledger', op: 'delete' },
            { namespace: 'default', name: 'payments', op: 'upsert' },
          ],
          sources: [K8S.id],
        },
      ]);
      reopened.close();

      const again = open([FILE]);
      expect(again.view().revision).toBe(2);
      expect([...again.view().services.keys()]).toEqual(['default/payments']);
    });

    it('is pruned even when it only ever reported a status', () => {
      const first = open([FILE, K8S]);
      first.apply([aSnapshotBatch(FILE.id, [payments]), aSourceBatch(K8S.id, { status: { state: 'down' } })]);
      first.close();
      const reopened = open([FILE]);
      expect(reopened.view().revision).toBe(2);
      expect([...reopened.view().sources.keys()]).toEqual([FILE.id]);
      reopened.close();
      expect(open([FILE]).view().revision).toBe(2);
    });
  });
});
