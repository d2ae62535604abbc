/** The SotW engine against XDS.md §5 items 1-9 and 29-30: handshake, ACK/NACK, reconnect. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TypeUrl } from '../../../../src/xds/types.js';
import { ackOf, aNode, CDS, EDS, LDS, nackOf, namesOf, perType, RDS, sotw, World } from './harness.js';

describe('SotwStream protocol', () => {
  let world: World;

  beforeEach(() => {
    world = World.withResources();
  });

  afterEach(() => world.close());

  const subscribed = (typeUrl: TypeUrl, names: readonly string[]) => world.subscribedSotw(typeUrl, names);

  describe('stream and handshake', () => {
    it('item 1: the first node is kept; later requests without (or with another) node are the same node', () => {
      const { stream, duplex } = world.sotw();
      stream.handleRequest(sotw(CDS, ['a'], { node: aNode({ id: 'first' }) }));
      stream.handleRequest(sotw(EDS, ['a']));
      stream.handleRequest(sotw(LDS, ['echo.test'], { node: aNode({ id: 'second' }) }));
      expect(duplex.take()).toHaveLength(3);
      expect(stream.nodeId).toBe('first');
      expect(world.callbacks.requests.map((r) => r.nodeId)).toEqual(['first', 'first', 'first']);
      expect(world.registry.find('first')).toHaveLength(1);
    });

    it('item 2: the first request for a type is answered even when version_info is the current version', () => {
      const { stream, duplex } = world.sotw();
      const current = world.source.version();
      stream.handleRequest(sotw(EDS, ['a', 'nope'], { versionInfo: current, node: aNode() }));
      const response = duplex.takeOne();
      expect(namesOf(response)).toEqual(['a']);
      expect(response.versionInfo).toBe(current);
      expect(world.callbacks.requests[0]?.disposition).toBe('initial');
    });

    it('item 2: a first request whose names do not exist is still answered (empty), and an empty wildcard too', () => {
      world.source.apply({
        delete: [
          [CDS, 'a'],
          [CDS, 'b'],
        ],
      });
      const { stream, duplex } = world.sotw();
      stream.handleRequest(sotw(EDS, ['nope']));
      stream.handleRequest(sotw(CDS, []));
      expect(duplex.take().map(namesOf)).toEqual([[], []]);
    });

    it('item 3: an empty type_url on ADS closes the stream with INVALID_ARGUMENT', () => {
      const { stream, duplex } = world.sotw();
      stream.handleRequest(sotw('', ['a'], { node: aNode() }));
      expect(duplex.closed).toBe(true);
      expect(duplex.closeError?.code).toBe('INVALID_ARGUMENT');
      expect(stream.closed).toBe(true);
      expect(world.callbacks.closed).toEqual([
        expect.objectContaining({ reason: 'rejected', nodeId: 'node-1' }),
      ]);
      expect(world.registry.size).toBe(0);
      expect(world.source.subscribers).toBe(0);
    });

    it('item 3: an unknown type URL gets no response and the stream stays open', () => {
      const { stream, duplex } = world.sotw();
      stream.handleRequest(
        sotw('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', ['x']),
      );
      expect(duplex.take()).toEqual([]);
      expect(duplex.closed).toBe(false);
      expect(world.callbacks.requests[0]?.disposition).toBe('unknown-type');
      stream.handleRequest(sotw(CDS, ['a']));
      expect(namesOf(duplex.takeOne())).toEqual(['a']);
    });

    it('item 3: a per-type stream serves its fixed type (empty type_url allowed) and ignores others', () => {
      const { stream, duplex } = world.sotw(perType(EDS));
      stream.handleRequest(sotw('', ['a']));
      expect(duplex.takeOne()).toMatchObject({
        typeUrl: EDS,
        resources: [expect.objectContaining({ name: 'a' })],
      });
      stream.handleRequest(sotw(CDS, ['a']));
      expect(duplex.take()).toEqual([]);
      expect(duplex.closed).toBe(false);
      expect(stream.status(false)).toMatchObject({ ads: false, typeUrl: EDS });
    });

    it('item 3: a per-type stream gets pushes of its type only', async () => {
      const { stream, duplex } = world.sotw(perType(EDS));
      stream.handleRequest(sotw('', ['a']));
      stream.handleRequest(ackOf(duplex.takeOne(), ['a']));
      world.source.apply({
        put: [
          [EDS, 'a', 'v2'],
          [CDS, 'a', 'v2'],
        ],
      });
      await world.settle();
      expect(duplex.takeOne()).toMatchObject({
        typeUrl: EDS,
        resources: [expect.objectContaining({ name: 'a' })],
      });
    });

    it('item 4: every response has a non-empty version_info and a nonce unique within the stream', () => {
      const { stream, duplex } = world.sotw();
      for (const typeUrl of [CDS, EDS, LDS, RDS]) stream.handleRequest(sotw(typeUrl, []));
      stream.handleRequest(sotw(EDS, ['a']));
      const responses = duplex.take();
      expect(responses).toHaveLength(5);
      expect(new Set(responses.map((r) => r.nonce)).size).toBe(5);
      expect(responses.every((r) => r.versionInfo === world.source.version())).toBe(true);
    });
  });

  describe('ACK and NACK', () => {
    it('item 5: an ACK with unchanged names produces no response and records the ACKed version', () => {
      const { stream, last } = subscribed(EDS, ['a']);
      expect(stream.status(false).types[0]).toMatchObject({
        ackedVersion: last.versionInfo,
        lastSentNonce: last.nonce,
      });
      expect(world.callbacks.requests.map((r) => r.disposition)).toEqual(['initial', 'ack']);
    });

    it('item 6: a NACK produces no response, is reported with node, type, nonce and message, and is not resent', async () => {
      const { stream, duplex, last } = subscribed(CDS, ['a']);
      world.source.apply({ put: [[CDS, 'a', 'bad']] });
      await world.settle();
      const bad = duplex.takeOne();
      stream.handleRequest(nackOf(bad, ['a'], last.versionInfo));
      expect(duplex.take()).toEqual([]);
      expect(world.callbacks.nacks).toEqual([
        {
          streamId: stream.id,
          nodeId: 'node-1',
          typeUrl: CDS,
          version: last.versionInfo,
          nonce: bad.nonce,
          code: 14,
          message: 'resource invalid',
        },
      ]);
      expect(stream.status(false).types[0]?.lastNack).toMatchObject({
        nonce: bad.nonce,
        message: 'resource invalid',
      });
      world.source.apply({ put: [[EDS, 'a', 'unrelated']] });
      await world.settle();
      stream.handleRequest(nackOf(bad, ['a'], last.versionInfo));
      expect(duplex.take()).toEqual([]);
    });

    it('item 6: a NACK that adds a name is answered with the new name (not a resend of the rejected one alone)', () => {
      const { stream, duplex, last } = subscribed(EDS, ['a']);
      stream.handleRequest(nackOf(last, ['a', 'b']));
      expect(namesOf(duplex.takeOne())).toEqual(['b']);
    });

    it('item 7: after a NACK of N+1 the next real change goes out as N+2 with a new nonce', async () => {
      const { stream, duplex, last } = subscribed(CDS, ['a']);
      world.source.apply({ put: [[CDS, 'a', 'bad']] });
      await world.settle();
      const rejected = duplex.takeOne();
      stream.handleRequest(nackOf(rejected, ['a'], last.versionInfo));
      world.source.apply({ put: [[CDS, 'a', 'fixed']] });
      await world.settle();
      const fixed = duplex.takeOne();
      expect(fixed.versionInfo).not.toBe(rejected.versionInfo);
      expect(fixed.versionInfo).toBe(world.source.version());
      expect(fixed.nonce).not.toBe(rejected.nonce);
      expect(fixed.resources[0]?.json).toEqual({ name: 'a', content: 'fixed' });
      stream.handleRequest(ackOf(fixed, ['a']));
      expect(stream.status(false).types[0]?.ackedVersion).toBe(fixed.versionInfo);
    });

    it('item 8: a NACK carrying the new version (gRFC A46 partial acceptance) is still a NACK', async () => {
      const { stream, duplex } = subscribed(CDS, ['a', 'b']);
      world.source.apply({ put: [[CDS, 'b', 'bad']] });
      await world.settle();
      const partial = duplex.takeOne();
      stream.handleRequest(nackOf(partial, ['a', 'b'], partial.versionInfo));
      expect(world.callbacks.nacks).toHaveLength(1);
      expect(world.callbacks.requests.at(-1)?.disposition).toBe('nack');
      expect(stream.status(false).types[0]?.ackedVersion).not.toBe(partial.versionInfo);
      expect(duplex.take()).toEqual([]);
    });

    it('item 9: a stale-nonce request is ignored; the next one with the latest nonce converges', async () => {
      const { stream, duplex, last } = subscribed(EDS, ['a']);
      world.source.apply({ put: [[EDS, 'a', 'v2']] });
      await world.settle();
      const latest = duplex.takeOne();
      stream.handleRequest(ackOf(last, ['a', 'b'])); // raced the push: stale
      expect(duplex.take()).toEqual([]);
      expect(world.callbacks.requests.at(-1)?.disposition).toBe('stale');
      expect([...(stream.status(false).types[0]?.names ?? [])]).toEqual(['a']);
      stream.handleRequest(ackOf(latest, ['a', 'b']));
      expect(namesOf(duplex.takeOne())).toEqual(['b']);
    });
  });

  describe('reconnect and restart', () => {
    it('item 29: after a reset, first requests with old versions and empty nonces (all at once) get current state', () => {
      const before = subscribed(EDS, ['a']);
      before.stream.handleClose();
      expect(world.callbacks.closed.at(-1)).toMatchObject({ reason: 'client' });
      world.source.apply({ put: [[EDS, 'a', 'v2']] });
      const { stream, duplex } = world.sotw();
      const old = before.last.versionInfo;
      stream.handleRequest(sotw(LDS, ['echo.test'], { versionInfo: old, node: aNode() }));
      stream.handleRequest(sotw(RDS, ['echo-route'], { versionInfo: old }));
      stream.handleRequest(sotw(CDS, ['a'], { versionInfo: old }));
      stream.handleRequest(sotw(EDS, ['a'], { versionInfo: old, responseNonce: before.last.nonce }));
      const responses = duplex.take();
      expect(responses.map((r) => [r.typeUrl, namesOf(r)])).toEqual([
        [LDS, ['echo.test']],
        [RDS, ['echo-route']],
        [CDS, ['a']],
        [EDS, ['a']],
      ]);
      expect(responses[3]?.resources[0]?.json).toEqual({ name: 'a', content: 'v2' });
    });

    it('item 30: versions come from the source (epoch-prefixed), so a restarted server never reuses one', () => {
      const { last } = subscribed(CDS, ['a']);
      expect(last.versionInfo).toMatch(/^e1-\d+$/);
    });
  });
});
