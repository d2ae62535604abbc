/**
 * Push scheduling (PERFORMANCE.md §4.6 rules 2-3, after Istio's pilot/pkg/xds/pushqueue.go): each
 * stream owns a latest-wins `PendingSlot` of what it owes the client, merged, never a queue of built
 * responses. Responses are built when the stream is flushed, from the source's state at that moment,
 * so a slow stream only ever gets the newest version. The scheduler flushes queued streams in chunks,
 * yielding to the event loop between chunks, so one change to 10,000 streams never blocks it for long.
 */
import type { TypeUrl } from './types.js';

/** Above this many changed names of one type, a wildcard subscription reconsiders everything instead. */
export const BULK_CHANGE = 256;

/** The empty name set every work entry starts with (most pushes never force anything). */
const NONE: ReadonlySet<string> = new Set();

/** What a stream owes the client for one type. */
export interface PendingWork {
  /** Reconsider every name the stream covers (first request, wildcard change, bulk change). */
  readonly all: boolean;
  /** Send a response even if it carries nothing new (the first request for a type: XDS.md §5 item 2). */
  readonly respond: boolean;
  /** Changed names: sent when their version differs from what the client holds. */
  readonly names: ReadonlySet<string>;
  /** Names sent even if the client holds their version (new subscriptions, Envoy warming). */
  readonly forced: ReadonlySet<string>;
}

interface MutableWork {
  all: boolean;
  respond: boolean;
  /** NONE until the first name is added. */
  names: ReadonlySet<string>;
  forced: ReadonlySet<string>;
}

/** `work[key]` as a set that can take names (replacing the shared empty set on first use). */
function writable(work: MutableWork, key: 'names' | 'forced'): Set<string> {
  if (work[key] === NONE) work[key] = new Set<string>();
  return work[key] as Set<string>;
}

/** A stream's latest-wins pending slot: marks merge, `take` hands the merged work over and clears it. */
export class PendingSlot {
  private readonly work = new Map<TypeUrl, MutableWork>();

  /** True when nothing is owed. */
  get empty(): boolean {
    return this.work.size === 0;
  }

  /** True when something is owed for `typeUrl`. */
  has(typeUrl: TypeUrl): boolean {
    return this.work.has(typeUrl);
  }

  /** Reconsider everything the stream covers for `typeUrl`; `respond` forces a response. */
  markAll(typeUrl: TypeUrl, respond = false): void {
    const work = this.entry(typeUrl);
    work.all = true;
    work.respond ||= respond;
  }

  /** These names changed. */
  markNames(typeUrl: TypeUrl, names: Iterable<string>): void {
    const work = this.entry(typeUrl);
    const set = writable(work, 'names');
    for (const name of names) set.add(name);
  }

  /** Send these names even if the client holds their current version. */
  markForced(typeUrl: TypeUrl, names: Iterable<string>): void {
    const work = this.entry(typeUrl);
    const set = writable(work, 'forced');
    for (const name of names) set.add(name);
  }

  /**
   * XDS.md §5 items 16 and 37: `names` of `typeUrl` changed and the stream covers them (the change
   * router found them). Covered through a wildcard, the stream reconsiders everything instead when
   * `wholeWildcard` (SotW rebuilds the full set anyway) or the change is bulk.
   */
  markChanged(typeUrl: TypeUrl, names: readonly string[], wildcard: boolean, wholeWildcard: boolean): void {
    if (names.length === 0) return;
    if (wildcard && (wholeWildcard || names.length > BULK_CHANGE)) this.markAll(typeUrl);
    else this.markNames(typeUrl, names);
  }

  /** The merged work for `typeUrl`, removed from the slot. */
  take(typeUrl: TypeUrl): PendingWork | undefined {
    const work = this.work.get(typeUrl);
    this.work.delete(typeUrl);
    return work;
  }

  /** Forget everything owed (the stream closed). */
  clear(): void {
    this.work.clear();
  }

  private entry(typeUrl: TypeUrl): MutableWork {
    let work = this.work.get(typeUrl);
    if (work === undefined) {
      work = { all: false, respond: false, names: NONE, forced: NONE };
      this.work.set(typeUrl, work);
    }
    return work;
  }
}

/** A stream the scheduler can flush. */
export interface PushTarget {
  /** Build and send what the stream owes; returns how many responses were handed to the transport. */
  flush(): number;
  /** The flush threw: close the stream visibly. */
  fail(error: unknown): void;
}

/** Scheduler tuning. */
export interface PushSchedulerOptions {
  /** Streams flushed per event-loop turn before yielding with setImmediate (default 256). */
  readonly chunkSize?: number;
}

/** Cumulative counters, for metrics. */
export interface PushCounters {
  /** Times a stream was queued for a push (re-queueing a queued stream counts, but merges). */
  readonly scheduled: number;
  /** Stream flushes run (pushes and request-driven responses). */
  readonly flushes: number;
  /** Responses handed to transports. */
  readonly responses: number;
  /** Chunks run (event-loop turns used by pushes). */
  readonly chunks: number;
  /** Flushes that threw and closed their stream. */
  readonly failures: number;
}

/** Flushes pending streams in bounded chunks; a stream waiting for drain is skipped, never waited on. */
export class PushScheduler {
  private readonly chunkSize: number;
  private readonly queue = new Set<PushTarget>();
  private readonly idleWaiters: (() => void)[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private stats = { scheduled: 0, flushes: 0, responses: 0, chunks: 0, failures: 0 };

  constructor(options: PushSchedulerOptions = {}) {
    this.chunkSize = Math.max(1, options.chunkSize ?? 256);
  }

  /** Streams queued for the next chunks. */
  get pending(): number {
    return this.queue.size;
  }

  /** A snapshot of the counters. */
  get counters(): PushCounters {
    return { ...this.stats };
  }

  /** Queue `target` for a flush on a later turn; a queued target is not queued twice (its slot merges). */
  schedule(target: PushTarget): void {
    if (this.stopped) return;
    this.stats.scheduled += 1;
    this.queue.add(target);
    this.immediate ??= setImmediate(() => this.runChunk());
  }

  /** Flush `target` now (request-driven responses); it leaves the queue. Returns responses sent. */
  flushNow(target: PushTarget): number {
    if (this.stopped) return 0;
    this.queue.delete(target);
    const sent = this.run(target);
    this.settleIfIdle();
    return sent;
  }

  /** Drop `target` from the queue (its stream closed). */
  cancel(target: PushTarget): void {
    this.queue.delete(target);
    this.settleIfIdle();
  }

  /** Resolves once no stream is queued (immediately if none is). */
  whenIdle(): Promise<void> {
    if (this.queue.size === 0 && this.immediate === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancel every queued flush; later schedules are ignored. Streams stay open. */
  stop(): void {
    this.stopped = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.queue.clear();
    this.settleIfIdle();
  }

  private runChunk(): void {
    this.immediate = undefined;
    this.stats.chunks += 1;
    let budget = this.chunkSize;
    for (const target of this.queue) {
      if (budget-- === 0) break;
      this.queue.delete(target);
      this.run(target);
    }
    if (this.queue.size > 0 && !this.stopped) this.immediate = setImmediate(() => this.runChunk());
    this.settleIfIdle();
  }

  private run(target: PushTarget): number {
    this.stats.flushes += 1;
    try {
      const sent = target.flush();
      this.stats.responses += sent;
      return sent;
    } catch (error) {
      this.stats.failures += 1;
      target.fail(error);
      return 0;
    }
  }

  private settleIfIdle(): void {
    if (this.queue.size > 0 || this.immediate !== undefined) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
