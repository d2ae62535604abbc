/**
 * Pure: (state, batch) → next state and what to persist. No I/O; the Catalog commits the result
 * to SQLite and only then publishes it, so a failed commit publishes nothing.
 */
import type { ServiceRecord } from '../model/service.js';
import type { Batch, SourceBatch } from './batch.js';
import { heldRecordsOf, type CatalogState, type HeldRecord, type SourceRuntime } from './state.js';
import { SortedMap } from './sorted-map.js';
import { mergeService, type RankedRecord } from './union.js';
import type { CatalogChange, CatalogService, ServiceChange } from './view.js';

/** Writes the store must make for one applied batch. */
export interface AppliedWrites {
  readonly upserts: { sourceId: string; namespace: string; name: string; body: string }[];
  readonly deletes: { sourceId: string; namespace: string; name: string }[];
  readonly sources: SourceRuntime[];
  readonly services: { namespace: string; name: string; revision: number | null }[];
}

/** The outcome of one batch: `change` is undefined when nothing observable changed (no new revision). */
export interface Applied {
  readonly state: CatalogState;
  readonly writes: AppliedWrites;
  readonly change: CatalogChange | undefined;
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Applies one source batch to its records; costs O(records in the batch), plus O(source) for a snapshot. */
function applyRecords(
  sb: SourceBatch,
  before: SortedMap<HeldRecord>,
  writes: AppliedWrites,
  touched: Set<string>,
): SortedMap<HeldRecord> {
  const changes = new Map<string, HeldRecord | undefined>();
  const current = (key: string): HeldRecord | undefined =>
    changes.has(key) ? changes.get(key) : before.get(key);
  const remove = (key: string): void => {
    if (current(key) === undefined) return;
    changes.set(key, undefined);
    writes.deletes.push({ sourceId: sb.sourceId, ...splitKey(key) });
    touched.add(key);
  };
  const put = (key: string, record: ServiceRecord): void => {
    const held = current(key);
    // Compared as data, not as JSON text: an unchanged record (a resync) costs no serialization.
    if (held !== undefined && (held.record === record || sameData(held.record, record))) return;
    changes.set(key, { record });
    writes.upserts.push({
      sourceId: sb.sourceId,
      namespace: record.namespace,
      name: record.name,
      body: JSON.stringify(record),
    });
    touched.add(key);
  };
  if (sb.snapshot) {
    for (const key of before.keys()) if (!sb.snapshot.has(key) && !sb.keep?.has(key)) remove(key);
    for (const [key, record] of sb.snapshot) put(key, record);
  }
  for (const [key, record] of sb.upserts) {
    if (record === null) remove(key);
    else put(key, record);
  }
  return changes.size === 0 ? before : before.update(changes);
}

function sameErrors(
  a: ReadonlyMap<string, readonly string[]>,
  b: ReadonlyMap<string, readonly string[]>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [key, list] of a) if (JSON.stringify(list) !== JSON.stringify(b.get(key))) return false;
  return true;
}

function nextSource(src: SourceRuntime, sb: SourceBatch, now: string): SourceRuntime {
  const status = sb.status;
  const recordErrors = new Map(sb.snapshot ? [] : src.recordErrors);
  for (const [key, list] of sb.recordErrors) {
    if (list.length === 0) recordErrors.delete(key);
    else recordErrors.set(key, list);
  }
  // Stale until the source vouches for its records again: a snapshot, or a synced/degraded status.
  // `syncing` (a restart after `down`, or the first status after a warm start) vouches for nothing.
  let stale = src.stale;
  if (status?.stale !== undefined) stale = status.stale;
  else if (status?.state === 'down') stale = true;
  else if (sb.snapshot || status?.state === 'synced' || status?.state === 'degraded') stale = false;
  const heard = sb.snapshot !== undefined || sb.upserts.size > 0 || status?.state === 'synced';
  return {
    ...src,
    state: status?.state ?? src.state,
    stale,
    lastSync: heard ? now : src.lastSync,
    lastError: status ? (status.error ?? null) : src.lastError,
    recordErrors,
  };
}

