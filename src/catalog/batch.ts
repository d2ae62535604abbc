/** What the pipeline hands the catalog: per source, the coalesced result of a window of events. */
import type { ServiceRecord } from '../model/service.js';
import type { SourceState } from '../registry.js';

/** A source status as it reaches the catalog. */
export interface SourceStatusUpdate {
  readonly state: SourceState;
  readonly error?: string;
  readonly stale?: boolean;
}

/** One source's coalesced changes. Keys are `namespace/name`. */
export interface SourceBatch {
  readonly sourceId: string;
  /** The full state of the source when the window held a snapshot (later upserts folded in). */
  readonly snapshot?: ReadonlyMap<string, ServiceRecord>;
  /** Keys a snapshot named but whose records were rejected: their last good records are kept. */
  readonly keep?: ReadonlySet<string>;
  /** Latest record per service after the snapshot (or alone); null = deleted. */
  readonly upserts: ReadonlyMap<string, ServiceRecord | null>;
  readonly status?: SourceStatusUpdate;
  /**
   * Rejection reasons per service key ('' for the source as a whole); each listed key replaces that
   * key's previous reasons, an empty list clears them. A snapshot clears every key first.
   */
  readonly recordErrors: ReadonlyMap<string, readonly string[]>;
}

/** One window's worth of changes from every source that spoke. */
export type Batch = readonly SourceBatch[];
