/** Subscription transitions: the wildcard rules of XDS.md §1.4 (SotW) and §1.7 (delta), and bookkeeping. */
import { describe, expect, it } from '@jest/globals';
import { Subscription } from '../../../../src/xds/subscription.js';
import { anEncodedResource } from '../../../fakes/resource-source.js';
import { CDS, EDS, LDS, RDS } from './harness.js';

function sotwAfter(
  typeUrl: typeof CDS | typeof EDS | typeof LDS | typeof RDS,
  ...lists: string[][]
): Subscription {
  const sub = new Subscription(typeUrl);
  for (const names of lists) sub.setSotwNames(names);
  return sub;
}

describe('Subscription (SotW)', () => {
  it.each([
    ['CDS', CDS],
    ['LDS', LDS],
  ])('item 12: a first empty request on %s is a legacy wildcard', (_label, typeUrl) => {
    const sub = new Subscription(typeUrl);
    expect(sub.setSotwNames([])).toEqual({
      added: [],
      removed: [],
      wildcardAdded: true,
      wildcardRemoved: false,
    });
    expect(sub.wildcard).toBe(true);
    expect(sub.everNamed).toBe(false);
    expect(sub.setSotwNames([]).wildcardAdded).toBe(false);
    expect(sub.wildcard).toBe(true);
  });

  it('item 12: `*` is a wildcard, {*,A} is wildcard + A, {A} drops the wildcard', () => {
    const sub = new Subscription(CDS);
    expect(sub.setSotwNames(['*'])).toMatchObject({ added: [], wildcardAdded: true });
    expect(sub.setSotwNames(['*', 'a'])).toMatchObject({ added: ['a'], wildcardAdded: false });
    expect(sub.wildcard).toBe(true);
    expect([...sub.names]).toEqual(['a']);
    expect(sub.setSotwNames(['a'])).toEqual({
      added: [],
      removed: [],
      wildcardAdded: false,
      wildcardRemoved: true,
    });
    expect(sub.wildcard).toBe(false);
  });

  it('item 11: an empty list after names means nothing, never wildcard', () => {
    const sub = sotwAfter(CDS, ['a', 'b']);
    expect(sub.setSotwNames([])).toEqual({
      added: [],
      removed: ['a', 'b'],
      wildcardAdded: false,
      wildcardRemoved: false,
    });
    expect(sub.wildcard).toBe(false);
    expect(sub.names.size).toBe(0);
    expect(sub.everNamed).toBe(true);
  });

  it('item 12: `*` then an empty list is nothing (legacy wildcard ended with the first non-empty list)', () => {
    const sub = sotwAfter(LDS, ['*'], []);
    expect(sub.wildcard).toBe(false);
  });

  it.each([
    ['EDS', EDS],
    ['RDS', RDS],
  ])('item 11: %s is never wildcard, not even for a transient empty list', (_label, typeUrl) => {
    const sub = new Subscription(typeUrl);
    expect(sub.setSotwNames([]).wildcardAdded).toBe(false);
    expect(sub.setSotwNames(['*']).wildcardAdded).toBe(false);
    expect(sub.names.size).toBe(0);
    sub.setSotwNames(['a']);
    expect(sub.setSotwNames([])).toMatchObject({ removed: ['a'] });
    expect(sub.setSotwNames(['b'])).toMatchObject({ added: ['b'], removed: [] });
    expect(sub.wildcard).toBe(false);
  });

  it.each([
    ['a legacy wildcard', CDS, [[]]],
    ['{*,A}', CDS, [['*', 'a']]],
    ['named EDS', EDS, [['a', 'b']]],
    ['nothing after names', EDS, [['a'], []]],
    ['{A} after {*,A}', CDS, [['*', 'a'], ['a']]],
  ])('repeating the same list (every ACK) changes nothing: %s', (_label, typeUrl, lists) => {
    const sub = sotwAfter(typeUrl, ...lists);
    const before = sub.status(true);
    const last = lists[lists.length - 1]!;
    expect(sub.setSotwNames([...last])).toEqual({
      added: [],
      removed: [],
      wildcardAdded: false,
      wildcardRemoved: false,
    });
    expect(sub.status(true)).toEqual(before);
    expect(sub.everNamed).toBe(lists.some((l) => l.length > 0));
  });

  it('reports added and removed names, and repeated names once', () => {
    const sub = sotwAfter(EDS, ['a', 'b']);
    expect(sub.setSotwNames(['b', 'c', 'c'])).toEqual({
      added: ['c'],
      removed: ['a'],
      wildcardAdded: false,
      wildcardRemoved: false,
    });
    expect([...sub.names].sort()).toEqual(['b', 'c']);
  });

  it('item 14: an unsubscribed name is forgotten, so its resubscription is a new addition', () => {
    const sub = sotwAfter(EDS, ['a']);
    sub.recordSent({
      nonce: '1',
      version: 'v',
      resources: [anEncodedResource(EDS, 'a')],
      removed: [],
      fullState: false,
    });
    expect(sub.sentVersion('a')).toBeDefined();
    sub.setSotwNames([]);
    expect(sub.sentVersion('a')).toBeUndefined();
    expect(sub.setSotwNames(['a']).added).toEqual(['a']);
  });

  it('dropping the wildcard forgets what only the wildcard covered', () => {
    const sub = sotwAfter(CDS, ['*', 'a']);
    const resources = [anEncodedResource(CDS, 'a'), anEncodedResource(CDS, 'b')];
    sub.recordSent({ nonce: '1', version: 'v', resources, removed: [], fullState: true });
    sub.setSotwNames(['a']);
    expect([...sub.sent.keys()]).toEqual(['a']);
  });

  it('removing an explicit name under a wildcard keeps what the client holds (it may still be covered)', () => {
    const sub = sotwAfter(CDS, ['*', 'a']);
    sub.recordSent({
      nonce: '1',
      version: 'v',
      resources: [anEncodedResource(CDS, 'a')],
      removed: [],
      fullState: true,
    });
    sub.setSotwNames(['*']);
    expect(sub.sentVersion('a')).toBeDefined();
  });
});