function sourceChanged(a: SourceRuntime, b: SourceRuntime): boolean {
  return (
    a.state !== b.state ||
    a.stale !== b.stale ||
    a.lastError !== b.lastError ||
    !sameErrors(a.recordErrors, b.recordErrors)
  );
}

function rankedFor(key: string, state: Pick<CatalogState, 'records' | 'sources'>): RankedRecord[] {
  const ranked: RankedRecord[] = [];
  for (const [sourceId, held] of state.records) {
    const h = held.get(key);
    const src = state.sources.get(sourceId);
    if (h && src) ranked.push({ sourceId, priority: src.priority, stale: src.stale, record: h.record });
  }
  return ranked;
}

/** Whether two merged services are equal in everything but their revision. */
export function sameService(a: CatalogService, b: CatalogService): boolean {
  if (a === b) return true;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let count = 0;
  for (const key in x) {
    const value = x[key];
    if (key === 'revision' || value === undefined) continue;
    count += 1;
    if (!sameData(value, y[key])) return false;
  }
  for (const key in y) if (key !== 'revision' && y[key] !== undefined) count -= 1;
  return count === 0;
}

/**
 * Deep equality of JSON-like data (plain objects, arrays, primitives) as their JSON texts would
 * compare, key order aside (an undefined property counts as absent), stopping at the first difference.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const key in x) {
    const value = x[key];
    if (value === undefined) continue;
    count += 1;
    if (!sameData(value, y[key])) return false;
  }
  for (const key in y) if (y[key] !== undefined) count -= 1;
  return count === 0;
}

/**
 * Applies one batch to the state. Costs O(services the batch touches) (plus O(N / 64) pointer copies
 * for the shared maps): records and merged services are structurally shared with the previous state.
 */
export function applyBatch(state: CatalogState, batch: Batch, now: string): Applied {
  const writes: AppliedWrites = { upserts: [], deletes: [], sources: [], services: [] };
  const records = new Map(state.records);
  const sources = new Map(state.sources);
  const touched = new Set<string>();
  const changedSources: string[] = [];
  let lastSyncMoved = false;

  for (const sb of batch) {
    const src = sources.get(sb.sourceId);
    if (!src) continue;
    const before = heldRecordsOf(records.get(sb.sourceId));
    const held = applyRecords(sb, before, writes, touched);
    records.set(sb.sourceId, held);
    const next = nextSource(src, sb, now);
    sources.set(sb.sourceId, next);
    if (next.stale !== src.stale) {
      for (const key of before.keys()) touched.add(key);
      for (const key of held.keys()) touched.add(key);
    }
    if (sourceChanged(src, next)) changedSources.push(sb.sourceId);
    lastSyncMoved ||= next.lastSync !== src.lastSync;
  }

  const revision = state.revision + 1;
  const serviceUpdates: [string, CatalogService | undefined][] = [];
  const serviceChanges: ServiceChange[] = [];
  for (const key of [...touched].sort()) {
    const ranked = rankedFor(key, { records, sources });
    const previous = state.services.get(key);
    if (ranked.length === 0) {
      if (!previous) continue;
      serviceUpdates.push([key, undefined]);
      serviceChanges.push({ ...splitKey(key), op: 'delete' });
      writes.services.push({ ...splitKey(key), revision: null });
      continue;
    }
    const merged = mergeService(ranked, state.domain, revision);
    if (previous && sameService(previous, merged)) continue;
    serviceUpdates.push([key, merged]);
    serviceChanges.push({ ...splitKey(key), op: 'upsert' });
    writes.services.push({ ...splitKey(key), revision });
  }

  const changed =
    writes.upserts.length + writes.deletes.length + serviceChanges.length + changedSources.length > 0;
  if (!changed) {
    const quiet = lastSyncMoved ? { ...state, sources } : state;
    return { state: quiet, writes, change: undefined };
  }
  for (const sb of batch) {
    const src = sources.get(sb.sourceId);
    if (src) writes.sources.push(src);
  }
  const services = SortedMap.of(state.services).update(serviceUpdates);
  return {
    state: { ...state, revision, records, sources, services },
    writes,
    change: { epoch: state.epoch, revision, services: serviceChanges, sources: changedSources },
  };
}
