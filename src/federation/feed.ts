/**
 * The export feed of one watcher (a peer's gRPC Watch or SSE stream), transport-agnostic: a snapshot
 * or a replay from the resume point, then one change per catalog revision that touches what the
 * grant selects, and heartbeats carrying the head revision. Each upsert is a service's full exported
 * record (replace semantics); a record equal to what this watcher was last sent is not sent again.
 *
 * The feed's epoch is the catalog epoch plus the grant's fingerprint: when the policy or the filter
 * changes, a resuming peer gets a fresh snapshot rather than a replay on top of what it may no
 * longer import.
 */
import type { Subscription } from 'rxjs';
import type { CatalogChange, CatalogReader, CatalogView } from '../catalog/view.js';
import { serviceKeyOf, type ServiceKey, type ServiceRecord } from '../model/service.js';
import type { ExportedRecords } from './exported.js';
import type { ExportGrant } from './policy.js';

export type ExportEvent =
  | {
      readonly type: 'snapshot';
      readonly epoch: string;
      readonly revision: number;
      readonly services: readonly ServiceRecord[];
    }
  | {
      readonly type: 'change';
      readonly epoch: string;
      readonly revision: number;
      readonly upserts: readonly ServiceRecord[];
      readonly deletes: readonly ServiceKey[];
    }
  | { readonly type: 'heartbeat'; readonly epoch: string; readonly revision: number };

/** Where a session writes; `send` false means the watcher is gone. */
export interface ExportSink {
  send(event: ExportEvent): boolean;
  readonly closed: boolean;
}

/** A resume point: the epoch and revision of the last event the watcher applied. */
export interface ResumePoint {
  readonly epoch: string;
  readonly revision: number;
}

/** `<epoch>-<revision>` (an SSE event id) → its parts; undefined when it is not one. */
export function parseResumePoint(id: string): ResumePoint | undefined {
  const dash = id.lastIndexOf('-');
  const revision = Number(id.slice(dash + 1));
  if (dash <= 0 || !/^\d+$/.test(id.slice(dash + 1)) || !Number.isSafeInteger(revision)) return undefined;
  return { epoch: id.slice(0, dash), revision };
}

/** What `/v1/peers` shows about one open export session. */
export interface ExportSessionInfo {
  readonly peer: string;
  readonly transport: 'grpc' | 'sse';
  readonly remote: string;
  readonly since: string;
  readonly revision: number;
  readonly services: number;
}

export class ExportSession {
  readonly epochPrefix: string;
  private epoch = '';
  private revision = 0;
  /** Service key → JSON of the record last sent. */
  private sent = new Map<string, string>();
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly since = new Date().toISOString();

  constructor(
    private readonly catalog: CatalogReader,
    private readonly records: ExportedRecords,
    readonly grant: ExportGrant,
    private readonly sink: ExportSink,
    readonly transport: ExportSessionInfo['transport'],
    readonly remote: string,
  ) {
    this.epochPrefix = `.${grant.fingerprint}`;
  }

  /** Starts the feed: replay or snapshot, then live changes and a heartbeat every `heartbeatMs`. */
  start(resume: ResumePoint | undefined, heartbeatMs: number): void {
    this.subscription = this.catalog.changes().subscribe({
      next: (change) => this.onChange(change),
      complete: () => this.stop(),
    });
    const view = this.catalog.view();
    const replay =
      resume !== undefined && resume.epoch === this.epochOf(view) && resume.revision <= view.revision
        ? this.catalog.since(resume.revision)
        : undefined;
    if (replay === undefined) this.sendSnapshot(view);
    else this.sendReplay(view, replay, resume!.revision);
    this.heartbeat();
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  /** Stops listening; the transport ends the stream. Idempotent. */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    clearInterval(this.timer);
  }

  info(): ExportSessionInfo {
    const { peer } = this.grant;
    return {
      peer,
      transport: this.transport,
      remote: this.remote,
      since: this.since,
      revision: this.revision,
      services: this.sent.size,
    };
  }

  private epochOf(view: CatalogView): string {
    return `${view.epoch}${this.epochPrefix}`;
  }

  private heartbeat(): void {
    if (this.sink.closed) return this.stop();
    const view = this.catalog.view();
    if (this.epochOf(view) !== this.epoch) return this.sendSnapshot(view);
    this.send({ type: 'heartbeat', epoch: this.epoch, revision: view.revision });
  }

  private send(event: ExportEvent): void {
    if (!this.sink.send(event)) this.stop();
  }

  private selected(view: CatalogView): ServiceRecord[] {
    const out: ServiceRecord[] = [];
    for (const service of view.services.values()) {
      if (!this.grant.selects(service.namespace, service.name)) continue;
      const record = this.records.of(service);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  private sendSnapshot(view: CatalogView): void {
    const services = this.selected(view);
    this.sent = new Map(services.map((r) => [serviceKeyOf(r), JSON.stringify(r)]));
    this.epoch = this.epochOf(view);
    this.revision = view.revision;
    this.send({ type: 'snapshot', epoch: this.epoch, revision: view.revision, services });
  }

  /** Every service changed after `from` in one change, then what was sent is the whole current state. */
  private sendReplay(view: CatalogView, replay: readonly CatalogChange[], from: number): void {
    this.epoch = this.epochOf(view);
    this.revision = from;
    const keys = new Set<string>();
    for (const change of replay) for (const s of change.services) keys.add(serviceKeyOf(s));
    for (const record of this.selected(view)) this.sent.set(serviceKeyOf(record), JSON.stringify(record));
    const upserts: ServiceRecord[] = [];
    const deletes: ServiceKey[] = [];
    for (const key of [...keys].sort()) {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      if (!this.grant.selects(namespace, name)) continue;
      const record = this.records.of(view.services.get(key));
      if (record === undefined) deletes.push({ namespace, name });
      else upserts.push(record);
    }
    this.revision = view.revision;
    if (upserts.length > 0 || deletes.length > 0 || view.revision > from) {
      this.send({ type: 'change', epoch: this.epoch, revision: view.revision, upserts, deletes });
    }
  }

  private onChange(change: CatalogChange): void {
    if (this.sink.closed) return this.stop();
    const view = this.catalog.view();
    if (this.epochOf(view) !== this.epoch) return this.sendSnapshot(view);
    if (change.revision <= this.revision) return;
    this.revision = change.revision;
    const upserts: ServiceRecord[] = [];
    const deletes: ServiceKey[] = [];
    for (const { namespace, name } of change.services) {
      if (!this.grant.selects(namespace, name)) continue;
      const key = serviceKeyOf({ namespace, name });
      const record = this.records.of(view.services.get(key));
      if (record === undefined) {
        if (this.sent.delete(key)) deletes.push({ namespace, name });
        continue;
      }
      const json = JSON.stringify(record);
      if (this.sent.get(key) === json) continue;
      this.sent.set(key, json);
      upserts.push(record);
    }
    if (upserts.length === 0 && deletes.length === 0) return;
    this.send({ type: 'change', epoch: this.epoch, revision: change.revision, upserts, deletes });
  }
}
