import { describe, expect, it } from '@jest/globals';
import {
  backoffDelay,
  jitteredWait,
  nextIndex,
  RECOVERY_WAIT_MS,
  ROTATION_WAIT_MS,
  runBlockingWatch,
  systemClock,
  WatchSlots,
  type Clock,
} from '../../../../registries/consul/blocking.js';
import { ConsulRequestError, type ConsulReply } from '../../../../registries/consul/client.js';

/** Virtual time: `sleep` advances it at once and records how long was asked. */
class VirtualClock implements Clock {
  time = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

type Step = { index: bigint | undefined } | { error: Error };

/** Runs a watch over a scripted Consul until the script ends; returns what it sent and saw. */
async function runScript(
  steps: Step[],
  timing: Partial<{ waitMs: number; minIntervalMs: number; retryBaseMs: number; retryMaxMs: number }> = {},
  slots?: WatchSlots,
) {
  const clock = new VirtualClock();
  const controller = new AbortController();
  const sent: { index: bigint; waitMs: number; at: number }[] = [];
  const seen: string[] = [];
  let step = 0;
  await runBlockingWatch(
    async (index, waitMs) => {
      sent.push({ index, waitMs, at: clock.now() });
      const next = steps[step++];
      if (next === undefined || step >= steps.length) controller.abort();
      if (next === undefined) throw Object.assign(new Error('aborted'), { isAbort: true });
      if ('error' in next) throw next.error;
      return { body: [], index: next.index, filteredByAcls: false } satisfies ConsulReply;
    },
    {
      onReply: (reply, changed) => seen.push(`${reply.index ?? '-'}${changed ? ' changed' : ''}`),
      onError: (error) => seen.push(`error ${(error as Error).message}`),
    },
    { waitMs: 60_000, minIntervalMs: 200, retryBaseMs: 1000, retryMaxMs: 4000, ...timing },
    controller.signal,
    { clock, random: () => 0.5, slots },
  );
  return { sent, seen, sleeps: clock.sleeps };
}

describe('nextIndex: Consul blocking-query index rules', () => {
  it('blocks on the returned index while it moves forward or stays', () => {
    expect(nextIndex(0n, 10n)).toBe(10n);
    expect(nextIndex(10n, 10n)).toBe(10n);
    expect(nextIndex(10n, 12n)).toBe(12n);
  });

  it('resets to 0 (a fresh read) when the index goes backwards, is 0 or is missing', () => {
    expect(nextIndex(12n, 5n)).toBe(0n);
    expect(nextIndex(12n, 0n)).toBe(0n);
    expect(nextIndex(12n, undefined)).toBe(0n);
  });
});

describe('backoff and wait arithmetic', () => {
  it('doubles the retry delay per failure up to the cap, with ±25 % jitter', () => {
    const mid = (attempt: number) => backoffDelay(attempt, 1000, 30_000, () => 0.5);
    expect([1, 2, 3, 5, 6, 40].map(mid)).toEqual([1000, 2000, 4000, 16_000, 30_000, 30_000]);
    expect(backoffDelay(1, 1000, 30_000, () => 0)).toBe(750);
    expect(backoffDelay(1, 1000, 30_000, () => 1)).toBe(1250);
    expect(backoffDelay(9, 1000, 30_000, () => 1)).toBe(30_000);
  });

  it('asks for the wait less up to 1/16 of it', () => {
    expect(jitteredWait(16_000, () => 0)).toBe(16_000);
    expect(jitteredWait(16_000, () => 1)).toBe(15_000);
  });
});

describe('runBlockingWatch', () => {
  it('sends no index first, then the last index; resets after the index went backwards or vanished', async () => {
    const { sent, seen } = await runScript([
      { index: 10n },
      { index: 10n }, // the wait ran out: nothing changed
      { index: 12n },
      { index: 5n }, // went backwards (snapshot restore): reset
      { index: 7n },
      { index: undefined }, // no X-Consul-Index: never block on it
      { index: 8n },
    ]);
    expect(sent.map((s) => s.index)).toEqual([0n, 10n, 10n, 12n, 0n, 7n, 0n]);
    expect(seen).toEqual([
      '10 changed',
      '10',
      '12 changed',
      '5 changed',
      '7 changed',
      '- changed',
      '8 changed',
    ]);
  });

  it('never sends two queries closer than minInterval, even when every reply comes at once', async () => {
    const { sent, sleeps } = await runScript([{ index: 1n }, { index: 2n }, { index: 3n }, { index: 4n }]);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    expect(gaps).toEqual([200, 200, 200]);
    expect(sleeps).toEqual([200, 200, 200]);
  });

  it('backs off after failures, keeps its index and resumes from it with a short wait', async () => {
    const down = new ConsulRequestError('unreachable (ECONNREFUSED)', undefined, '');
    const { sent, seen, sleeps } = await runScript([
      { index: 10n },
      { error: down },
      { error: down },
      { error: down },
      { error: down },
      { index: 10n },
      { index: 11n },
    ]);
    expect(sent.map((s) => s.index)).toEqual([0n, 10n, 10n, 10n, 10n, 10n, 10n]);
    expect(seen.filter((s) => s.startsWith('error'))).toHaveLength(4);
    // Backoff: 1 s, 2 s, 4 s, then the 4 s cap; the min interval between the first two queries.
    expect(sleeps).toEqual([200, 1000, 2000, 4000, 4000, 200]);
    // Right after a failure the query waits at most RECOVERY_WAIT_MS, so recovery is seen quickly.
    expect(sent[5]!.waitMs).toBeLessThanOrEqual(RECOVERY_WAIT_MS);
    expect(sent[6]!.waitMs).toBeGreaterThan(RECOVERY_WAIT_MS);
  });

  it('holds a query for at most ROTATION_WAIT_MS while more watches want a slot than there are', async () => {
    const slots = new WatchSlots(1);
    slots.register();
    const alone = await runScript([{ index: 1n }, { index: 1n }], {}, slots);
    expect(alone.sent[1]!.waitMs).toBeGreaterThan(ROTATION_WAIT_MS);
    slots.register();
    const shared = await runScript([{ index: 1n }, { index: 1n }], {}, slots);
    expect(shared.sent[1]!.waitMs).toBeLessThanOrEqual(ROTATION_WAIT_MS);
  });

  it('returns promptly when stopped during a backoff sleep', async () => {
    const controller = new AbortController();
    let failed!: () => void;
    const firstFailure = new Promise<void>((resolve) => (failed = resolve));
    const running = runBlockingWatch(
      async () => {
        throw new ConsulRequestError('HTTP 500 No cluster leader', 500, 'No cluster leader');
      },
      { onReply: () => undefined, onError: () => failed() },
      { waitMs: 60_000, minIntervalMs: 0, retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 },
      controller.signal,
      { clock: systemClock, random: Math.random },
    );
    await firstFailure;
    controller.abort();
    await expect(running).resolves.toBeUndefined();
  });
});

describe('WatchSlots', () => {
  it('grants at most capacity slots; a waiter preempts a long hold and gets the slot when it is released', async () => {
    const slots = new WatchSlots(1);
    const never = new AbortController().signal;
    const first = (await slots.acquire(never))!;
    first.holdLong(true);
    let second: Awaited<ReturnType<WatchSlots['acquire']>>;
    const waiting = slots.acquire(never).then((slot) => (second = slot));
    await Promise.resolve();
    expect(first.preempted.aborted).toBe(true);
    expect(slots.held).toBe(1);
    first.release();
    await waiting;
    expect(second).toBeDefined();
    expect(slots.held).toBe(1);
    second!.release();
    expect(slots.held).toBe(0);
  });

  it('lets a waiter give up when its watch stops', async () => {
    const slots = new WatchSlots(1);
    const held = (await slots.acquire(new AbortController().signal))!;
    const stop = new AbortController();
    const waiting = slots.acquire(stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBeUndefined();
    held.release();
    expect(slots.held).toBe(0);
  });

  it('says it is contended once more watches are registered than slots', () => {
    const slots = new WatchSlots(2);
    const a = slots.register();
    slots.register();
    expect(slots.contended).toBe(false);
    const c = slots.register();
    expect(slots.contended).toBe(true);
    c();
    c();
    expect(slots.contended).toBe(false);
    a();
  });
});
