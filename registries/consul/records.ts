/**
 * Pure bookkeeping of the consul source: the instances each health watch last read, indexed by the
 * catalog service they belong to (one Consul service may feed several namespaces, one catalog
 * service may come from several datacenters), and the diff against what was last emitted.
 */
import type { ServiceRecord } from '../../src/model/service.js';
import type { SourceEvent } from '../../src/registry.js';
import { EmittedRecords } from '../shared/emitted.js';
import { buildServiceRecord, type ConsulInstance } from './translate.js';

export class ConsulRecords {
  /** Watch id → its instances. */
  private readonly byWatch = new Map<string, readonly ConsulInstance[]>();
  /** Service key → ids of the watches with instances of it. */
  private readonly contributors = new Map<string, Set<string>>();
  /** What was last emitted per service key. */
  private readonly emitted = new EmittedRecords();

  /** Replaces the instances of one watch; returns the service keys whose records may change. */
  place(watchId: string, instances: readonly ConsulInstance[]): Set<string> {
    const affected = new Set<string>();
    for (const instance of this.byWatch.get(watchId) ?? []) affected.add(instance.key);
    for (const instance of instances) affected.add(instance.key);
    for (const key of affected) this.contributors.get(key)?.delete(watchId);
    if (instances.length === 0) this.byWatch.delete(watchId);
    else this.byWatch.set(watchId, instances);
    for (const instance of instances) {
      let ids = this.contributors.get(instance.key);
      if (ids === undefined) this.contributors.set(instance.key, (ids = new Set()));
      ids.add(watchId);
    }
    for (const key of affected) if (this.contributors.get(key)?.size === 0) this.contributors.delete(key);
    return affected;
  }

  /** True once the snapshot was taken: from then on, `changes` says what to emit. */
  get snapshotted(): boolean {
    return this.emitted.snapshotted;
  }

  /** Every service now, sorted by key; remembers them as emitted. */
  snapshot(): ServiceRecord[] {
    return this.emitted.snapshot(this.contributors.keys(), (key) => this.recordOf(key));
  }

  /** An upsert or delete for each service of `keys` whose record differs from what was emitted. */
  changes(keys: ReadonlySet<string>): SourceEvent[] {
    return this.emitted.changes(keys, (key) => this.recordOf(key));
  }

  private recordOf(key: string): ServiceRecord | undefined {
    const instances: ConsulInstance[] = [];
    for (const id of this.contributors.get(key) ?? []) {
      for (const instance of this.byWatch.get(id) ?? []) if (instance.key === key) instances.push(instance);
    }
    return buildServiceRecord(instances);
  }
}