describe('Subscription (delta)', () => {
  it.each([
    ['CDS', CDS],
    ['LDS', LDS],
  ])('a first request subscribing nothing on %s is a legacy wildcard', (_label, typeUrl) => {
    const sub = new Subscription(typeUrl);
    expect(sub.applyDelta([], []).wildcardAdded).toBe(true);
    expect(sub.wildcard).toBe(true);
  });

  it('a later subscribe keeps the legacy wildcard; only unsubscribing `*` drops it', () => {
    const sub = new Subscription(CDS);
    sub.applyDelta([], []);
    expect(sub.applyDelta(['a'], [])).toMatchObject({ added: ['a'], wildcardAdded: false });
    expect(sub.wildcard).toBe(true);
    expect(sub.applyDelta([], ['*'])).toMatchObject({ wildcardRemoved: true });
    expect(sub.wildcard).toBe(false);
    expect([...sub.names]).toEqual(['a']);
  });

  it('an empty subscribe after the first request is not a wildcard; unsubscribing everything leaves nothing', () => {
    const sub = new Subscription(CDS);
    sub.applyDelta(['a'], []);
    expect(sub.applyDelta([], ['a'])).toMatchObject({ removed: ['a'], wildcardAdded: false });
    expect(sub.wildcard).toBe(false);
    expect(sub.names.size).toBe(0);
    expect(sub.applyDelta([], []).wildcardAdded).toBe(false);
  });

  it('explicit `*` subscribes the wildcard on LDS/CDS and is ignored on EDS', () => {
    const cds = new Subscription(CDS);
    cds.applyDelta(['a'], []);
    expect(cds.applyDelta(['*'], []).wildcardAdded).toBe(true);
    const eds = new Subscription(EDS);
    expect(eds.applyDelta([], []).wildcardAdded).toBe(false);
    expect(eds.applyDelta(['*', 'x'], []).added).toEqual(['x']);
    expect(eds.wildcard).toBe(false);
  });

  it('item 34: a phantom unsubscribe changes nothing', () => {
    const sub = new Subscription(EDS);
    sub.applyDelta(['a'], []);
    expect(sub.applyDelta([], ['zzz'])).toEqual({
      added: [],
      removed: [],
      wildcardAdded: false,
      wildcardRemoved: false,
    });
    expect([...sub.names]).toEqual(['a']);
  });

  it('a name subscribed and unsubscribed in one request cancels out', () => {
    const sub = new Subscription(EDS);
    expect(sub.applyDelta(['a'], ['a'])).toMatchObject({ added: [], removed: [] });
    expect(sub.names.size).toBe(0);
  });

  it('item 33: initial_resource_versions seed what the client holds', () => {
    const sub = new Subscription(CDS);
    sub.seedSent(new Map([['a', 'h1']]));
    expect(sub.sentVersion('a')).toBe('h1');
    expect(sub.sameAsSent([{ ...anEncodedResource(CDS, 'a'), version: 'h1' }])).toBe(true);
  });
});

describe('Subscription bookkeeping', () => {
  it('tracks nonce, version, ACK, NACK and staleness', () => {
    const sub = new Subscription(EDS);
    expect(sub.isStale('5')).toBe(false);
    sub.recordSent({ nonce: '1', version: 'e1-2', resources: [], removed: [], fullState: false });
    expect(sub.isStale('')).toBe(false);
    expect(sub.isStale('1')).toBe(false);
    expect(sub.isStale('0')).toBe(true);
    sub.recordAck('e1-2');
    const nack = { nonce: '1', version: 'e1-2', code: 14, message: 'bad', at: '2024-01-01T00:00:00.000Z' };
    sub.recordNack(nack);
    expect(sub.status()).toMatchObject({
      lastSentVersion: 'e1-2',
      lastSentNonce: '1',
      ackedVersion: 'e1-2',
      lastNack: nack,
    });
  });

  it('a full-state record replaces what the client holds; a delta record adds and removes', () => {
    const sub = new Subscription(CDS);
    const [a, b] = [anEncodedResource(CDS, 'a'), anEncodedResource(CDS, 'b')];
    sub.recordSent({ nonce: '1', version: 'v1', resources: [a, b], removed: [], fullState: true });
    sub.recordSent({ nonce: '2', version: 'v2', resources: [a], removed: [], fullState: true });
    expect([...sub.sent.keys()]).toEqual(['a']);
    sub.recordSent({ nonce: '3', version: 'v3', resources: [b], removed: ['a'], fullState: false });
    expect([...sub.sent.keys()]).toEqual(['b']);
    expect(sub.sameAsSent([b])).toBe(true);
    expect(sub.sameAsSent([a])).toBe(false);
  });

  it('item 13: remembers requested names that do not exist, in a JSON-able status', () => {
    const sub = sotwAfter(EDS, ['b', 'a']);
    sub.markMissing('b');
    expect(sub.status()).toMatchObject({ names: ['a', 'b'], missing: ['b'], wildcard: false });
    sub.markPresent('b');
    expect(sub.missing.size).toBe(0);
    sub.recordSent({
      nonce: '1',
      version: 'v',
      resources: [anEncodedResource(EDS, 'b')],
      removed: [],
      fullState: false,
    });
    expect(sub.status(true).versions).toEqual({ b: anEncodedResource(EDS, 'b').version });
    expect(JSON.parse(JSON.stringify(sub.status(true)))).toEqual(sub.status(true));
  });
});
