/** Pure: catalog state → the immutable view servers read (source counts included). */
import { catalogVersionOf } from '../model/revision.js';
import type { CatalogState } from './state.js';
import type { CatalogView, SourceStatus } from './view.js';

const MAX_RECORD_ERRORS = 50;

/** Builds the view of one state; the Catalog caches it per state object. */
export function buildView(state: CatalogState): CatalogView {
  const sources = new Map<string, SourceStatus>();
  for (const src of state.sources.values()) {
    if (!src.configured) continue;
    const held = state.records.get(src.id);
    let endpoints = 0;
    for (const h of held?.values() ?? []) endpoints += h.record.endpoints.length;
    sources.set(src.id, {
      id: src.id,
      kind: src.kind,
      priority: src.priority,
      state: src.state,
      lastSync: src.lastSync,
      lastError: src.lastError,
      recordErrors: [...src.recordErrors.values()].flat().slice(0, MAX_RECORD_ERRORS),
      services: held?.size ?? 0,
      endpoints,
      stale: src.stale,
    });
  }
  return {
    epoch: state.epoch,
    revision: state.revision,
    version: catalogVersionOf(state.epoch, state.revision),
    services: state.services,
    sources,
  };
}
