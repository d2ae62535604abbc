/** The catalog's in-memory state: what each source said, per-source runtime status, merged services. */
import type { ServiceRecord } from '../model/service.js';
import type { SourceState } from '../registry.js';
import type { CatalogService } from './view.js';

/** A source's record with its canonical JSON (the unchanged-check and the stored body). */
export interface HeldRecord {
  readonly record: ServiceRecord;
  readonly json: string;
}

/** What the catalog tracks about one source. */
export interface SourceRuntime {
  readonly id: string;
  readonly kind: string;
  readonly priority: number;
  readonly state: SourceState;
  readonly stale: boolean;
  readonly lastSync: string | null;
  readonly lastError: string | null;
  readonly recordErrors: ReadonlyMap<string, readonly string[]>;
  /** False for a source known only from the database (no longer configured). */
  readonly configured: boolean;
}

/** Immutable catalog state at one revision. */
export interface CatalogState {
  readonly epoch: string;
  readonly revision: number;
  readonly domain: string;
  readonly records: ReadonlyMap<string, ReadonlyMap<string, HeldRecord>>;
  readonly sources: ReadonlyMap<string, SourceRuntime>;
  readonly services: ReadonlyMap<string, CatalogService>;
}
