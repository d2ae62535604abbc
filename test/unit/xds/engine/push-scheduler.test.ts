/** Push scheduling (PERFORMANCE.md §4.6) and XDS.md §5 items 37-39: fan-out, merging, backpressure. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  BULK_CHANGE,
  PendingSlot,
  PushScheduler,
  type PushTarget,
} from '../../../../src/xds/push-scheduler.js';
import { ChangeRouter } from '../../../../src/xds/change-router.js';
import type { SotwStream } from '../../../../src/xds/sotw-stream.js';
import type { SotwResponse } from '../../../../src/xds/types.js';
import { ackOf, CDS, EDS, LDS, namesOf, RDS, sotw, World, type FakeDuplex } from './harness.js';

describe('PendingSlot', () => {
  it('merges marks per type and hands them over once', () => {
    const slot = new PendingSlot();
    slot.markNames(EDS, ['a']);
    slot.markNames(EDS, ['b', 'a']);
    slot.markForced(EDS, ['c']);
    slot.markAll(CDS);
    slot.markAll(CDS, true);
    expect(slot.has(EDS)).toBe(true);
    expect(slot.take(EDS)).toEqual({
      all: false,
      respond: false,
      names: new Set(['a', 'b']),
      forced: new Set(['c']),
    });
    expect(slot.take(EDS)).toBeUndefined();
    expect(slot.take(CDS)).toMatchObject({ all: true, respond: true });
    expect(slot.empty).toBe(true);
  });

  it('marks routed changes: names, or everything for a SotW wildcard or a bulk wildcard change', () => {
    const slot = new PendingSlot();
    slot.markChanged(EDS, ['a', 'b'], false, true);
    expect(slot.take(EDS)).toMatchObject({ all: false, names: new Set(['a', 'b']) });
    slot.markChanged(CDS, ['a'], true, true); // SotW wildcard: rebuilt whole anyway
    expect(slot.take(CDS)).toMatchObject({ all: true, respond: false, names: new Set() });
    slot.markChanged(CDS, ['a'], true, false); // delta wildcard: per name
    expect(slot.take(CDS)).toMatchObject({ all: false, names: new Set(['a']) });
    const bulk = Array.from({ length: BULK_CHANGE + 1 }, (_, i) => `n${i}`);
    slot.markChanged(CDS, bulk, true, false);
    expect(slot.take(CDS)).toMatchObject({ all: true });
    slot.markChanged(EDS, [], false, false);
    expect(slot.empty).toBe(true);
  });

  it('never shares a name set between entries (the empty start set is replaced on first use)', () => {
    const slot = new PendingSlot();
    slot.markAll(CDS);
    slot.markNames(EDS, ['a']);
    slot.markForced(LDS, ['x']);
    const cds = slot.take(CDS)!;
    const eds = slot.take(EDS)!;
    const lds = slot.take(LDS)!;
    expect([cds.names.size, cds.forced.size, eds.forced.size, lds.names.size]).toEqual([0, 0, 0, 0]);
    expect([...eds.names, ...lds.forced]).toEqual(['a', 'x']);
  });
});

describe('PushScheduler', () => {
  function target(flush: () => number = () => 1): PushTarget & { flushes: number; failures: unknown[] } {
    const t = {
      flushes: 0,
      failures: [] as unknown[],
      flush: () => {
        t.flushes += 1;
        return flush();
      },
      fail: (error: unknown) => void t.failures.push(error),
    };
    return t;
  }

  it('flushes a target queued several times in one turn once', async () => {
    const scheduler = new PushScheduler();
    const t = target();
    scheduler.schedule(t);
    scheduler.schedule(t);
    expect(scheduler.pending).toBe(1);
    await scheduler.whenIdle();
    expect(t.flushes).toBe(1);
    expect(scheduler.counters).toMatchObject({ scheduled: 2, flushes: 1, responses: 1, chunks: 1 });
  });

  it('flushes in chunks and yields to the event loop between them', async () => {
    const scheduler = new PushScheduler({ chunkSize: 2 });
    const targets = Array.from({ length: 5 }, () => target());
    for (const t of targets) scheduler.schedule(t);
    const afterFirstChunk = new Promise<number>((resolve) =>
      setImmediate(() => resolve(targets.filter((t) => t.flushes > 0).length)),
    );
    expect(await afterFirstChunk).toBe(2);
    await scheduler.whenIdle();
    expect(targets.every((t) => t.flushes === 1)).toBe(true);
    expect(scheduler.counters.chunks).toBe(3);
  });

  it('stop() cancels queued flushes and ignores later schedules', async () => {
    const scheduler = new PushScheduler();
    const t = target();
    scheduler.schedule(t);
    scheduler.stop();
    scheduler.schedule(t);
    await scheduler.whenIdle();
    expect(t.flushes).toBe(0);
    expect(scheduler.flushNow(t)).toBe(0);
  });

  it('a throwing flush fails that target only', async () => {
    const scheduler = new PushScheduler();
    const bad = target(() => {
      throw new Error('boom');
    });
    const good = target();
    scheduler.schedule(bad);
    scheduler.schedule(good);
    await scheduler.whenIdle();
    expect(bad.failures).toEqual([new Error('boom')]);
    expect(good.flushes).toBe(1);
    expect(scheduler.counters.failures).toBe(1);
  });
});

describe('pushes through engines', () => {
  let world: World;

  beforeEach(() => {
    world = new World();
    world.source.apply({
      put: [
        [CDS, 'a'],
        [EDS, 'a'],
        [LDS, 'echo.test'],
        [RDS, 'echo-route'],
      ],
    });
  });

  afterEach(() => world.close());

  /** `count` ADS streams subscribed (and ACKed) to the CLA `a`. */
  function endpointsStreams(count: number): { stream: SotwStream; duplex: FakeDuplex<SotwResponse> }[] {
    return Array.from({ length: count }, () => {
      const opened = world.sotw();
      opened.stream.handleRequest(sotw(EDS, ['a']));
      opened.stream.handleRequest(ackOf(opened.duplex.takeOne(), ['a']));
      return opened;
    });
  }

  it('item 39: 1,000 streams subscribed to one CLA each get one push, sharing one encoding, in chunks', async () => {
    const streams = endpointsStreams(1000);
    const encodedBefore = world.source.encodeCount;
    const chunksBefore = world.scheduler.counters.chunks;
    world.source.apply({ put: [[EDS, 'a', 'v2']] });
    await world.settle();
    const pushes = streams.map(({ duplex }) => duplex.take());
    expect(pushes.every((p) => p.length === 1)).toBe(true);
    const shared = world.source.get(EDS, 'a')!;
    expect(pushes.every((p) => p[0]?.resources[0] === shared)).toBe(true);
    expect(world.source.encodeCount - encodedBefore).toBe(1);
    expect(world.scheduler.counters.chunks - chunksBefore).toBe(4); // 256 per turn
  });

  it('item 37: a burst of changes in one turn yields one push per affected stream', async () => {
    const streams = endpointsStreams(3);
    for (let i = 2; i <= 10; i++) world.source.apply({ put: [[EDS, 'a', `v${i}`]] });
    await world.settle();
    for (const { duplex } of streams) {
      const pushed = duplex.takeOne();
      expect(pushed.resources[0]?.json).toEqual({ name: 'a', content: 'v10' });
      expect(pushed.versionInfo).toBe(world.source.version());
    }
  });

  it('item 37: an EDS-only change never triggers CDS, LDS or RDS pushes', async () => {
    const { stream, duplex } = world.sotw();
    const names = { [CDS]: ['a'], [EDS]: ['a'], [LDS]: ['echo.test'], [RDS]: ['echo-route'] };
    for (const [typeUrl, list] of Object.entries(names)) stream.handleRequest(sotw(typeUrl, list));
    const latest = new Map(duplex.take().map((r) => [r.typeUrl, r]));
    for (const [typeUrl, response] of latest) stream.handleRequest(ackOf(response, names[typeUrl]));
    world.source.apply({ put: [[EDS, 'a', 'v2']] });
    await world.settle();
    expect(duplex.take().map((r) => r.typeUrl)).toEqual([EDS]);
  });

  it('item 38: a slow stream does not block others, and its pending pushes merge into the latest state', async () => {
    const [slow, fast] = endpointsStreams(2);
    slow!.duplex.setFull(true);
    world.source.apply({ put: [[EDS, 'a', 'v2']] });
    await world.settle();
    expect(slow!.duplex.take()).toHaveLength(1); // accepted, but the buffer is now full
    world.source.apply({ put: [[EDS, 'a', 'v3']] });
    await world.settle();
    world.source.apply({ put: [[EDS, 'a', 'v4']] });
    await world.settle();
    expect(slow!.duplex.take()).toEqual([]);
    expect(fast!.duplex.take().map((r) => r.resources[0]?.json)).toEqual([
      { name: 'a', content: 'v2' },
      { name: 'a', content: 'v3' },
      { name: 'a', content: 'v4' },
    ]);
    slow!.duplex.setFull(false);
    await world.settle();
    const merged = slow!.duplex.takeOne();
    expect(merged.resources[0]?.json).toEqual({ name: 'a', content: 'v4' });
    expect(merged.versionInfo).toBe(world.source.version());
  });

  it('item 38: a full buffer mid-flush keeps the remaining types for after the drain, built fresh', async () => {
    const { stream, duplex } = world.sotw();
    stream.handleRequest(sotw(CDS, ['a']));
    stream.handleRequest(sotw(EDS, ['a']));
    stream.handleRequest(sotw(LDS, ['echo.test']));
    const latest = new Map(duplex.take().map((r) => [r.typeUrl, r]));
    for (const response of latest.values()) stream.handleRequest(ackOf(response, namesOf(response)));
    duplex.setFull(true);
    world.source.apply({
      put: [
        [CDS, 'a', 'v2'],
        [LDS, 'echo.test', 'v2'],
      ],
    });
    await world.settle();
    expect(duplex.take().map((r) => r.typeUrl)).toEqual([CDS]);
    world.source.apply({ put: [[LDS, 'echo.test', 'v3']] });
    duplex.setFull(false);
    await world.settle();
    const rest = duplex.take();
    expect(rest.map((r) => r.typeUrl)).toEqual([EDS, LDS]);
    expect(rest[1]?.resources[0]?.json).toEqual({ name: 'echo.test', content: 'v3' });
  });

  it('item 38: a request-driven response waits for drain too, and is built from the state at drain time', async () => {
    const { stream, duplex } = world.subscribedSotw(EDS, ['a']);
    duplex.setFull(true);
    world.source.apply({
      put: [
        [EDS, 'a', 'v2'],
        [EDS, 'b'],
      ],
    });
    await world.settle();
    const pushed = duplex.takeOne(); // accepted; the buffer is now full
    stream.handleRequest(ackOf(pushed, ['a', 'b']));
    world.source.apply({ put: [[EDS, 'b', 'v2']] });
    await world.settle();
    expect(duplex.take()).toEqual([]);
    duplex.setFull(false);
    await world.settle();
    const answer = duplex.takeOne();
    expect(answer.resources.map((r) => r.json)).toEqual([{ name: 'b', content: 'v2' }]);
  });

  it('a closed stream leaves the scheduler, the change feed and the change index', async () => {
    const [one] = endpointsStreams(1);
    one!.stream.handleClose();
    expect(world.source.subscribers).toBe(0);
    expect(ChangeRouter.of(world.source).stats()).toEqual({
      streams: 0,
      names: 0,
      wildcards: 0,
      following: false,
    });
    world.source.apply({ put: [[EDS, 'a', 'v2']] });
    await world.settle();
    expect(one!.duplex.take()).toEqual([]);
  });
});
