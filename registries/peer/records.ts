/**
 * Pure bookkeeping of the peer source: the peer's exported records as received, where they stand in
 * its feed (epoch, applied revision, announced head), and the SourceEvents each feed event makes:
 * a snapshot replaces everything (and is emitted as a snapshot), a change newer than the applied
 * revision becomes an upsert or delete per service whose imported record changed, an old one nothing.
 */
import { serviceKeyOf, type ServiceRecord } from '../../src/model/service.js';
import type { SourceEvent } from '../../src/registry.js';
import { EmittedRecords } from '../shared/emitted.js';
import type { PeerPosition } from './client.js';
import type { PeerEvent } from './payload.js';
import { importRecord, type PeerImport } from './translate.js';

/** What applying one feed event gives: the events to emit, or why the stream cannot be followed. */
export type FeedOutcome =
  | { readonly ok: true; readonly events: readonly SourceEvent[] }
  | { readonly ok: false; readonly error: string };

/** The import of one peer's feed. */
export class PeerFeed {
  /** The peer's records as imported here, by service key. */
  private readonly imported = new Map<string, ServiceRecord>();
  private readonly emitted = new EmittedRecords();
  private epochSeen = '';
  private applied = 0;
  private head = 0;
  private hasSnapshot = false;

  constructor(private readonly peer: PeerImport) {}

  /** The peer's epoch last seen ('' before any event and after a drop). */
  get epoch(): string {
    return this.epochSeen;
  }

  /** The revision whose state is held (0 before the first snapshot). */
  get revision(): number {
    return this.applied;
  }

  /** The newest revision the peer announced. */
  get headRevision(): number {
    return this.head;
  }

  /** True while a snapshot of the peer is held (false before the first one and after a drop). */
  get synced(): boolean {
    return this.hasSnapshot;
  }

  /** Where to resume: the epoch and revision of the state held, undefined when none is. */
  get position(): PeerPosition | undefined {
    return this.hasSnapshot ? { epoch: this.epochSeen, revision: this.applied } : undefined;
  }

  /** Services and endpoints imported now. */
  get counts(): { services: number; endpoints: number } {
    let endpoints = 0;
    for (const record of this.imported.values()) endpoints += record.endpoints.length;
    return { services: this.imported.size, endpoints };
  }

  /** Applies one event of the feed. */
  apply(event: PeerEvent): FeedOutcome {
    this.head = Math.max(event.epoch === this.epochSeen ? this.head : 0, event.revision);
    if (event.type === 'heartbeat') {
      if (!this.hasSnapshot) this.epochSeen = event.epoch;
      return { ok: true, events: [] };
    }
    if (event.type === 'snapshot') return { ok: true, events: [this.replace(event)] };
    if (!this.hasSnapshot)
      return {
        ok: false,
        error: `out-of-order change event: revision ${event.revision} came before any snapshot`,
      };
    if (event.epoch !== this.epochSeen) {
      return {
        ok: false,
        error: `out-of-order change event: epoch "${event.epoch}" came before its snapshot (held: epoch "${this.epochSeen}")`,
      };
    }
    if (event.revision <= this.applied) return { ok: true, events: [] };
    this.applied = event.revision;
    const keys = new Set<string>();
    for (const record of event.upserts) {
      const key = serviceKeyOf(record);
      keys.add(key);
      this.imported.set(key, importRecord(record, this.peer));
    }
    for (const gone of event.deletes) {
      const key = serviceKeyOf(gone);
      keys.add(key);
      this.imported.delete(key);
    }
    return { ok: true, events: this.emitted.changes(keys, (key) => this.imported.get(key)) };
  }

  /** Forgets everything the peer said: the snapshot with no services to emit. */
  drop(): SourceEvent {
    this.imported.clear();
    this.epochSeen = '';
    this.applied = 0;
    this.head = 0;
    this.hasSnapshot = false;
    return { type: 'snapshot', services: this.emitted.snapshot([], () => undefined) };
  }

  private replace(event: Extract<PeerEvent, { type: 'snapshot' }>): SourceEvent {
    this.imported.clear();
    for (const record of event.services) {
      const key = serviceKeyOf(record);
      this.imported.set(key, importRecord(record, this.peer));
    }
    this.epochSeen = event.epoch;
    this.applied = event.revision;
    this.hasSnapshot = true;
    return {
      type: 'snapshot',
      services: this.emitted.snapshot(this.imported.keys(), (key) => this.imported.get(key)),
    };
  }
}
