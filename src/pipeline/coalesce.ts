/**
 * Pure latest-wins coalescing per (source, service) within one window (STYLE.md habit 5): the one
 * place events are folded. A snapshot replaces everything of its source seen before it in the
 * window; later upserts and deletes fold into that snapshot; the last status wins.
 */
import type { Batch, SourceBatch, SourceStatusUpdate } from '../catalog/batch.js';
import type { ServiceRecord } from '../model/service.js';
import type { CheckedEvent } from './validate.js';

/** An event tagged with the id of the source that sent it. */
export interface TaggedEvent {
  readonly sourceId: string;
  readonly event: CheckedEvent;
}

interface Pending {
  snapshot: Map<string, ServiceRecord> | undefined;
  keep: Set<string>;
  upserts: Map<string, ServiceRecord | null>;
  status: SourceStatusUpdate | undefined;
  recordErrors: Map<string, readonly string[]>;
}

function fold(p: Pending, event: CheckedEvent): void {
  switch (event.type) {
    case 'status':
      p.status = { state: event.status.state, error: event.status.error, stale: event.status.stale };
      return;
    case 'snapshot':
      // A snapshot after a `down` in the same window means the source came back: drop that status.
      if (p.status?.state === 'down') p.status = undefined;
      p.snapshot = new Map(event.services);
      p.keep = new Set(event.keep);
      p.upserts = new Map();
      p.recordErrors = new Map(event.errors);
      return;
    case 'upsert':
    case 'delete': {
      for (const [key, list] of event.errors) p.recordErrors.set(key, list);
      const record = event.type === 'upsert' ? event.record : null;
      if (record === undefined) return;
      if (p.snapshot) {
        if (record === null) p.snapshot.delete(event.key);
        else p.snapshot.set(event.key, record);
        p.keep.delete(event.key);
      } else p.upserts.set(event.key, record);
    }
  }
}

/** Folds a window of tagged events into one batch, sources in first-seen order. */
export function coalesce(events: readonly TaggedEvent[]): Batch {
  const pending = new Map<string, Pending>();
  for (const { sourceId, event } of events) {
    let p = pending.get(sourceId);
    if (!p) {
      p = {
        snapshot: undefined,
        keep: new Set(),
        upserts: new Map(),
        status: undefined,
        recordErrors: new Map(),
      };
      pending.set(sourceId, p);
    }
    fold(p, event);
  }
  return [...pending].map(([sourceId, p]): SourceBatch => ({
    sourceId,
    ...(p.snapshot ? { snapshot: p.snapshot, keep: p.keep } : {}),
    upserts: p.upserts,
    ...(p.status ? { status: p.status } : {}),
    recordErrors: p.recordErrors,
  }));
}
