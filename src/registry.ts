/**
 * The Registry contract (ARCHITECTURE.md §2, STYLE.md habits 1-2): an adapter translates a native
 * registry into SourceEvents with replace semantics. It knows nothing of xDS, REST or SQLite.
 */
import type { Observable } from 'rxjs';
import type { z, ZodObject, ZodRawShape } from 'zod';
import type { PeerProgressSink } from './model/peer.js';
import type { RegistrationFeed } from './model/registration.js';
import type { ServiceRecord } from './model/service.js';

export const SOURCE_STATES = ['syncing', 'synced', 'degraded', 'down'] as const;
/** `syncing` before the first snapshot; `degraded` = serving last good data with errors; `down` = unreachable. */
export type SourceState = (typeof SOURCE_STATES)[number];

/** The full state of the source: everything of this source not in it is gone. */
export interface SnapshotEvent {
  readonly type: 'snapshot';
  readonly services: readonly ServiceRecord[];
}

/** The full endpoint set of one service from this source. */
export interface UpsertEvent {
  readonly type: 'upsert';
  readonly service: ServiceRecord;
}

/** One service of this source is gone. */
export interface DeleteEvent {
  readonly type: 'delete';
  readonly namespace: string;
  readonly name: string;
}

/** Health of the source itself; `error` says why it is not `synced`. */
export interface StatusEvent {
  readonly type: 'status';
  readonly state: SourceState;
  readonly error?: string;
  /**
   * Whether the source can no longer vouch for its last records (registry unreachable). When absent:
   * `down` marks them stale, `synced` and `degraded` clear it, `syncing` keeps what it was (after a
   * restart records stay stale until the source's first snapshot). A source that is `degraded`
   * because its registry is unreachable sets it. Stale records are kept, served and marked stale.
   */
  readonly stale?: boolean;
}

export type SourceEvent = SnapshotEvent | UpsertEvent | DeleteEvent | StatusEvent;

/**
 * One source. `events()` is cold: subscribing starts the watch, unsubscribing stops it and releases
 * every socket and timer. An error on the stream means the source failed; the pipeline restarts it
 * with backoff. `id` is `<kind>/<name>` and is the shard key stamped on every endpoint.
 */
export interface Registry {
  readonly id: string;
  readonly kind: string;
  events(): Observable<SourceEvent>;
}

/** What a factory gets besides its own config. */
export interface RegistryContext {
  /** Directory that relative paths in this source's config resolve against (the config file's). */
  readonly baseDir: string;
  /**
   * The registrations made over REST (native and Consul-agent API), given to every factory when the
   * daemon runs; only the `rest` kind reads it. Absent in offline tools (`tributary validate`).
   */
  readonly registrations?: RegistrationFeed;
  /** Where peer sources report their progress in the peer's feed; only the `peer` kind writes to it. */
  readonly peers?: PeerProgressSink;
}

/**
 * One adapter kind, registered once in registries/index.ts (STYLE.md habit 4). `schema` holds only
 * the kind's own fields; `kind`, `name` and `priority` are added by the config loader.
 */
export interface RegistryFactory<C extends object = object> {
  readonly kind: string;
  /** One-line description, used in generated docs and `tributary validate` output. */
  readonly description: string;
  readonly schema: ZodObject<ZodRawShape, z.core.$strict>;
  create(id: string, config: C, context: RegistryContext): Registry;
  /** At most one source of this kind may be configured (its API routes are global). */
  readonly singleton?: boolean;
  /**
   * What this kind reports was imported from another cloud's Tributary: never exported to peers
   * again (loop-free federation), whatever its endpoints say.
   */
  readonly imports?: boolean;
  /** Offline checks for `tributary validate`: every problem in the files this source points at. */
  check?(config: C, context: RegistryContext): Promise<readonly string[]>;
}
