import { describe, expect, it } from '@jest/globals';
import { applyBatch } from '../../../src/catalog/apply.js';
import type { Batch } from '../../../src/catalog/batch.js';
import type { CatalogState } from '../../../src/catalog/state.js';
import {
  aCatalogState,
  aServiceRecord,
  aSnapshotBatch,
  aSourceBatch,
  aSourceRuntime,
  anEndpoint,
} from '../../support/builders.js';

const NOW = '2024-05-01T12:00:00.000Z';
const FILE = 'file/vms';
const K8S = 'kubernetes/main';

const payments = aServiceRecord({ name: 'payments', endpoints: [anEndpoint({ address: '10.0.0.1' })] });
const orders = aServiceRecord({ name: 'orders', endpoints: [anEndpoint({ address: '10.0.0.2' })] });
const ledger = aServiceRecord({ name: 'ledger', endpoints: [anEndpoint({ address: '10.0.0.3' })] });

function initial(): CatalogState {
  return aCatalogState([aSourceRuntime(FILE, { priority: 0 }), aSourceRuntime(K8S, { priority: 10 })]);
}

/** Applies batches in order, failing if one of them is refused; returns the final state. */
function applyAll(state: CatalogState, ...batches: Batch[]): CatalogState {
  for (const batch of batches) state = applyBatch(state, batch, NOW).state;
  return state;
}

function serviceNames(state: CatalogState): string[] {
  return [...state.services.keys()];
}

