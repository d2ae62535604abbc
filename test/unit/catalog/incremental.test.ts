/**
 * The catalog's incremental bookkeeping (structurally shared records and services, per-source counts
 * kept as batches go, views reusing unchanged source statuses, SQLite written for touched rows only)
 * must always agree with a from-scratch rebuild. Seeded random sequences of batches check it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { applyBatch } from '../../../src/catalog/apply.js';
import { Catalog } from '../../../src/catalog/catalog.js';
import type { CatalogState, HeldRecord } from '../../../src/catalog/state.js';
import { CatalogStore } from '../../../src/catalog/store.js';
import { mergeService, type RankedRecord } from '../../../src/catalog/union.js';
import { buildView } from '../../../src/catalog/view-builder.js';
import type { CatalogService, CatalogView } from '../../../src/catalog/view.js';
import { aCatalogState, aSourceRuntime } from '../../support/builders.js';
import { RANDOM_SOURCES, RandomBatches } from './random-batches.js';

const NOW = '2024-05-01T12:00:00.000Z';

/** Every service merged again from every source's records, as if nothing had been kept. */
function mergedFromScratch(state: CatalogState): Map<string, CatalogService> {
  const byKey = new Map<string, RankedRecord[]>();
  for (const [sourceId, held] of state.records) {
    const src = state.sources.get(sourceId)!;
    for (const [key, { record }] of held) {
      const ranked = byKey.get(key) ?? [];
      ranked.push({ sourceId, priority: src.priority, stale: src.stale, record });
      byKey.set(key, ranked);
    }
  }
  const sorted = [...byKey.keys()].sort();
  return new Map(sorted.map((key) => [key, mergeService(byKey.get(key)!, state.domain, 0)]));
}

function withoutRevision(services: Iterable<[string, CatalogService]>): [string, CatalogService][] {
  return [...services].map(([key, service]) => [key, { ...service, revision: 0 }]);
}

/** Deep equality, checked as JSON first (jest's deep equality is slow on whole catalogs), with jest's diff when it fails. */
function expectEqual(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

/** The same state with plain Maps, so buildView counts every endpoint instead of reading totals. */
function plainState(state: CatalogState): CatalogState {
  const records = new Map<string, ReadonlyMap<string, HeldRecord>>();
  for (const [id, held] of state.records) records.set(id, new Map(held));
  return { ...state, records, services: new Map(state.services) };
}

describe('incremental catalog state', () => {
  it.each([1, 2, 3])(
    'equals a from-scratch rebuild after every batch of a random sequence (seed %i)',
    (seed) => {
      const batches = new RandomBatches(seed);
      let state = aCatalogState(RANDOM_SOURCES.map((s) => aSourceRuntime(s.id, s)));
      let cached: { state: CatalogState; view: CatalogView } | undefined;
      let revisions = 0;
      for (let step = 0; step < 150; step++) {
        const applied = applyBatch(state, batches.next(), NOW);
        if (applied.change) revisions += 1;
        state = applied.state;
        // Merged services: same keys, same order, same content as a full merge.
        expectEqual(withoutRevision(state.services), withoutRevision(mergedFromScratch(state)));
        // Counts: the view built from the previous one equals one that counts everything again.
        const view = buildView(state, cached);
        expectEqual([...view.sources], [...buildView(plainState(state)).sources]);
        cached = { state, view };
      }
      expect(revisions).toBeGreaterThan(50);
      expect(state.services.size).toBeGreaterThan(0);
    },
  );

  it('lists exactly the services whose merged content changed, with their new revision', () => {
    const batches = new RandomBatches(7);
    let state = aCatalogState(RANDOM_SOURCES.map((s) => aSourceRuntime(s.id, s)));
    const mismatches: string[] = [];
    for (let step = 0; step < 150; step++) {
      const before = state;
      const { state: after, change } = applyBatch(before, batches.next(), NOW);
      state = after;
      const listed = new Set((change?.services ?? []).map((s) => `${s.namespace}/${s.name}`));
      const keys = new Set([...before.services.keys(), ...after.services.keys()]);
      for (const key of keys) {
        const a = before.services.get(key);
        const b = after.services.get(key);
        const differs =
          a === undefined || b === undefined
            ? a !== b
            : JSON.stringify({ ...a, revision: 0 }) !== JSON.stringify({ ...b, revision: 0 });
        if (listed.has(key) !== differs) mismatches.push(`step ${step} ${key}: listed ${listed.has(key)}`);
        if (listed.has(key) && b !== undefined && b.revision !== after.revision)
          mismatches.push(`step ${step} ${key}: revision ${b.revision} in revision ${after.revision}`);
        if (!listed.has(key) && b !== a) mismatches.push(`step ${step} ${key}: unlisted but replaced`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('Catalog on SQLite after a random sequence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-incremental-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The view's services as a restart serves them: every endpoint stale, nothing else different. */
  function asReloaded(view: CatalogView): unknown {
    return [...view.services].map(([key, s]) => [
      key,
      { ...s, endpoints: s.endpoints.map((e) => ({ ...e, stale: true })) },
    ]);
  }

  it.each([11, 12])('reloads to the view it served (seed %i)', (seed) => {
    const path = join(dir, 'tributary.db');
    const options = { domain: 'svc.cluster.local', sources: RANDOM_SOURCES, changeLogSize: 50 };
    const catalog = new Catalog(CatalogStore.open(path), options);
    const batches = new RandomBatches(seed);
    for (let step = 0; step < 120; step++) catalog.apply(batches.next());
    const served = catalog.view();
    catalog.close();
    const reopened = new Catalog(CatalogStore.open(path), options);
    try {
      const loaded = reopened.view();
      expect(loaded.revision).toBe(served.revision);
      expect(asReloaded(loaded)).toEqual(asReloaded(served));
      const counts = (view: CatalogView) =>
        [...view.sources.values()].map(({ id, services, endpoints }) => ({ id, services, endpoints }));
      expect(counts(loaded)).toEqual(counts(served));
    } finally {
      reopened.close();
    }
  });
});
