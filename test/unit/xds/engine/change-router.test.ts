/**
 * Change fan-out by index (PERFORMANCE.md §4.6, XDS.md §5 items 16 and 37): a change reaches only the
 * streams that subscribe a changed name or the type's wildcard, the index follows every subscription
 * change (SotW and delta, ADS and per-type, wildcard transitions), and an ended stream leaves nothing.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ChangeRouter, type RoutedStream } from '../../../../src/xds/change-router.js';
import type { SubscriptionUpdate } from '../../../../src/xds/subscription.js';
import type { DeltaResponse, TypeUrl } from '../../../../src/xds/types.js';
import { FakeResourceSource } from '../../../fakes/resource-source.js';
import { ackOf, aNode, CDS, delta, EDS, LDS, namesOf, perType, RDS, sotw, World } from './harness.js';

/** A stream that records what the router hands it. */
class RecordingStream implements RoutedStream {
  readonly routed: [TypeUrl, string[], boolean][] = [];
  readonly failures: unknown[] = [];
  throws = false;

  routeChange(typeUrl: TypeUrl, names: readonly string[], wildcard: boolean): void {
    if (this.throws) throw new Error('boom');
    this.routed.push([typeUrl, [...names], wildcard]);
  }

  fail(error: unknown): void {
    this.failures.push(error);
  }
}

function update(overrides: Partial<SubscriptionUpdate>): SubscriptionUpdate {
  return { added: [], removed: [], wildcardAdded: false, wildcardRemoved: false, ...overrides };
}

const EMPTY_INDEX = { streams: 0, names: 0, wildcards: 0, following: false };

