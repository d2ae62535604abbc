/**
 * What an adapter last emitted per service key, as canonical JSON, so a change to its registry
 * state becomes the minimal upserts and deletes (replace semantics per service).
 */
import type { ServiceRecord } from '../../src/model/service.js';
import type { SourceEvent } from '../../src/registry.js';

export class EmittedRecords {
  private emitted: Map<string, string> | undefined;

  /** True once the snapshot was taken: from then on, `changes` says what to emit. */
  get snapshotted(): boolean {
    return this.emitted !== undefined;
  }

  /** The records of `keys` (sorted), remembered as emitted: the snapshot's services. */
  snapshot(keys: Iterable<string>, recordOf: (key: string) => ServiceRecord | undefined): ServiceRecord[] {
    const services: ServiceRecord[] = [];
    this.emitted = new Map();
    for (const key of [...keys].sort()) {
      const record = recordOf(key);
      if (record === undefined) continue;
      services.push(record);
      this.emitted.set(key, JSON.stringify(record));
    }
    return services;
  }

  /** An upsert or delete, in the order of `keys`, for each service whose record differs from what was emitted. */
  changes(keys: Iterable<string>, recordOf: (key: string) => ServiceRecord | undefined): SourceEvent[] {
    const emitted = this.emitted;
    if (emitted === undefined) return [];
    const events: SourceEvent[] = [];
    for (const key of keys) {
      const record = recordOf(key);
      const json = record === undefined ? undefined : JSON.stringify(record);
      if (json === emitted.get(key)) continue;
      if (record === undefined || json === undefined) {
        emitted.delete(key);
        const slash = key.indexOf('/');
        events.push({ type: 'delete', namespace: key.slice(0, slash), name: key.slice(slash + 1) });
      } else {
        emitted.set(key, json);
        events.push({ type: 'upsert', service: record });
      }
    }
    return events;
  }
}
