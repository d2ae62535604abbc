/** Callbacks and the stream registry behind /debug/syncz. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { combineCallbacks, type RequestEvent } from '../../../../src/xds/callbacks.js';
import { aNode, CDS, delta, EDS, nackOf, perType, sotw, World } from './harness.js';

describe('combineCallbacks', () => {
  it('calls every set in order and skips missing hooks and sets', () => {
    const seen: string[] = [];
    const combined = combineCallbacks(
      { onRequest: (e) => seen.push(`first:${e.nonce}`) },
      undefined,
      { onNack: () => seen.push('nack only') },
      { onRequest: (e) => seen.push(`third:${e.nonce}`) },
    );
    combined.onRequest?.({ nonce: '7' } as RequestEvent);
    expect(seen).toEqual(['first:7', 'third:7']);
  });
});

describe('engine callbacks and StreamRegistry', () => {
  let world: World;

  beforeEach(() => {
    world = new World();
    world.source.apply({
      put: [
        [CDS, 'a'],
        [EDS, 'a'],
      ],
    });
  });

  afterEach(() => world.close());

  it('reports open, request, response and close with plain data', () => {
    const { stream, duplex } = world.sotw();
    stream.handleRequest(sotw(EDS, ['a'], { node: aNode() }));
    const response = duplex.takeOne();
    stream.close();
    const { callbacks } = world;
    expect(callbacks.opened).toEqual([
      { streamId: stream.id, peer: '127.0.0.1:50000', kind: 'sotw', ads: true, typeUrl: null },
    ]);
    expect(callbacks.requests).toEqual([
      {
        streamId: stream.id,
        nodeId: 'node-1',
        typeUrl: EDS,
        versionInfo: '',
        nonce: '',
        names: ['a'],
        unsubscribe: [],
        disposition: 'initial',
      },
    ]);
    expect(callbacks.responses).toEqual([
      {
        streamId: stream.id,
        nodeId: 'node-1',
        typeUrl: EDS,
        version: response.versionInfo,
        nonce: response.nonce,
        names: ['a'],
        removed: [],
        bufferFull: false,
      },
    ]);
    expect(callbacks.closed).toEqual([
      {
        streamId: stream.id,
        nodeId: 'node-1',
        peer: '127.0.0.1:50000',
        kind: 'sotw',
        reason: 'server',
        error: null,
      },
    ]);
    expect(duplex.closed).toBe(true);
  });

  it('a throwing hook closes that stream with INTERNAL', () => {
    const { stream, duplex } = world.sotw({
      callbacks: {
        onResponse: () => {
          throw new Error('metrics broke');
        },
      },
    });
    stream.handleRequest(sotw(EDS, ['a']));
    expect(duplex.closeError).toEqual({ code: 'INTERNAL', message: 'metrics broke' });
    expect(stream.closed).toBe(true);
  });

  it('snapshot() lists live streams as JSON-able data; find() adds per-resource versions', () => {
    const ads = world.sotw();
    ads.stream.handleRequest(
      sotw(EDS, ['a', 'missing'], { node: aNode({ id: 'n1', userAgent: 'grpc-node-js' }) }),
    );
    const sent = ads.duplex.takeOne();
    ads.stream.handleRequest(nackOf(sent, ['a', 'missing']));
    const perTypeStream = world.delta(perType(CDS));
    perTypeStream.stream.handleRequest(delta(CDS, { node: aNode({ id: 'n2', userAgent: 'envoy' }) }));
    const clusters = perTypeStream.duplex.takeOne();
    perTypeStream.stream.handleRequest(delta('', { responseNonce: clusters.nonce }));

    const snapshot = world.registry.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot).toEqual([
      expect.objectContaining({
        nodeId: 'n1',
        userAgent: 'grpc-node-js',
        kind: 'sotw',
        ads: true,
        typeUrl: null,
      }),
      expect.objectContaining({ nodeId: 'n2', userAgent: 'envoy', kind: 'delta', ads: false, typeUrl: CDS }),
    ]);
    expect(snapshot[0]?.types).toEqual([
      {
        typeUrl: EDS,
        wildcard: false,
        names: ['a', 'missing'],
        missing: ['missing'],
        lastSentVersion: sent.versionInfo,
        lastSentNonce: sent.nonce,
        ackedVersion: null,
        lastNack: {
          nonce: sent.nonce,
          version: '',
          code: 14,
          message: 'resource invalid',
          at: '2024-01-01T00:00:00.000Z',
        },
        resourcesSent: 1,
      },
    ]);
    expect(snapshot[1]?.types[0]).toMatchObject({
      typeUrl: CDS,
      wildcard: true,
      ackedVersion: clusters.systemVersionInfo,
    });
    const [n1] = world.registry.find('n1');
    expect(n1?.types[0]?.versions).toEqual({ a: world.source.get(EDS, 'a')?.version });
    expect(world.registry.find('nobody')).toEqual([]);
    ads.stream.handleClose();
    expect(world.registry.snapshot().map((s) => s.nodeId)).toEqual(['n2']);
  });
});