describe('ChangeRouter', () => {
  let source: FakeResourceSource;
  let router: ChangeRouter;

  beforeEach(() => {
    source = new FakeResourceSource();
    router = new ChangeRouter(source);
  });

  function attached(): RecordingStream {
    const stream = new RecordingStream();
    router.attach(stream);
    return stream;
  }

  it('hands a changed name only to the streams subscribing it and to the wildcard streams of its type', () => {
    const edsX = attached();
    const edsY = attached();
    const cdsWildcard = attached();
    const cdsX = attached();
    const cdsWildcardAndX = attached();
    const idle = attached();
    router.track(edsX, EDS, update({ added: ['x'] }));
    router.track(edsY, EDS, update({ added: ['y'] }));
    router.track(cdsWildcard, CDS, update({ wildcardAdded: true }));
    router.track(cdsX, CDS, update({ added: ['x'] }));
    router.track(cdsWildcardAndX, CDS, update({ added: ['x'], wildcardAdded: true }));
    source.apply({
      put: [
        [EDS, 'x', 'v2'],
        [CDS, 'x', 'v2'],
      ],
    });
    expect(edsX.routed).toEqual([[EDS, ['x'], false]]);
    expect(edsY.routed).toEqual([]);
    expect(cdsWildcard.routed).toEqual([[CDS, ['x'], true]]);
    expect(cdsX.routed).toEqual([[CDS, ['x'], false]]);
    // Covered twice (wildcard and name), handed the change once.
    expect(cdsWildcardAndX.routed).toEqual([[CDS, ['x'], true]]);
    expect(idle.routed).toEqual([]);
  });

  it('hands a stream all its changed names of a type in one call, for small and bulk changes', () => {
    const stream = attached();
    const other = attached();
    router.track(stream, EDS, update({ added: ['x', 'y', 'z'] }));
    router.track(other, EDS, update({ added: ['y'] }));
    source.apply({
      put: [
        [EDS, 'x', 'v2'],
        [EDS, 'w', 'v2'],
        [EDS, 'y', 'v2'],
      ],
    });
    expect(stream.routed).toEqual([[EDS, ['x', 'y'], false]]);
    expect(other.routed).toEqual([[EDS, ['y'], false]]);
    // More changed names than indexed names: the index is walked instead; same result.
    const bulk = Array.from({ length: 20 }, (_, i) => [EDS, `n${i}`, 'v2'] as const);
    source.apply({ put: [...bulk, [EDS, 'z', 'v3']] });
    expect(stream.routed.slice(1)).toEqual([[EDS, ['z'], false]]);
    expect(other.routed).toHaveLength(1);
  });

  it('stops routing removed names and a dropped wildcard; a dropped stream leaves nothing in the index', () => {
    const stream = attached();
    router.track(stream, CDS, update({ added: ['x', 'y'], wildcardAdded: true }));
    router.track(stream, EDS, update({ added: ['x'] }));
    expect(router.stats()).toEqual({ streams: 1, names: 3, wildcards: 1, following: true });
    router.track(stream, CDS, update({ removed: ['y'], wildcardRemoved: true }));
    expect(router.subscribers(CDS, 'y')).toBe(0);
    expect(router.subscribers(CDS, 'x')).toBe(1);
    source.apply({ put: [[CDS, 'y', 'v2']] });
    expect(stream.routed).toEqual([]);
    router.drop(stream, [
      { typeUrl: CDS, names: new Set(['x']), wildcard: false },
      { typeUrl: EDS, names: new Set(['x']), wildcard: false },
    ]);
    expect(router.stats()).toEqual(EMPTY_INDEX);
    expect(source.subscribers).toBe(0);
  });

  it('follows the change feed once, only while a stream is attached', () => {
    const streams = [attached(), attached(), attached()];
    expect(source.subscribers).toBe(1);
    for (const stream of streams) router.drop(stream, []);
    expect(source.subscribers).toBe(0);
    const again = attached();
    router.track(again, EDS, update({ added: ['x'] }));
    expect(source.subscribers).toBe(1);
    source.apply({ put: [[EDS, 'x', 'v2']] });
    expect(again.routed).toEqual([[EDS, ['x'], false]]);
  });

  it('ignores updates of a stream that is not attached (it ended)', () => {
    const stream = new RecordingStream();
    router.track(stream, EDS, update({ added: ['x'] }));
    expect(router.stats()).toEqual(EMPTY_INDEX);
  });

  it('fails a stream whose handler throws; the other streams still get the change', () => {
    const broken = attached();
    const fine = attached();
    broken.throws = true;
    router.track(broken, EDS, update({ added: ['x'] }));
    router.track(fine, EDS, update({ added: ['x'] }));
    source.apply({ put: [[EDS, 'x', 'v2']] });
    expect(broken.failures).toEqual([new Error('boom')]);
    expect(fine.routed).toEqual([[EDS, ['x'], false]]);
  });
});

