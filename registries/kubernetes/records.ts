/**
 * Pure bookkeeping of the kubernetes source: the Services, EndpointSlices and Node localities the
 * informers last read, the join of slices to their Service, and the diff against what was last
 * emitted. A relist replaces one informer's objects in one step, so the records computed after it
 * never pass through a state where objects that still exist are missing.
 */
import { serviceKeyOf, type ServiceRecord } from '../../src/model/service.js';
import type { SourceEvent } from '../../src/registry.js';
import { EmittedRecords } from '../shared/emitted.js';
import type { EndpointSlice, Node, Service } from './payload.js';
import {
  buildServiceRecord,
  SERVICE_NAME_LABEL,
  type NodeLocality,
  type TranslateOptions,
} from './translate.js';
import type { KubernetesSourceConfig } from './config.js';

/** The informers' kinds of object. */
export type ObjectKind = 'service' | 'slice' | 'node';

interface SliceEntry {
  readonly slice: EndpointSlice;
  readonly service: string;
}

const keyOf = (namespace: string | null | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class KubernetesRecords {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, SliceEntry>();
  /** Service key → keys of its slices. */
  private readonly slicesOf = new Map<string, Set<string>>();
  private readonly nodes = new Map<string, NodeLocality>();
  /** What was last emitted per service key. */
  private readonly emitted = new EmittedRecords();

  constructor(
    private readonly options: TranslateOptions,
    private readonly locality: KubernetesSourceConfig['locality'],
  ) {}

  /** Adds or replaces one object; returns the service keys whose records may change. */
  upsert(kind: ObjectKind, object: Service | EndpointSlice | Node): Set<string> {
    if (kind === 'service') return this.upsertService(object as Service);
    if (kind === 'slice') return this.upsertSlice(object as EndpointSlice);
    return this.upsertNode(object as Node);
  }

  /** Removes one object; returns the service keys whose records may change. */
  remove(kind: ObjectKind, namespace: string | null | undefined, name: string): Set<string> {
    const key = keyOf(namespace, name);
    if (kind === 'service') {
      this.services.delete(key);
      return new Set([key]);
    }
    if (kind === 'slice') return this.removeSlice(key);
    return this.nodes.delete(name) ? this.keysWithSlices() : new Set();
  }

  /**
   * Replaces every object of `kind` in `namespace` (undefined: all namespaces) by `objects`, the
   * complete result of a list: one step, so no record is ever computed from half a relist.
   */
  replace(
    kind: ObjectKind,
    namespace: string | undefined,
    objects: readonly (Service | EndpointSlice | Node)[],
  ): Set<string> {
    const affected = new Set<string>();
    const listed = new Set(
      objects.map((o) => keyOf(kind === 'node' ? '' : o.metadata.namespace, o.metadata.name)),
    );
    const inScope = (key: string): boolean => namespace === undefined || key.startsWith(`${namespace}/`);
    if (kind === 'node') {
      for (const name of [...this.nodes.keys()]) {
        if (!listed.has(`/${name}`)) for (const k of this.remove('node', '', name)) affected.add(k);
      }
    } else {
      const current = kind === 'service' ? this.services : this.slices;
      for (const key of [...current.keys()]) {
        if (!inScope(key) || listed.has(key)) continue;
        const slash = key.indexOf('/');
        for (const k of this.remove(kind, key.slice(0, slash), key.slice(slash + 1))) affected.add(k);
      }
    }
    for (const object of objects) for (const k of this.upsert(kind, object)) affected.add(k);
    return affected;
  }

  /** True once the snapshot was taken: from then on, `changes` says what to emit. */
  get snapshotted(): boolean {
    return this.emitted.snapshotted;
  }

  /** Every service now, sorted by key; remembers them as emitted. */
  snapshot(): ServiceRecord[] {
    return this.emitted.snapshot(this.services.keys(), (key) => this.recordOf(key));
  }

  /** An upsert or delete for each service of `keys` whose record differs from what was emitted. */
  changes(keys: ReadonlySet<string>): SourceEvent[] {
    return this.emitted.changes([...keys].sort(), (key) => this.recordOf(key));
  }

  /** The record of a service key: none without its Service (its slices are held until it comes). */
  recordOf(key: string): ServiceRecord | undefined {
    const service = this.services.get(key);
    if (service === undefined) return undefined;
    const slices = [...(this.slicesOf.get(key) ?? [])].flatMap((k) => {
      const entry = this.slices.get(k);
      return entry === undefined ? [] : [entry.slice];
    });
    return buildServiceRecord(service, slices, this.nodes, this.options);
  }

  private upsertService(service: Service): Set<string> {
    const key = keyOf(service.metadata.namespace, service.metadata.name);
    this.services.set(key, service);
    return new Set([key]);
  }

  private upsertSlice(slice: EndpointSlice): Set<string> {
    const key = keyOf(slice.metadata.namespace, slice.metadata.name);
    const affected = this.removeSlice(key);
    const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (owner === undefined || owner === '') return affected; // not a Service's slice
    const service = serviceKeyOf({ namespace: slice.metadata.namespace ?? '', name: owner });
    this.slices.set(key, { slice, service });
    let keys = this.slicesOf.get(service);
    if (keys === undefined) this.slicesOf.set(service, (keys = new Set()));
    keys.add(key);
    affected.add(service);
    return affected;
  }

  private removeSlice(key: string): Set<string> {
    const entry = this.slices.get(key);
    if (entry === undefined) return new Set();
    this.slices.delete(key);
    const keys = this.slicesOf.get(entry.service);
    keys?.delete(key);
    if (keys?.size === 0) this.slicesOf.delete(entry.service);
    return new Set([entry.service]);
  }

  private upsertNode(node: Node): Set<string> {
    const labels = node.metadata.labels ?? {};
    const locality: NodeLocality = {
      region: labels[this.locality.regionLabel] ?? '',
      zone: labels[this.locality.zoneLabel] ?? '',
      subzone: labels[this.locality.subzoneLabel] ?? '',
    };
    const was = this.nodes.get(node.metadata.name);
    this.nodes.set(node.metadata.name, locality);
    if (
      was !== undefined &&
      was.region === locality.region &&
      was.zone === locality.zone &&
      was.subzone === locality.subzone
    ) {
      return new Set(); // a status update: nothing the records read
    }
    return this.keysWithSlices();
  }

  private keysWithSlices(): Set<string> {
    return new Set(this.slicesOf.keys());
  }
}
