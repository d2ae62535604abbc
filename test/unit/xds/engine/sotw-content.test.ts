/** The SotW engine against XDS.md §5 items 10-21: subscriptions and response content. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TypeUrl } from '../../../../src/xds/types.js';
import { ackOf, aNode, CDS, EDS, LDS, namesOf, RDS, sotw, World } from './harness.js';

describe('SotwStream content', () => {
  let world: World;

  beforeEach(() => {
    world = World.withResources();
  });

  afterEach(() => world.close());

  const subscribed = (typeUrl: TypeUrl, names: readonly string[]) => world.subscribedSotw(typeUrl, names);

  describe('subscriptions', () => {
    it('item 10: adding a name (EDS) sends it even if unchanged and sent before on this stream', () => {
      const { stream, duplex, last } = subscribed(EDS, ['a', 'b']);
      stream.handleRequest(ackOf(last, ['a']));
      expect(duplex.take()).toEqual([]);
      stream.handleRequest(ackOf(last, ['a', 'b']));
      const again = duplex.takeOne();
      expect(namesOf(again)).toEqual(['b']);
    });

    it('item 10: adding a name on CDS sends the full subscribed set', () => {
      const { stream, duplex, last } = subscribed(CDS, ['a']);
      stream.handleRequest(ackOf(last, ['a', 'b']));
      expect(namesOf(duplex.takeOne())).toEqual(['a', 'b']);
    });

    it('item 11: a removed name stops receiving updates; an empty list after names is nothing, not wildcard', async () => {
      const { stream, duplex, last } = subscribed(CDS, ['a', 'b']);
      stream.handleRequest(ackOf(last, ['a']));
      world.source.apply({ put: [[CDS, 'b', 'v2']] });
      await world.settle();
      expect(duplex.take()).toEqual([]);
      stream.handleRequest(ackOf(last, []));
      expect(duplex.take()).toEqual([]);
      world.source.apply({
        put: [
          [CDS, 'a', 'v2'],
          [CDS, 'c'],
        ],
      });
      await world.settle();
      expect(duplex.take()).toEqual([]);
    });

    it('item 11: the transient empty EDS list of grpc-js is not a wildcard', async () => {
      const { stream, duplex, last } = subscribed(EDS, ['a']);
      stream.handleRequest(ackOf(last, []));
      world.source.apply({
        put: [
          [EDS, 'a', 'v2'],
          [EDS, 'b', 'v2'],
        ],
      });
      await world.settle();
      expect(duplex.take()).toEqual([]);
      stream.handleRequest(ackOf(last, ['b']));
      expect(namesOf(duplex.takeOne())).toEqual(['b']);
    });

    it('item 12: an empty first CDS request is a wildcard over every cluster, pushed as clusters appear', async () => {
      const { duplex, last } = subscribed(CDS, []);
      expect(namesOf(last)).toEqual(['a', 'b']);
      world.source.apply({ put: [[CDS, 'c']] });
      await world.settle();
      expect(namesOf(duplex.takeOne())).toEqual(['a', 'b', 'c']);
    });

    it('item 12: {*,A} keeps the wildcard, {A} drops it', async () => {
      world.source.apply({ put: [[CDS, 'x']] });
      const { stream, duplex, last } = subscribed(CDS, ['*', 'a']);
      expect(namesOf(last)).toEqual(['a', 'b', 'x']);
      stream.handleRequest(ackOf(last, ['a']));
      expect(duplex.take()).toEqual([]);
      world.source.apply({ put: [[CDS, 'c']] });
      await world.settle();
      expect(duplex.take()).toEqual([]);
      world.source.apply({ put: [[CDS, 'a', 'v2']] });
      await world.settle();
      expect(namesOf(duplex.takeOne())).toEqual(['a']);
    });

    it('item 12: a wildcard LDS subscription gets the source’s (empty) wildcard set and no repeats', async () => {
      const { duplex, last } = subscribed(LDS, []);
      expect(namesOf(last)).toEqual([]);
      world.source.apply({ put: [[LDS, 'other.test']] });
      await world.settle();
      expect(duplex.take()).toEqual([]);
    });

    it('item 13: a requested resource that does not exist is remembered and pushed when it appears', async () => {
      const eds = subscribed(EDS, ['a', 'later']);
      const cds = subscribed(CDS, ['a', 'later']);
      expect(eds.stream.status(false).types[0]?.missing).toEqual(['later']);
      world.source.apply({
        put: [
          [EDS, 'later'],
          [CDS, 'later'],
        ],
      });
      await world.settle();
      expect(namesOf(eds.duplex.takeOne())).toEqual(['later']);
      expect(namesOf(cds.duplex.takeOne())).toEqual(['a', 'later']);
      expect(eds.stream.status(false).types[0]?.missing).toEqual([]);
    });

    it('item 14: unsubscribe then resubscribe of the same name (same version) resends it', () => {
      const { stream, duplex, last } = subscribed(EDS, ['a']);
      stream.handleRequest(ackOf(last, []));
      stream.handleRequest(ackOf(last, ['a']));
      expect(namesOf(duplex.takeOne())).toEqual(['a']);
    });
  });

  describe('response content', () => {
    it('item 15: CDS carries the full subscribed set; a deleted cluster is omitted from the next response', async () => {
      const { duplex } = subscribed(CDS, ['a', 'b']);
      world.source.apply({ put: [[CDS, 'a', 'v2']] });
      await world.settle();
      expect(namesOf(duplex.takeOne())).toEqual(['a', 'b']);
      world.source.apply({ delete: [[CDS, 'b']] });
      await world.settle();
      expect(namesOf(duplex.takeOne())).toEqual(['a']);
    });

    it('item 15: LDS deletion of the only listener sends an empty full-state response', async () => {
      const { duplex } = subscribed(LDS, ['echo.test']);
      world.source.apply({ delete: [[LDS, 'echo.test']] });
      await world.settle();
      expect(namesOf(duplex.takeOne())).toEqual([]);
    });

    it('item 16: EDS/RDS carry only requested names, and an unrelated EDS change resends nothing else', async () => {
      const { duplex } = subscribed(EDS, ['a', 'b']);
      const route = subscribed(RDS, ['echo-route']);
      world.source.apply({
        put: [
          [EDS, 'b', 'v2'],
          [EDS, 'zzz'],
          [RDS, 'other-route'],
        ],
      });
      await world.settle();
      expect(namesOf(duplex.takeOne())).toEqual(['b']);
      expect(route.duplex.take()).toEqual([]);
    });

    it('item 17: a CLA whose endpoints were withdrawn is sent; a deleted CLA sends nothing', async () => {
      const { duplex } = subscribed(EDS, ['a', 'b']);
      world.source.apply({ put: [[EDS, 'a', 'endpoints: []']] });
      await world.settle();
      expect(duplex.takeOne().resources[0]?.json).toEqual({ name: 'a', content: 'endpoints: []' });
      world.source.apply({ delete: [[EDS, 'b']] });
      await world.settle();
      expect(duplex.take()).toEqual([]);
    });

    it('item 18: no response names a resource twice (wildcard + explicit, repeated names)', () => {
      const { stream, duplex } = world.sotw();
      stream.handleRequest(sotw(CDS, ['*', 'a', 'a']));
      stream.handleRequest(sotw(EDS, ['a', 'a', 'b']));
      for (const response of duplex.take()) {
        expect(new Set(namesOf(response)).size).toBe(response.resources.length);
      }
    });

    it.each([
      ['grpc-js (no feature)', ['envoy.lb.does_not_support_overprovisioning'], false],
      ['C-core', ['xds.config.resource-in-sotw'], true],
      ['doc name', ['xds.config.supports-resource-in-sotw'], true],
    ])('item 19: Resource wrappers only when advertised: %s', (_label, clientFeatures, wrapped) => {
      const { stream, duplex } = world.sotw();
      stream.handleRequest(sotw(CDS, ['a'], { node: aNode({ clientFeatures }) }));
      expect(duplex.takeOne().wrapInResource).toBe(wrapped);
    });

    it('item 20: a CDS change resends the CLA of that cluster even when the endpoints did not change', async () => {
      const { stream, duplex } = world.sotw();
      stream.handleRequest(sotw(CDS, [], { node: aNode() }));
      stream.handleRequest(sotw(EDS, ['a', 'b']));
      const [cds, eds] = duplex.take();
      stream.handleRequest(ackOf(cds!, []));
      stream.handleRequest(ackOf(eds!, ['a', 'b']));
      world.source.apply({ put: [[CDS, 'a', 'lb: RING_HASH']] });
      await world.settle();
      const [clusters, endpoints, ...rest] = duplex.take();
      expect(clusters?.typeUrl).toBe(CDS);
      expect(endpoints?.typeUrl).toBe(EDS);
      expect(namesOf(endpoints!)).toEqual(['a']);
      expect(endpoints?.resources[0]?.version).toBe(eds?.resources[0]?.version);
      expect(rest).toEqual([]);
    });

    it('item 21: one change to all four types is pushed CDS, EDS, LDS, RDS on one ADS stream', async () => {
      const { stream, duplex } = world.sotw();
      const names = { [RDS]: ['echo-route'], [LDS]: ['echo.test'], [EDS]: ['a'], [CDS]: ['a'] };
      for (const [typeUrl, list] of Object.entries(names)) stream.handleRequest(sotw(typeUrl, list));
      // The new cluster also re-sent its CLA (item 20); ACK the latest response of each type.
      const latest = new Map(duplex.take().map((r) => [r.typeUrl, r]));
      for (const [typeUrl, response] of latest) stream.handleRequest(ackOf(response, names[typeUrl]));
      expect(duplex.take()).toEqual([]);
      world.source.apply({
        put: [
          [RDS, 'echo-route', 'v2'],
          [LDS, 'echo.test', 'v2'],
          [EDS, 'a', 'v2'],
          [CDS, 'a', 'v2'],
        ],
      });
      await world.settle();
      expect(duplex.take().map((r) => r.typeUrl)).toEqual([CDS, EDS, LDS, RDS]);
    });
  });
});
