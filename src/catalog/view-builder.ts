/** Pure: catalog state → the immutable view servers read (source counts included). */
import { catalogVersionOf } from '../model/revision.js';
import { endpointsOf, type CatalogState, type HeldRecord, type SourceRuntime } from './state.js';
import type { CatalogView, SourceStatus } from './view.js';

const MAX_RECORD_ERRORS = 50;

function statusOf(src: SourceRuntime, held: ReadonlyMap<string, HeldRecord> | undefined): SourceStatus {
  return {
    id: src.id,
    kind: src.kind,
    priority: src.priority,
    state: src.state,
    lastSync: src.lastSync,
    lastError: src.lastError,
    recordErrors: [...src.recordErrors.values()].flat().slice(0, MAX_RECORD_ERRORS),
    services: held?.size ?? 0,
    endpoints: endpointsOf(held),
    stale: src.stale,
  };
}

/**
 * Builds the view of one state; the Catalog caches it per state object. With the previous state and
 * its view, a source whose runtime and records are the same objects keeps its status object, so a
 * batch costs O(sources it names), never a recount of every service.
 */
export function buildView(
  state: CatalogState,
  previous?: { readonly state: CatalogState; readonly view: CatalogView },
): CatalogView {
  const sources = new Map<string, SourceStatus>();
  for (const src of state.sources.values()) {
    if (!src.configured) continue;
    const held = state.records.get(src.id);
    const kept =
      previous !== undefined &&
      previous.state.sources.get(src.id) === src &&
      previous.state.records.get(src.id) === held
        ? previous.view.sources.get(src.id)
        : undefined;
    sources.set(src.id, kept ?? statusOf(src, held));
  }
  return {
    epoch: state.epoch,
    revision: state.revision,
    version: catalogVersionOf(state.epoch, state.revision),
    services: state.services,
    sources,
  };
}
