/**
 * The catalog's in-memory state: what each source said, per-source runtime status, merged services.
 * The catalog keeps records and services in SortedMaps (structurally shared between revisions); the
 * types say ReadonlyMap so a state can also be written by hand (tests).
 */
import type { ServiceRecord } from '../model/service.js';
import type { SourceState } from '../registry.js';
import { SortedMap } from './sorted-map.js';
import type { CatalogService } from './view.js';

/** A source's record as the catalog holds it (its JSON text is written to the store, not kept). */
export interface HeldRecord {
  readonly record: ServiceRecord;
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

/** A held record's share of its source's endpoint count. */
function endpointsOfHeld(held: HeldRecord): number {
  return held.record.endpoints.length;
}

/** A source's records as a SortedMap whose weight is its endpoint count (the view's per-source totals). */
export function heldRecordsOf(map: ReadonlyMap<string, HeldRecord> | undefined): SortedMap<HeldRecord> {
  return map === undefined ? SortedMap.empty(endpointsOfHeld) : SortedMap.of(map, endpointsOfHeld);
}

/** Endpoints over a source's records: the maintained weight of its SortedMap, else counted. */
export function endpointsOf(held: ReadonlyMap<string, HeldRecord> | undefined): number {
  if (held === undefined) return 0;
  if (held instanceof SortedMap && held.measuredBy(endpointsOfHeld)) return held.weight;
  let endpoints = 0;
  for (const h of held.values()) endpoints += h.record.endpoints.length;
  return endpoints;
}