describe('change routing through the engines', () => {
  let world: World;

  beforeEach(() => {
    world = World.withResources();
  });

  afterEach(() => world.close());

  const router = (): ChangeRouter => ChangeRouter.of(world.source);

  function spy(stream: RoutedStream) {
    return jest.spyOn(stream, 'routeChange');
  }

  it('only streams subscribing a changed name, or its type by wildcard, are handed the change', async () => {
    const edsA = world.subscribedSotw(EDS, ['a']);
    const edsB = world.subscribedSotw(EDS, ['b']);
    const wildcard = world.delta(perType(CDS));
    wildcard.stream.handleRequest(delta(CDS, { node: aNode() }));
    wildcard.duplex.take();
    const cdsB = world.sotw(perType(CDS));
    cdsB.stream.handleRequest(sotw(CDS, ['b']));
    cdsB.duplex.take();
    const spies = [edsA.stream, edsB.stream, wildcard.stream, cdsB.stream].map(spy);

    world.source.apply({ put: [[EDS, 'a', 'v2']] });
    expect(spies.map((s) => s.mock.calls)).toEqual([[[EDS, ['a'], false]], [], [], []]);
    await world.settle();
    expect(namesOf(edsA.duplex.takeOne())).toEqual(['a']);
    expect(edsB.duplex.take()).toEqual([]);

    world.source.apply({ put: [[CDS, 'b', 'v2']] });
    expect(spies.map((s) => s.mock.calls.length)).toEqual([1, 0, 1, 1]);
    expect(spies[2]!.mock.calls[0]).toEqual([CDS, ['b'], true]);
    await world.settle();
    expect(namesOf(wildcard.duplex.takeOne())).toEqual(['b']);
    expect(namesOf(cdsB.duplex.takeOne())).toEqual(['b']);
  });

  it('a stream subscribing a name after it changed gets its current version (SotW and delta)', async () => {
    const { stream, duplex, last } = world.subscribedSotw(EDS, ['b']);
    world.source.apply({ put: [[EDS, 'a', 'v2']] }); // not subscribed yet: not routed to it
    await world.settle();
    expect(duplex.take()).toEqual([]);
    stream.handleRequest(ackOf(last, ['a', 'b']));
    expect(duplex.takeOne().resources.map((r) => r.json)).toEqual([{ name: 'a', content: 'v2' }]);

    const late = world.delta();
    late.stream.handleRequest(delta(EDS, { subscribe: ['b'], node: aNode() }));
    late.duplex.take();
    world.source.apply({ put: [[EDS, 'a', 'v3']] });
    await world.settle();
    expect(late.duplex.take()).toEqual([]);
    expect(namesOf(duplex.takeOne())).toEqual(['a']); // the SotW stream subscribes it by now
    late.stream.handleRequest(delta(EDS, { subscribe: ['a'] }));
    expect(late.duplex.takeOne().resources.map((r) => r.json)).toEqual([{ name: 'a', content: 'v3' }]);
    // …and is routed later changes from then on.
    world.source.apply({ put: [[EDS, 'a', 'v4']] });
    await world.settle();
    expect(namesOf(duplex.takeOne())).toEqual(['a']);
    expect(namesOf(late.duplex.takeOne())).toEqual(['a']);
  });

  it('a change between a subscription and its (delayed) response is in the response', async () => {
    const { stream, duplex } = world.sotw();
    duplex.setFull(true);
    stream.handleRequest(sotw(CDS, ['a']));
    duplex.take(); // accepted; the buffer is now full
    stream.handleRequest(sotw(EDS, ['a'])); // owed, waits for drain
    world.source.apply({ put: [[EDS, 'a', 'v2']] });
    await world.settle();
    expect(duplex.take()).toEqual([]);
    duplex.setFull(false);
    await world.settle();
    expect(duplex.takeOne().resources.map((r) => r.json)).toEqual([{ name: 'a', content: 'v2' }]);
  });

  it('SotW wildcard → explicit: {*,a} routes every cluster, {a} only a, [] nothing', async () => {
    const { stream, duplex } = world.subscribedSotw(CDS, ['*', 'a']);
    expect(router().stats()).toMatchObject({ names: 1, wildcards: 1 });
    world.source.apply({ put: [[CDS, 'b', 'v2']] });
    await world.settle();
    const pushed = duplex.takeOne();
    expect(namesOf(pushed)).toEqual(['a', 'b']);
    stream.handleRequest(ackOf(pushed, ['a']));
    expect(router().stats()).toMatchObject({ names: 1, wildcards: 0 });
    const routed = spy(stream);
    world.source.apply({ put: [[CDS, 'b', 'v3']] });
    expect(routed).not.toHaveBeenCalled();
    world.source.apply({ put: [[CDS, 'a', 'v2']] });
    expect(routed).toHaveBeenCalledTimes(1);
    await world.settle();
    const onlyA = duplex.takeOne();
    expect(namesOf(onlyA)).toEqual(['a']);
    stream.handleRequest(ackOf(onlyA, []));
    expect(router().stats()).toMatchObject({ names: 0, wildcards: 0 });
    world.source.apply({ put: [[CDS, 'a', 'v3']] });
    expect(routed).toHaveBeenCalledTimes(1);
    await world.settle();
    expect(duplex.take()).toEqual([]);
  });

  it('delta: wildcard + a, then unsubscribing `*` routes only a; unsubscribing a routes nothing', async () => {
    const { stream, duplex } = world.delta();
    stream.handleRequest(delta(CDS, { node: aNode() }));
    stream.handleRequest(delta(CDS, { subscribe: ['a'] }));
    duplex.take();
    expect(router().stats()).toMatchObject({ names: 1, wildcards: 1 });
    stream.handleRequest(delta(CDS, { unsubscribe: ['*'] }));
    duplex.take();
    expect(router().stats()).toMatchObject({ names: 1, wildcards: 0 });
    world.source.apply({ put: [[CDS, 'b', 'v2']] });
    await world.settle();
    expect(duplex.take()).toEqual([]);
    world.source.apply({ put: [[CDS, 'a', 'v2']] });
    await world.settle();
    expect(namesOf(duplex.takeOne() as DeltaResponse)).toEqual(['a']);
    stream.handleRequest(delta(CDS, { unsubscribe: ['a'] }));
    expect(router().subscribers(CDS, 'a')).toBe(0);
    world.source.apply({ put: [[CDS, 'a', 'v3']] });
    await world.settle();
    expect(duplex.take()).toEqual([]);
  });

  it('on-demand LDS/RDS names are indexed like any other name', async () => {
    const { stream, duplex } = world.sotw();
    stream.handleRequest(sotw(LDS, ['echo.test']));
    stream.handleRequest(sotw(RDS, ['echo-route']));
    duplex.take();
    expect(router().subscribers(LDS, 'echo.test')).toBe(1);
    expect(router().subscribers(RDS, 'echo-route')).toBe(1);
    world.source.apply({ put: [[RDS, 'echo-route', 'v2']] });
    await world.settle();
    expect(duplex.takeOne().typeUrl).toBe(RDS);
  });

  it('an ended stream leaves nothing in the index, however it ended', () => {
    const ended: (() => void)[] = [];
    // SotW ADS over every type, with an explicit wildcard and on-demand names; closed by the client.
    const ads = world.sotw();
    ads.stream.handleRequest(sotw(CDS, ['*', 'a'], { node: aNode() }));
    ads.stream.handleRequest(sotw(EDS, ['a', 'b']));
    ads.stream.handleRequest(sotw(LDS, ['echo.test']));
    ads.stream.handleRequest(sotw(RDS, ['echo-route']));
    ended.push(() => ads.stream.handleClose());
    // Delta ADS with a legacy wildcard plus names; closed by the server.
    const deltaAds = world.delta();
    deltaAds.stream.handleRequest(delta(CDS, { node: aNode() }));
    deltaAds.stream.handleRequest(delta(CDS, { subscribe: ['b'] }));
    deltaAds.stream.handleRequest(delta(EDS, { subscribe: ['a', 'missing'] }));
    ended.push(() => deltaAds.stream.close());
    // Per-type streams and an ADS stream, ended by an internal failure and an INVALID_ARGUMENT rejection.
    const perTypeEds = world.sotw(perType(EDS));
    perTypeEds.stream.handleRequest(sotw('', ['a']));
    ended.push(() => perTypeEds.stream.fail(new Error('boom')));
    const rejected = world.sotw();
    rejected.stream.handleRequest(sotw(EDS, ['b']));
    ended.push(() => rejected.stream.handleRequest(sotw('', ['b'])));
    const deltaPerType = world.delta(perType(LDS));
    deltaPerType.stream.handleRequest(delta(LDS, { subscribe: ['echo.test'] }));
    ended.push(() => deltaPerType.stream.handleClose());

    expect(router().stats()).toEqual({ streams: 5, names: 7, wildcards: 2, following: true });
    expect(router().subscribers(EDS, 'a')).toBe(3);
    for (const end of ended) end();
    expect(router().stats()).toEqual(EMPTY_INDEX);
    expect(world.source.subscribers).toBe(0);
  });
});