describe('applyBatch', () => {
  describe('records', () => {
    it('adds the services of a first snapshot in one revision, keyed and sorted by namespace/name', () => {
      const { state, change } = applyBatch(initial(), [aSnapshotBatch(FILE, [payments, orders])], NOW);
      expect(state.revision).toBe(1);
      expect(serviceNames(state)).toEqual(['default/orders', 'default/payments']);
      expect(state.services.get('default/payments')).toMatchObject({ revision: 1, sources: [FILE] });
      expect(change).toEqual({
        epoch: '0badcafe',
        revision: 1,
        services: [
          { namespace: 'default', name: 'orders', op: 'upsert' },
          { namespace: 'default', name: 'payments', op: 'upsert' },
        ],
        sources: [],
      });
    });

    it('reconciles a snapshot: services of that source missing from it are removed', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments, orders])]);
      const { state, change } = applyBatch(before, [aSnapshotBatch(FILE, [payments])], NOW);
      expect(serviceNames(state)).toEqual(['default/payments']);
      expect(change?.services).toEqual([{ namespace: 'default', name: 'orders', op: 'delete' }]);
    });

    it('keeps the last good record of a key the snapshot lists in keep', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments, orders])]);
      const { state } = applyBatch(
        before,
        [aSnapshotBatch(FILE, [payments], { keep: new Set(['default/orders']) })],
        NOW,
      );
      expect(serviceNames(state)).toEqual(['default/orders', 'default/payments']);
      expect(state.services.get('default/orders')?.endpoints[0]?.address).toBe('10.0.0.2');
    });

    it('leaves the services of other sources alone when one source snapshots', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments]), aSnapshotBatch(K8S, [ledger])]);
      const { state } = applyBatch(before, [aSnapshotBatch(FILE, [])], NOW);
      expect(serviceNames(state)).toEqual(['default/ledger']);
    });

    it('replaces one service with an upsert and leaves the others', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments, orders])]);
      const moved = aServiceRecord({ name: 'payments', endpoints: [anEndpoint({ address: '10.9.9.9' })] });
      const { state, change } = applyBatch(
        before,
        [aSourceBatch(FILE, { upserts: new Map([['default/payments', moved]]) })],
        NOW,
      );
      expect(state.services.get('default/payments')?.endpoints.map((e) => e.address)).toEqual(['10.9.9.9']);
      expect(state.services.get('default/payments')?.revision).toBe(2);
      expect(state.services.get('default/orders')?.revision).toBe(1);
      expect(change?.services).toEqual([{ namespace: 'default', name: 'payments', op: 'upsert' }]);
    });

    it('deletes a service with a null upsert', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments, orders])]);
      const { state, change, writes } = applyBatch(
        before,
        [aSourceBatch(FILE, { upserts: new Map([['default/orders', null]]) })],
        NOW,
      );
      expect(serviceNames(state)).toEqual(['default/payments']);
      expect(change?.services).toEqual([{ namespace: 'default', name: 'orders', op: 'delete' }]);
      expect(writes.deletes).toEqual([{ sourceId: FILE, namespace: 'default', name: 'orders' }]);
      expect(writes.services).toEqual([{ namespace: 'default', name: 'orders', revision: null }]);
    });

    it('keeps a service another source still reports when one source deletes it', () => {
      const k8sPayments = aServiceRecord({ endpoints: [anEndpoint({ address: '10.1.0.1' })] });
      const before = applyAll(initial(), [
        aSnapshotBatch(FILE, [payments]),
        aSnapshotBatch(K8S, [k8sPayments]),
      ]);
      expect(before.services.get('default/payments')?.endpoints).toHaveLength(2);
      const { state, change } = applyBatch(
        before,
        [aSourceBatch(FILE, { upserts: new Map([['default/payments', null]]) })],
        NOW,
      );
      const service = state.services.get('default/payments');
      expect(service?.sources).toEqual([K8S]);
      expect(service?.endpoints.map((e) => e.address)).toEqual(['10.1.0.1']);
      expect(change?.services).toEqual([{ namespace: 'default', name: 'payments', op: 'upsert' }]);
    });

    it('ignores a delete of a service the source never had', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments])]);
      const applied = applyBatch(
        before,
        [aSourceBatch(FILE, { upserts: new Map([['default/ghost', null]]) })],
        NOW,
      );
      expect(applied.change).toBeUndefined();
      expect(applied.state.revision).toBe(1);
    });

    it('ignores batches of sources the catalog does not know', () => {
      const applied = applyBatch(initial(), [aSnapshotBatch('consul/unknown', [payments])], NOW);
      expect(applied.change).toBeUndefined();
      expect(applied.state.services.size).toBe(0);
    });
  });

  describe('revisions', () => {
    it('does not bump the revision for an unchanged snapshot or upsert', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments, orders])]);
      const again = applyBatch(before, [aSnapshotBatch(FILE, [orders, payments])], NOW);
      expect(again.change).toBeUndefined();
      expect(again.state.revision).toBe(1);
      expect(again.writes.upserts).toEqual([]);
      const upsert = applyBatch(
        before,
        [aSourceBatch(FILE, { upserts: new Map([['default/payments', payments]]) })],
        NOW,
      );
      expect(upsert.change).toBeUndefined();
      expect(upsert.state.revision).toBe(1);
    });

    it('does not bump the revision for a repeated status', () => {
      const synced = [aSourceBatch(FILE, { status: { state: 'synced' } })];
      const before = applyAll(initial(), synced);
      expect(before.revision).toBe(1);
      const again = applyBatch(before, synced, NOW);
      expect(again.change).toBeUndefined();
      expect(again.state.revision).toBe(1);
    });

    it('bumps the revision by exactly one per changing batch, however much it holds', () => {
      let state = initial();
      const revisions: number[] = [];
      const batches: Batch[] = [
        [
          aSnapshotBatch(FILE, [payments, orders]),
          aSnapshotBatch(K8S, [ledger]),
          aSourceBatch(K8S, { status: { state: 'synced' } }),
        ],
        [aSnapshotBatch(FILE, [payments, orders])],
        [
          aSourceBatch(FILE, {
            upserts: new Map([
              ['default/orders', null],
              ['default/payments', null],
            ]),
          }),
        ],
        [aSourceBatch(K8S, { status: { state: 'degraded', error: 'boom' } })],
      ];
      for (const batch of batches) {
        const applied = applyBatch(state, batch, NOW);
        state = applied.state;
        revisions.push(state.revision);
        if (applied.change) expect(applied.change.revision).toBe(state.revision);
      }
      expect(revisions).toEqual([1, 1, 2, 3]);
    });

    it('does not mutate the state it was given', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments])]);
      const services = [...before.services.keys()];
      applyBatch(
        before,
        [aSnapshotBatch(FILE, [orders]), aSourceBatch(K8S, { status: { state: 'down' } })],
        NOW,
      );
      expect([...before.services.keys()]).toEqual(services);
      expect(before.revision).toBe(1);
      expect(before.sources.get(K8S)?.state).toBe('syncing');
      expect(before.records.get(FILE)?.has('default/payments')).toBe(true);
    });
  });

  describe('source status', () => {
    it('bumps the revision for a status change and lists the source, with its error', () => {
      const { state, change } = applyBatch(
        initial(),
        [aSourceBatch(K8S, { status: { state: 'degraded', error: 'watch failed' } })],
        NOW,
      );
      expect(change).toMatchObject({ revision: 1, services: [], sources: [K8S] });
      expect(state.sources.get(K8S)).toMatchObject({ state: 'degraded', lastError: 'watch failed' });
    });

    it('clears lastError when a status without an error arrives', () => {
      const before = applyAll(initial(), [aSourceBatch(K8S, { status: { state: 'degraded', error: 'x' } })]);
      const { state } = applyBatch(before, [aSourceBatch(K8S, { status: { state: 'synced' } })], NOW);
      expect(state.sources.get(K8S)?.lastError).toBeNull();
    });

    it('marks the endpoints of a source that goes down stale, changing its services', () => {
      const before = applyAll(initial(), [
        aSnapshotBatch(FILE, [payments, orders]),
        aSnapshotBatch(K8S, [ledger]),
      ]);
      const { state, change } = applyBatch(
        before,
        [aSourceBatch(FILE, { status: { state: 'down', error: 'gone' } })],
        NOW,
      );
      expect(state.sources.get(FILE)).toMatchObject({ state: 'down', stale: true });
      expect(state.services.get('default/payments')?.endpoints.every((e) => e.stale)).toBe(true);
      expect(state.services.get('default/ledger')?.endpoints.some((e) => e.stale)).toBe(false);
      expect(change?.services).toEqual([
        { namespace: 'default', name: 'orders', op: 'upsert' },
        { namespace: 'default', name: 'payments', op: 'upsert' },
      ]);
      expect(change?.sources).toEqual([FILE]);
      expect(state.services.get('default/ledger')?.revision).toBe(1);
    });

    it('keeps serving the records of a source that is down', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments])]);
      const { state } = applyBatch(before, [aSourceBatch(FILE, { status: { state: 'down' } })], NOW);
      expect(state.services.get('default/payments')?.endpoints.map((e) => e.address)).toEqual(['10.0.0.1']);
    });

    it('marks a degraded source stale only when the status says so', () => {
      const before = applyAll(initial(), [aSnapshotBatch(FILE, [payments])]);
      const plain = applyBatch(
        before,
        [aSourceBatch(FILE, { status: { state: 'degraded', error: 'bad file' } })],
        NOW,
      );
      expect(plain.state.sources.get(FILE)?.stale).toBe(false);
      const unreachable = applyBatch(
        before,
        [aSourceBatch(FILE, { status: { state: 'degraded', error: 'unreachable', stale: true } })],
        NOW,
      );
      expect(unreachable.state.services.get('default/payments')?.endpoints[0]?.stale).toBe(true);
    });

    it('clears stale with a later snapshot', () => {
      const down = applyAll(
        initial(),
        [aSnapshotBatch(FILE, [payments])],
        [aSourceBatch(FILE, { status: { state: 'down' } })],
      );
      const { state, change } = applyBatch(down, [aSnapshotBatch(FILE, [payments])], NOW);
      expect(state.sources.get(FILE)?.stale).toBe(false);
      expect(state.services.get('default/payments')?.endpoints[0]?.stale).toBe(false);
      expect(change?.services).toEqual([{ namespace: 'default', name: 'payments', op: 'upsert' }]);
    });

    it('keeps a down source stale while it restarts (syncing) until its snapshot arrives', () => {
      const down = applyAll(
        initial(),
        [aSnapshotBatch(FILE, [payments])],
        [aSourceBatch(FILE, { status: { state: 'down' } })],
      );
      const syncing = applyBatch(down, [aSourceBatch(FILE, { status: { state: 'syncing' } })], NOW).state;
      expect(syncing.sources.get(FILE)).toMatchObject({ state: 'syncing', stale: true });
      expect(syncing.services.get('default/payments')?.endpoints[0]?.stale).toBe(true);
      const resynced = applyBatch(syncing, [aSnapshotBatch(FILE, [payments])], NOW).state;
      expect(resynced.services.get('default/payments')?.endpoints[0]?.stale).toBe(false);
    });

    it('clears stale when a synced status arrives without a new snapshot (nothing changed upstream)', () => {
      const down = applyAll(
        initial(),
        [aSnapshotBatch(FILE, [payments])],
        [aSourceBatch(FILE, { status: { state: 'degraded', stale: true } })],
      );
      const { state } = applyBatch(down, [aSourceBatch(FILE, { status: { state: 'synced' } })], NOW);
      expect(state.sources.get(FILE)?.stale).toBe(false);
    });

    it('stays stale when a window holds a snapshot followed by the source going down', () => {
      const { state } = applyBatch(
        initial(),
        [aSnapshotBatch(FILE, [payments], { status: { state: 'down' } })],
        NOW,
      );
      expect(state.services.get('default/payments')?.endpoints[0]?.stale).toBe(true);
    });

    it('moves lastSync on a snapshot, an upsert or a synced status, without a new revision', () => {
      const first = applyAll(initial(), [aSnapshotBatch(FILE, [payments])]);
      expect(first.sources.get(FILE)?.lastSync).toBe(NOW);
      const later = '2024-05-01T12:05:00.000Z';
      const quiet = applyBatch(first, [aSnapshotBatch(FILE, [payments])], later);
      expect(quiet.change).toBeUndefined();
      expect(quiet.state.revision).toBe(1);
      expect(quiet.state.sources.get(FILE)?.lastSync).toBe(later);
    });
  });

  describe('record errors', () => {
    it('replaces the reasons of one key and keeps the others', () => {
      const first = applyAll(initial(), [
        aSourceBatch(FILE, {
          recordErrors: new Map([
            ['default/a', ['a: bad']],
            ['default/b', ['b: bad']],
          ]),
        }),
      ]);
      const { state, change } = applyBatch(
        first,
        [aSourceBatch(FILE, { recordErrors: new Map([['default/a', ['a: worse']]]) })],
        NOW,
      );
      expect([...(state.sources.get(FILE)?.recordErrors ?? [])]).toEqual([
        ['default/a', ['a: worse']],
        ['default/b', ['b: bad']],
      ]);
      expect(change?.sources).toEqual([FILE]);
    });

    it('clears the reasons of a key given an empty list', () => {
      const first = applyAll(initial(), [
        aSourceBatch(FILE, { recordErrors: new Map([['default/a', ['a: bad']]]) }),
      ]);
      const { state } = applyBatch(
        first,
        [aSourceBatch(FILE, { recordErrors: new Map([['default/a', []]]) })],
        NOW,
      );
      expect(state.sources.get(FILE)?.recordErrors.size).toBe(0);
    });

    it('clears every reason with a snapshot, keeping only the snapshot own ones', () => {
      const first = applyAll(initial(), [
        aSourceBatch(FILE, {
          recordErrors: new Map([
            ['default/a', ['a: bad']],
            ['default/b', ['b: bad']],
          ]),
        }),
      ]);
      const { state } = applyBatch(
        first,
        [aSnapshotBatch(FILE, [payments], { recordErrors: new Map([['default/c', ['c: bad']]]) })],
        NOW,
      );
      expect([...(state.sources.get(FILE)?.recordErrors ?? [])]).toEqual([['default/c', ['c: bad']]]);
    });

    it('does not bump the revision when the same reasons are reported again', () => {
      const errors = aSourceBatch(FILE, { recordErrors: new Map([['default/a', ['a: bad']]]) });
      const first = applyAll(initial(), [errors]);
      expect(applyBatch(first, [errors], NOW).change).toBeUndefined();
    });
  });

  describe('writes', () => {
    it('lists the record bodies to store and every source of a changing batch', () => {
      const { writes } = applyBatch(
        initial(),
        [aSnapshotBatch(FILE, [payments]), aSourceBatch(K8S, { status: { state: 'syncing' } })],
        NOW,
      );
      expect(writes.upserts).toEqual([
        { sourceId: FILE, namespace: 'default', name: 'payments', body: JSON.stringify(payments) },
      ]);
      expect(writes.sources.map((s) => s.id)).toEqual([FILE, K8S]);
      expect(writes.services).toEqual([{ namespace: 'default', name: 'payments', revision: 1 }]);
    });
  });
});
