/** The delta engine against XDS.md §1.7 and §5 items 32-36. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DeltaStream } from '../../../../src/xds/delta-stream.js';
import type { DeltaResponse, TypeUrl } from '../../../../src/xds/types.js';
import { aNode, CDS, delta, EDS, LDS, namesOf, World, type FakeDuplex } from './harness.js';

/** The ACK of a delta response. */
function ackOf(response: DeltaResponse, overrides: Partial<Parameters<typeof delta>[1]> = {}) {
  return delta(response.typeUrl, { responseNonce: response.nonce, ...overrides });
}

describe('DeltaStream', () => {
  let world: World;

  beforeEach(() => {
    world = new World();
    world.source.apply({
      put: [
        [CDS, 'a'],
        [CDS, 'b'],
        [EDS, 'a'],
        [EDS, 'b'],
      ],
    });
  });

  afterEach(() => world.close());

  /** Open an ADS delta stream with a first request for `typeUrl`, and ACK the answer. */
  function opened(
    typeUrl: TypeUrl,
    subscribe: readonly string[],
  ): { stream: DeltaStream; duplex: FakeDuplex<DeltaResponse>; first: DeltaResponse } {
    const { stream, duplex } = world.delta();
    stream.handleRequest(delta(typeUrl, { subscribe, node: aNode({ userAgent: 'envoy' }) }));
    const first = duplex.takeOne();
    stream.handleRequest(ackOf(first));
    expect(duplex.take()).toEqual([]);
    return { stream, duplex, first };
  }

  it('answers a first wildcard CDS request with every cluster, then pushes only what differs', async () => {
    const { duplex, first } = opened(CDS, []);
    expect(namesOf(first)).toEqual(['a', 'b']);
    expect(first.systemVersionInfo).toBe(world.source.version());
    world.source.apply({
      put: [
        [CDS, 'b', 'v2'],
        [CDS, 'c'],
      ],
    });
    await world.settle();
    const pushed = duplex.takeOne();
    expect([namesOf(pushed), pushed.removedResources]).toEqual([['b', 'c'], []]);
    world.source.apply({ put: [[CDS, 'c']] }); // same content: same version, nothing to send
    await world.settle();
    expect(duplex.take()).toEqual([]);
  });

  it('item 32: a removed service lists its cluster in removed_resources; EDS removals are never explicit', async () => {
    const cds = opened(CDS, []);
    const eds = opened(EDS, ['a', 'b']);
    world.source.apply({
      delete: [
        [CDS, 'b'],
        [EDS, 'b'],
      ],
    });
    await world.settle();
    expect(cds.duplex.takeOne()).toMatchObject({ resources: [], removedResources: ['b'] });
    expect(eds.duplex.take()).toEqual([]);
  });

  it('item 33: initial_resource_versions: same versions are not resent, changed ones are, gone ones are removed', () => {
    const { stream, duplex } = world.delta();
    const a = world.source.get(CDS, 'a')!;
    const initialResourceVersions = new Map([
      ['a', a.version],
      ['b', 'stale-version'],
      ['deleted', 'whatever'],
    ]);
    stream.handleRequest(delta(CDS, { initialResourceVersions, node: aNode() }));
    const response = duplex.takeOne();
    expect(namesOf(response)).toEqual(['b']);
    expect(response.removedResources).toEqual(['deleted']);
  });

  it('item 33: initial versions of a deleted CLA yield no explicit EDS removal', () => {
    const { stream, duplex } = world.delta();
    const a = world.source.get(EDS, 'a')!;
    stream.handleRequest(
      delta(EDS, {
        subscribe: ['a', 'gone'],
        initialResourceVersions: new Map([
          ['a', a.version],
          ['gone', 'x'],
        ]),
      }),
    );
    expect(duplex.takeOne()).toMatchObject({ resources: [], removedResources: [] });
  });

  it('item 34: subscription changes apply even with a stale nonce', () => {
    const { stream, duplex } = opened(EDS, ['a']);
    stream.handleRequest(delta(EDS, { responseNonce: 'old', subscribe: ['b'] }));
    expect(world.callbacks.requests.at(-1)?.disposition).toBe('stale');
    expect(namesOf(duplex.takeOne())).toEqual(['b']);
  });

  it('item 34: phantom unsubscribes are ignored quietly', () => {
    const { stream, duplex } = opened(EDS, ['a']);
    stream.handleRequest(delta(EDS, { unsubscribe: ['never-subscribed'] }));
    expect(duplex.take()).toEqual([]);
    expect(stream.closed).toBe(false);
  });

  it('item 34: subscribing a name the client already holds resends it', () => {
    const { stream, duplex } = opened(EDS, ['a']);
    stream.handleRequest(delta(EDS, { subscribe: ['a'] }));
    expect(namesOf(duplex.takeOne())).toEqual(['a']);
  });

  it('item 35: wildcard + explicit name, then unsubscribing it answers in resources while the wildcard covers it', () => {
    const { stream, duplex } = opened(CDS, ['*', 'a']);
    stream.handleRequest(delta(CDS, { unsubscribe: ['a'] }));
    expect(duplex.takeOne()).toMatchObject({
      resources: [expect.objectContaining({ name: 'a' })],
      removedResources: [],
    });
  });

  it('item 35: … and in removed_resources when the wildcard does not cover it', () => {
    world.source.apply({ put: [[LDS, 'echo.test']] });
    const { stream, duplex, first } = opened(LDS, ['*', 'echo.test']);
    expect(namesOf(first)).toEqual(['echo.test']);
    stream.handleRequest(delta(LDS, { unsubscribe: ['echo.test'] }));
    expect(duplex.takeOne()).toMatchObject({ resources: [], removedResources: ['echo.test'] });
  });

  it('item 36: a NACK produces no resend of the same versions; the next real change is sent', async () => {
    const { stream, duplex } = opened(EDS, ['a']);
    world.source.apply({ put: [[EDS, 'a', 'bad']] });
    await world.settle();
    const bad = duplex.takeOne();
    stream.handleRequest(ackOf(bad, { errorDetail: { code: 3, message: 'bad CLA' } }));
    expect(duplex.take()).toEqual([]);
    expect(world.callbacks.nacks).toEqual([
      expect.objectContaining({ nonce: bad.nonce, message: 'bad CLA', typeUrl: EDS }),
    ]);
    world.source.apply({ put: [[EDS, 'b', 'v2']] }); // not subscribed
    await world.settle();
    expect(duplex.take()).toEqual([]);
    world.source.apply({ put: [[EDS, 'a', 'good']] });
    await world.settle();
    expect(duplex.takeOne().resources[0]?.json).toEqual({ name: 'a', content: 'good' });
  });

  it('a named CDS resource that does not exist is reported removed once, and sent when it appears', async () => {
    const { duplex, first } = opened(CDS, ['later']);
    expect(first).toMatchObject({ resources: [], removedResources: ['later'] });
    world.source.apply({ put: [[CDS, 'unrelated']] });
    await world.settle();
    expect(duplex.take()).toEqual([]);
    world.source.apply({ put: [[CDS, 'later']] });
    await world.settle();
    expect(namesOf(duplex.takeOne())).toEqual(['later']);
  });

  it('an EDS name that does not exist gets no removal and is pushed when it appears', async () => {
    const { duplex, first } = opened(EDS, ['later']);
    expect(first).toMatchObject({ resources: [], removedResources: [] });
    world.source.apply({ put: [[EDS, 'later']] });
    await world.settle();
    expect(namesOf(duplex.takeOne())).toEqual(['later']);
  });

  it('item 20: a CDS change resends the CLA of that cluster on a delta ADS stream too', async () => {
    const { stream, duplex } = opened(CDS, []);
    stream.handleRequest(delta(EDS, { subscribe: ['a'] }));
    stream.handleRequest(ackOf(duplex.takeOne()));
    world.source.apply({ put: [[CDS, 'a', 'v2']] });
    await world.settle();
    expect(duplex.take().map((r) => [r.typeUrl, namesOf(r)])).toEqual([
      [CDS, ['a']],
      [EDS, ['a']],
    ]);
  });

  it('a bulk change to a wildcard subscription is reconsidered as a whole', async () => {
    const { duplex } = opened(CDS, []);
    const put = Array.from({ length: 300 }, (_, i) => [CDS, `bulk-${i}`] as const);
    world.source.apply({ put, delete: [[CDS, 'a']] });
    await world.settle();
    const response = duplex.takeOne();
    expect(response.resources).toHaveLength(300);
    expect(response.removedResources).toEqual(['a']);
  });

  it('item 3: an empty type_url on delta ADS closes the stream with INVALID_ARGUMENT', () => {
    const { stream, duplex } = world.delta();
    stream.handleRequest(delta(''));
    expect(duplex.closeError?.code).toBe('INVALID_ARGUMENT');
    expect(stream.closed).toBe(true);
  });

  it('unsubscribing `*` stops wildcard pushes', async () => {
    const { stream, duplex } = opened(CDS, []);
    stream.handleRequest(delta(CDS, { unsubscribe: ['*'] }));
    expect(duplex.take()).toEqual([]);
    world.source.apply({ put: [[CDS, 'c']] });
    await world.settle();
    expect(duplex.take()).toEqual([]);
  });
});
