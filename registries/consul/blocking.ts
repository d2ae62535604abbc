/**
 * Consul blocking queries (https://developer.hashicorp.com/consul/api-docs/features/blocking):
 * the pure index rules, the retry and wait arithmetic, a bound on queries held at once, and the loop
 * of one watch. Every wait is abortable; stopping a watch aborts its request in flight.
 */
import { isAbort, type ConsulReply } from './client.js';

import { backoffDelay } from '../shared/backoff.js';
import { systemClock, type Clock } from '../shared/clock.js';

export { backoffDelay, systemClock, type Clock };

/** Wait of the first query after a failure, so a recovery is seen within it (capped by `wait`). */
export const RECOVERY_WAIT_MS = 250;
/** Wait of a query while more watches want a slot than there are (they take turns). */
export const ROTATION_WAIT_MS = 1_000;

/**
 * The index to send next, given the one sent and the one returned: 0 ("no index": a fresh,
 * non-blocking read) when the returned one is missing, not positive, or went backwards (Consul's
 * rules: reset to 0 when the index goes backwards; never block on an index ≤ 0).
 */
export function nextIndex(sent: bigint, returned: bigint | undefined): bigint {
  if (returned === undefined || returned <= 0n) return 0n;
  return returned < sent ? 0n : returned;
}

/** The wait to ask for: `waitMs` less up to 1/16 at random, so watches started together spread out. */
export function jitteredWait(waitMs: number, random: () => number): number {
  return Math.max(1, Math.round(waitMs - (waitMs / 16) * random()));
}

/** A slot held by one query; `preempted` aborts when another watch needs it. */
export interface Slot {
  readonly preempted: AbortSignal;
  /** Marks the query as a long hold: a watch waiting for a slot may preempt it. */
  holdLong(long: boolean): void;
  release(): void;
}

type Waiter = (slot: Slot) => void;

interface Holder {
  readonly controller: AbortController;
  long: boolean;
}

/**
 * At most `capacity` queries held at once. When more watches want one, queries hold a slot for
 * ROTATION_WAIT_MS at most, and a waiter preempts a query that was sent with a longer wait.
 */
export class WatchSlots {
  private readonly holders = new Set<Holder>();
  private readonly waiters: Waiter[] = [];
  private demand = 0;

  constructor(readonly capacity: number) {}

  /** Counts a watch that will ask for slots; the returned function uncounts it. */
  register(): () => void {
    this.demand += 1;
    let done = false;
    return () => {
      if (!done) this.demand -= 1;
      done = true;
    };
  }

  /** True when more watches exist than slots: queries then hold a slot for ROTATION_WAIT_MS at most. */
  get contended(): boolean {
    return this.demand > this.capacity;
  }

  /** Queries holding a slot now. */
  get held(): number {
    return this.holders.size;
  }

  /** Resolves with a slot (in request order), or undefined when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Slot | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.holders.size < this.capacity && this.waiters.length === 0) return Promise.resolve(this.grant());
    for (const holder of this.holders) {
      if (!holder.long) continue;
      holder.long = false;
      holder.controller.abort();
      break;
    }
    return new Promise((resolve) => {
      const waiter: Waiter = (slot) => {
        signal.removeEventListener('abort', giveUp);
        resolve(slot);
      };
      const giveUp = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(undefined);
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', giveUp, { once: true });
    });
  }

  /** A new slot; releasing it hands it straight to the first waiter, so a watch cannot take it back first. */
  private grant(): Slot {
    const holder: Holder = { controller: new AbortController(), long: false };
    this.holders.add(holder);
    let released = false;
    return {
      preempted: holder.controller.signal,
      holdLong: (long) => {
        holder.long = long;
      },
      release: () => {
        if (released) return;
        released = true;
        this.holders.delete(holder);
        this.waiters.shift()?.(this.grant());
      },
    };
  }
}

/** Timing of one watch (milliseconds). */
export interface BlockingTiming {
  readonly waitMs: number;
  readonly minIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** What a watch does with its replies: `onReply` gets every successful reply, `changed` false when the index did not move. */
export interface BlockingHandlers {
  onReply(reply: ConsulReply, changed: boolean): void;
  onError(error: unknown): void;
}

/** One query function: the index to block on (0n = none), the wait and the abort signal. */
export type BlockingFetch = (index: bigint, waitMs: number, signal: AbortSignal) => Promise<ConsulReply>;

/**
 * Runs one blocking-query loop until `signal` aborts: rate-limited to one query per `minIntervalMs`,
 * index rules of `nextIndex`, backoff with jitter after failures (keeping the index, so the watch
 * resumes where it was), a short wait right after a failure so recovery is noticed quickly.
 */
export async function runBlockingWatch(
  fetch: BlockingFetch,
  handlers: BlockingHandlers,
  timing: BlockingTiming,
  signal: AbortSignal,
  options: { clock: Clock; random: () => number; slots?: WatchSlots | undefined },
): Promise<void> {
  const { clock, random, slots } = options;
  let index = 0n;
  let failures = 0;
  let lastStart: number | undefined;
  while (!signal.aborted) {
    if (lastStart !== undefined) {
      const since = clock.now() - lastStart;
      if (since < timing.minIntervalMs) await clock.sleep(timing.minIntervalMs - since, signal);
      if (signal.aborted) return;
    }
    const slot = slots === undefined ? undefined : await slots.acquire(signal);
    if (signal.aborted) return slot?.release();
    let wait = timing.waitMs;
    if (failures > 0) wait = Math.min(wait, RECOVERY_WAIT_MS);
    else if (slots?.contended) wait = Math.min(wait, ROTATION_WAIT_MS);
    slot?.holdLong(wait > ROTATION_WAIT_MS);
    // One controller per query, unlinked after it (AbortSignal.any would keep a reference per query
    // on the long-lived watch signal).
    const query = new AbortController();
    const abortQuery = (): void => query.abort();
    signal.addEventListener('abort', abortQuery);
    slot?.preempted.addEventListener('abort', abortQuery);
    const querySignal = query.signal;
    lastStart = clock.now();
    try {
      const reply = await fetch(index, jitteredWait(wait, random), querySignal);
      const next = nextIndex(index, reply.index);
      const changed = index === 0n || next !== index;
      index = next;
      failures = 0;
      handlers.onReply(reply, changed);
    } catch (error) {
      if (signal.aborted) return;
      if (isAbort(error) && slot?.preempted.aborted) continue; // gave its slot to another watch
      failures += 1;
      handlers.onError(error);
      slot?.release();
      await clock.sleep(backoffDelay(failures, timing.retryBaseMs, timing.retryMaxMs, random), signal);
    } finally {
      signal.removeEventListener('abort', abortQuery);
      slot?.preempted.removeEventListener('abort', abortQuery);
      slot?.release();
    }
  }
}
