/**
 * The catalog: in-memory state + SQLite store + change feed. `apply` is the only way in
 * (CatalogWriter); servers read through CatalogReader. Warm start loads the last committed
 * catalog before any source syncs, with every source's records marked stale until it reports.
 */
import { Subject, type Observable } from 'rxjs';
import { serviceKeyOf, type ServiceRecord } from '../model/service.js';
import { SOURCE_STATES, type SourceState } from '../registry.js';
import { applyBatch, type Applied } from './apply.js';
import type { Batch } from './batch.js';
import { heldRecordsOf, type CatalogState, type HeldRecord, type SourceRuntime } from './state.js';
import { SortedMap } from './sorted-map.js';
import type { CatalogStore, StoredHead, StoredRecord } from './store.js';
import { mergeService, type RankedRecord } from './union.js';
import { buildView } from './view-builder.js';
import type { CatalogChange, CatalogReader, CatalogService, CatalogView } from './view.js';

/** A configured source as the catalog needs it. */
export interface CatalogSource {
  readonly id: string;
  readonly kind: string;
  readonly priority: number;
}

export interface CatalogOptions {
  readonly domain: string;
  readonly sources: readonly CatalogSource[];
  /** How many revisions since() can replay. */
  readonly changeLogSize: number;
  readonly now?: () => Date;
}

/** The only writer into the catalog. */
export interface CatalogWriter {
  apply(batch: Batch): CatalogChange | undefined;
}

function asState(value: string): SourceState {
  return (SOURCE_STATES as readonly string[]).includes(value) ? (value as SourceState) : 'syncing';
}

function loadState(
  stored: StoredHead,
  storedRecords: Iterable<StoredRecord>,
  options: CatalogOptions,
): CatalogState {
  const sources = new Map<string, SourceRuntime>();
  const storedSources = new Map(stored.sources.map((s) => [s.sourceId, s]));
  for (const s of options.sources) {
    const row = storedSources.get(s.id);
    sources.set(s.id, {
      ...s,
      state: 'syncing',
      stale: row !== undefined,
      lastSync: row?.lastSync ?? null,
      lastError: row?.lastError ?? null,
      recordErrors: new Map(),
      configured: true,
    });
  }
  for (const row of stored.sources) {
    if (sources.has(row.sourceId)) continue;
    sources.set(row.sourceId, {
      id: row.sourceId,
      kind: row.kind,
      priority: -1,
      state: asState(row.state),
      stale: true,
      lastSync: row.lastSync,
      lastError: row.lastError,
      recordErrors: new Map(),
      configured: false,
    });
  }
  const grouped = new Map<string, [string, HeldRecord][]>();
  const byService = new Map<string, RankedRecord[]>();
  for (const { sourceId, body } of storedRecords) {
    const record = JSON.parse(body) as ServiceRecord;
    const key = serviceKeyOf(record);
    let held = grouped.get(sourceId);
    if (!held) grouped.set(sourceId, (held = []));
    held.push([key, { record }]);
    const src = sources.get(sourceId)!;
    const ranked = { sourceId, priority: src.priority, stale: src.stale, record };
    const list = byService.get(key);
    if (list) list.push(ranked);
    else byService.set(key, [ranked]);
  }
  const records = new Map<string, ReadonlyMap<string, HeldRecord>>();
  for (const [sourceId, held] of grouped) records.set(sourceId, heldRecordsOf(new Map(held)));
  const services: [string, CatalogService][] = [];
  for (const [key, ranked] of byService) {
    services.push([
      key,
      mergeService(ranked, options.domain, stored.serviceRevisions.get(key) ?? stored.revision),
    ]);
  }
  return {
    epoch: stored.epoch,
    revision: stored.revision,
    domain: options.domain,
    records,
    sources,
    services: SortedMap.from(services),
  };
}

/** The catalog service of the daemon: CatalogWriter for the pipeline, CatalogReader for servers. */
export class Catalog implements CatalogReader, CatalogWriter {
  private state: CatalogState;
  private cachedView: { state: CatalogState; view: CatalogView } | undefined;
  private readonly feed = new Subject<CatalogChange>();
  private readonly log: CatalogChange[];
  private readonly warm: boolean;
  private closed = false;

  constructor(
    private readonly store: CatalogStore,
    private readonly options: CatalogOptions,
  ) {
    const stored = store.loadHead();
    this.state = loadState(stored, store.records(), options);
    this.log = [...stored.changes];
    this.warm = stored.revision > 0 && [...this.state.records.values()].some((held) => held.size > 0);
    this.pruneUnconfigured();
  }

  /** True when the catalog was served from the database at start. */
  get warmStarted(): boolean {
    return this.warm;
  }

  /** Applies one batch: one SQLite transaction, one revision, one change on the feed. */
  apply(batch: Batch): CatalogChange | undefined {
    if (this.closed) return undefined;
    const applied = applyBatch(this.state, batch, this.now());
    return this.commit(applied, []);
  }

  view(): CatalogView {
    if (this.cachedView?.state !== this.state)
      this.cachedView = { state: this.state, view: buildView(this.state, this.cachedView) };
    return this.cachedView.view;
  }

  changes(): Observable<CatalogChange> {
    return this.feed.asObservable();
  }

  since(revision: number): readonly CatalogChange[] | undefined {
    if (revision >= this.state.revision) return [];
    const first = this.log[0];
    if (!first || revision < first.revision - 1) return undefined;
    return this.log.filter((c) => c.revision > revision);
  }

  ready(): boolean {
    if (this.warm) return true;
    for (const src of this.state.sources.values()) {
      if (src.configured && src.state !== 'synced' && src.state !== 'degraded') return false;
    }
    return true;
  }

  /** Completes the feed and closes the database. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.complete();
    this.store.close();
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private commit(applied: Applied, deletedSources: string[]): CatalogChange | undefined {
    const { change, writes } = applied;
    if (!change) {
      this.state = applied.state;
      return undefined;
    }
    this.store.commit({
      revision: change.revision,
      upserts: writes.upserts,
      deletes: writes.deletes,
      sources: writes.sources.map((s) => ({
        sourceId: s.id,
        kind: s.kind,
        state: s.state,
        lastSync: s.lastSync,
        lastError: s.lastError,
      })),
      deletedSources,
      services: writes.services,
      change,
      keepChanges: this.options.changeLogSize,
    });
    this.state = applied.state;
    this.log.push(change);
    if (this.log.length > this.options.changeLogSize)
      this.log.splice(0, this.log.length - this.options.changeLogSize);
    this.feed.next(change);
    return change;
  }

  /** Sources in the database but no longer configured: their records go, in one revision. */
  private pruneUnconfigured(): void {
    const gone = [...this.state.sources.values()].filter((s) => !s.configured).map((s) => s.id);
    if (gone.length === 0) return;
    const batch: Batch = gone.map((sourceId) => ({
      sourceId,
      snapshot: new Map(),
      upserts: new Map(),
      recordErrors: new Map(),
    }));
    const applied = applyBatch(this.state, batch, this.now());
    const sources = new Map(applied.state.sources);
    for (const id of gone) sources.delete(id);
    const records = new Map(applied.state.records);
    for (const id of gone) records.delete(id);
    const change = applied.change ?? {
      epoch: this.state.epoch,
      revision: this.state.revision + 1,
      services: [],
      sources: gone,
    };
    this.commit(
      {
        state: { ...applied.state, revision: change.revision, sources, records },
        writes: { ...applied.writes, sources: [] },
        change: { ...change, sources: gone },
      },
      gone,
    );
  }
}
