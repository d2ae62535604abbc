/**
 * The xDS server at the protocol level, against the built daemon: what real gRPC clients never send
 * (empty and unknown type URLs, malformed bytes, stale nonces, wildcard transitions, delta
 * subscriptions, NACKs, slow readers). XDS.md §5 item numbers are in the test names; every
 * assertion is on what the client receives.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { Mesh, type VmEndpoint } from './support/mesh.js';
import {
  TYPE_URLS,
  endpointPorts,
  namesOf,
  openAds,
  testNode,
  waitForEndpoints,
  type DecodedDeltaResponse,
  type DecodedSotwResponse,
  type DeltaStream,
  type SotwStream,
} from './support/protocol-client.js';

const CDS = TYPE_URLS.cluster;
const EDS = TYPE_URLS.endpoint;
const LDS = TYPE_URLS.listener;
const RDS = TYPE_URLS.route;

/** CDS and EDS name of service `<name>.test` port 50051. */
const cluster = (name: string): string => `outbound|50051||${name}.test.svc.cluster.local`;
/** LDS and RDS name: the target authority a gRPC client uses. */
const authority = (name: string): string => `${name}.test:50051`;
/** An endpoint 127.0.0.1:<port>; nothing listens there (only the protocol is under test). */
const ep = (port: number): VmEndpoint => ({
  backend: { name: `e${port}`, port, stop: () => Promise.resolve() },
});

let mesh: Mesh;
const opened: { close(): void }[] = [];

beforeAll(async () => {
  mesh = await Mesh.start(0);
});
afterEach(() => {
  for (const stream of opened.splice(0)) stream.close();
});
afterAll(async () => {
  await mesh?.close();
});

function sotw(nodeId: string): SotwStream {
  const stream = openAds(mesh.xdsPort, { node: testNode(nodeId) });
  opened.push(stream);
  return stream;
}

function delta(nodeId: string): DeltaStream {
  const stream = openAds(mesh.xdsPort, { node: testNode(nodeId), delta: true });
  opened.push(stream);
  return stream;
}

/** Declares `<name>.test` with endpoints on these ports and waits until the daemon serves exactly them. */
async function declare(name: string, ports: readonly number[], labels: Record<string, string> = {}) {
  mesh.declare(name, ports.map(ep), labels);
  await waitForEndpoints(mesh.xdsPort, cluster(name), ports);
}

/** The next response, which must be of `typeUrl`. */
async function nextOf<T extends DecodedSotwResponse | DecodedDeltaResponse>(
  stream: { next(timeoutMs?: number): Promise<T> },
  typeUrl: string,
): Promise<T> {
  const response = await stream.next();
  expect(response.typeUrl).toBe(typeUrl);
  return response;
}

function portsOf(response: DecodedSotwResponse | DecodedDeltaResponse, name: string): number[] {
  const resource = response.resources.find((r) => r.name === name);
  if (resource === undefined) throw new Error(`${name} is not in the response (${namesOf(response).join()})`);
  return endpointPorts(resource);
}

describe('stream and handshake', () => {
  it('item 3: empty type_url is INVALID_ARGUMENT, an unknown type is ignored, malformed bytes end only that stream', async () => {
    const name = 'p-3-svc';
    await declare(name, [7301]);

    // An empty type_url on an aggregated stream (SotW and delta) ends it with INVALID_ARGUMENT.
    const empty = sotw('p-3-empty');
    empty.send({ typeUrl: '', resourceNames: [cluster(name)] });
    expect((await empty.status()).code).toBe(status.INVALID_ARGUMENT);
    const emptyDelta = delta('p-3-empty-delta');
    emptyDelta.send({ typeUrl: '', subscribe: [cluster(name)] });
    expect((await emptyDelta.status()).code).toBe(status.INVALID_ARGUMENT);

    // An unknown type URL gets no response and the stream keeps working.
    const unknown = sotw('p-3-unknown');
    unknown.send({ typeUrl: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret' });
    unknown.send({ typeUrl: 'type.googleapis.com/no.such.Type', resourceNames: ['x'] });
    await unknown.expectNone();
    unknown.request(CDS, [cluster(name)]);
    expect(namesOf(await nextOf(unknown, CDS))).toEqual([cluster(name)]);

    // Malformed bytes end that stream with INVALID_ARGUMENT; another stream keeps receiving pushes.
    const bystander = sotw('p-3-bystander');
    bystander.request(EDS, [cluster(name)]);
    bystander.ack(await nextOf(bystander, EDS));
    const broken = sotw('p-3-malformed');
    broken.request(EDS, [cluster(name)]);
    await nextOf(broken, EDS);
    broken.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    const final = await broken.status();
    expect(final.code).toBe(status.INVALID_ARGUMENT);
    expect(final.details).toMatch(/malformed/);
    const brokenDelta = delta('p-3-malformed-delta');
    brokenDelta.send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])); // a length past the end of the message
    expect((await brokenDelta.status()).code).toBe(status.INVALID_ARGUMENT);

    mesh.declare(name, [ep(7301), ep(7302)]);
    expect(portsOf(await nextOf(bystander, EDS), cluster(name))).toEqual([7301, 7302]);
    await unknown.expectNone(); // an EDS-only change: its CDS subscription owes nothing
  });
});

describe('ACK/NACK', () => {
  it('item 5: an ACK (matching nonce, no error_detail, same names) produces no response', async () => {
    const name = 'p-5-svc';
    await declare(name, [7501]);
    const s = sotw('p-5');
    const wanted: [string, string][] = [
      [CDS, cluster(name)],
      [EDS, cluster(name)],
      [LDS, authority(name)],
      [RDS, authority(name)],
    ];
    for (const [typeUrl, resource] of wanted) s.request(typeUrl, [resource]);
    const responses: DecodedSotwResponse[] = [];
    for (let i = 0; i < wanted.length; i++) responses.push(await s.next());
    expect(responses.map((r) => [r.typeUrl, namesOf(r)])).toEqual(wanted.map(([t, n]) => [t, [n]]));
    expect(new Set(responses.map((r) => r.nonce)).size).toBe(4);
    for (const response of responses) s.ack(response);
    await s.expectNone();
  });

  it('item 9: a stale-nonce request is ignored; the next one with the latest nonce converges', async () => {
    const [a, b, c] = ['p-9-a', 'p-9-b', 'p-9-c'];
    await declare(a, [7901]);
    await declare(b, [7902]);
    await declare(c, [7903]);
    const s = sotw('p-9');
    s.request(EDS, [cluster(a)]);
    const r1 = await nextOf(s, EDS);
    expect(namesOf(r1)).toEqual([cluster(a)]);
    s.request(EDS, [cluster(a), cluster(b)], r1);
    const r2 = await nextOf(s, EDS);
    expect(namesOf(r2)).toContain(cluster(b));

    // r1's nonce is stale: the request is ignored, so c is not subscribed by it.
    s.request(EDS, [cluster(a), cluster(b), cluster(c)], r1);
    await s.expectNone();
    // Were the stale request applied, this one would be a plain ACK and get no response.
    s.request(EDS, [cluster(a), cluster(b), cluster(c)], r2);
    const r3 = await nextOf(s, EDS);
    expect(namesOf(r3)).toContain(cluster(c));
    expect(portsOf(r3, cluster(c))).toEqual([7903]);
    s.ack(r3);
    await s.expectNone();
  });
});

describe('subscriptions', () => {
  it('item 12: CDS wildcard: empty first = wildcard, * = wildcard, {*,A} keeps it, {A} drops it, then empty = nothing', async () => {
    const [a, b] = ['p-12-a', 'p-12-b'];
    await declare(a, [7121]);
    await declare(b, [7122]);

    // Legacy wildcard: every request so far had empty names. It also serves as the sentinel below.
    const legacy = sotw('p-12-legacy');
    legacy.request(CDS, []);
    const all = await nextOf(legacy, CDS);
    expect(namesOf(all)).toEqual(expect.arrayContaining([cluster(a), cluster(b)]));
    expect(new Set(namesOf(all)).size).toBe(all.resources.length);
    legacy.ack(all);

    // Explicit wildcard.
    const s = sotw('p-12-star');
    s.request(CDS, ['*']);
    const r1 = await nextOf(s, CDS);
    expect(namesOf(r1).sort()).toEqual(namesOf(all).sort());

    // {*, A}: A is newly named (so answered), the wildcard stays: the full set is still listed.
    s.request(CDS, ['*', cluster(a)], r1);
    const r2 = await nextOf(s, CDS);
    expect(namesOf(r2).sort()).toEqual(namesOf(all).sort());

    // {A}: the wildcard is dropped. Any answer lists A only; a change to B is not pushed.
    s.request(CDS, [cluster(a)], r2);
    const onDrop = await s.poll();
    if (onDrop !== undefined) expect(namesOf(onDrop)).toEqual([cluster(a)]);
    mesh.declare(b, [ep(7122)], { rev: '2' }); // labels are cluster metadata: B's cluster changes
    const bChanged = await nextOf(legacy, CDS); // the sentinel: the change has been pushed
    expect(namesOf(bChanged)).toContain(cluster(b));
    legacy.ack(bChanged);
    await s.expectNone();
    // A change to A is pushed, as the full subscribed set: A alone.
    mesh.declare(a, [ep(7121)], { rev: '2' });
    const onlyA = await nextOf(s, CDS);
    expect(namesOf(onlyA)).toEqual([cluster(a)]);
    legacy.ack(await nextOf(legacy, CDS));

    // Empty names after naming = nothing (never wildcard): A's next change is not pushed.
    s.request(CDS, [], onlyA);
    const onEmpty = await s.poll();
    if (onEmpty !== undefined) expect(namesOf(onEmpty)).toEqual([]);
    mesh.declare(a, [ep(7121)], { rev: '3' });
    legacy.ack(await nextOf(legacy, CDS));
    await s.expectNone();
  });

  it('item 13: requested resources that do not exist yet are pushed when they appear', async () => {
    const name = 'p-13-svc';
    const s = sotw('p-13');
    const wanted: [string, string][] = [
      [CDS, cluster(name)],
      [EDS, cluster(name)],
      [LDS, authority(name)],
    ];
    for (const [typeUrl, resource] of wanted) s.request(typeUrl, [resource]);
    for (let i = 0; i < wanted.length; i++) {
      const response = await s.next();
      expect(response.resources).toEqual([]);
      s.ack(response);
    }
    await s.expectNone();

    mesh.declare(name, [ep(7131)]);
    const pushed = new Map<string, DecodedSotwResponse>();
    for (let i = 0; i < wanted.length; i++) {
      const response = await s.next();
      pushed.set(response.typeUrl, response);
      s.ack(response);
    }
    expect([...pushed.keys()].sort()).toEqual([CDS, EDS, LDS].sort());
    expect(namesOf(pushed.get(CDS)!)).toEqual([cluster(name)]);
    expect(portsOf(pushed.get(EDS)!, cluster(name))).toEqual([7131]);
    expect(namesOf(pushed.get(LDS)!)).toEqual([authority(name)]);
    await s.expectNone();
  });

  it('item 14: unsubscribing and resubscribing the same name at the same version resends it', async () => {
    const name = 'p-14-svc';
    await declare(name, [7141]);
    for (const typeUrl of [EDS, CDS]) {
      // One stream per type: on a stream with both, a (re)sent cluster also resends its CLA (item 20).
      const s = sotw(`p-14-${typeUrl === EDS ? 'eds' : 'cds'}`);
      s.request(typeUrl, [cluster(name)]);
      const first = await nextOf(s, typeUrl);
      expect(namesOf(first)).toEqual([cluster(name)]);
      s.ack(first);
      await s.expectNone();
      // Unsubscribe (the empty list grpc-js sends while switching clusters): nothing is owed.
      s.request(typeUrl, [], first);
      await s.expectNone();
      // Resubscribe with the latest nonce: the unchanged resource is sent again.
      s.request(typeUrl, [cluster(name)], first);
      const again = await nextOf(s, typeUrl);
      expect(namesOf(again)).toEqual([cluster(name)]);
      expect(Buffer.from(again.resources[0]!.value)).toEqual(Buffer.from(first.resources[0]!.value));
      s.ack(again);
      await s.expectNone();
    }
  });
});

describe('delta (DeltaAggregatedResources)', () => {
  it('item 32: a removed service is in removed_resources for wildcard CDS; EDS removals are never sent', async () => {
    const [a, b] = ['p-32-a', 'p-32-b'];
    await declare(a, [7321]);
    await declare(b, [7322]);
    const d = delta('p-32');
    d.send({ typeUrl: CDS });
    const clusters = await nextOf(d, CDS);
    expect(namesOf(clusters)).toEqual(expect.arrayContaining([cluster(a), cluster(b)]));
    expect(clusters.resources.every((r) => r.version !== '')).toBe(true);
    d.ack(clusters);
    d.send({ typeUrl: EDS, subscribe: [cluster(b)] });
    const endpoints = await nextOf(d, EDS);
    expect(namesOf(endpoints)).toEqual([cluster(b)]);
    d.ack(endpoints);
    // A stream subscribed to B by EDS name only.
    const edsOnly = delta('p-32-eds');
    edsOnly.send({ typeUrl: EDS, subscribe: [cluster(b)] });
    edsOnly.ack(await nextOf(edsOnly, EDS));

    mesh.remove(a);
    const removedA = await nextOf(d, CDS);
    expect(removedA.removedResources).toEqual([cluster(a)]);
    expect(removedA.resources).toEqual([]);
    d.ack(removedA);
    await d.expectNone();

    mesh.remove(b);
    const removedB = await nextOf(d, CDS);
    expect(removedB.removedResources).toEqual([cluster(b)]);
    d.ack(removedB);
    // The CDS removal was pushed; no EDS response (with or without removed_resources) follows it.
    await Promise.all([d.expectNone(), edsOnly.expectNone()]);
  });

  it('item 33: a reconnect with initial_resource_versions gets only what changed, and removals', async () => {
    const [a, b, c] = ['p-33-a', 'p-33-b', 'p-33-c'];
    await declare(a, [7331]);
    await declare(b, [7332]);
    await declare(c, [7333]);
    const first = delta('p-33');
    first.send({ typeUrl: CDS });
    const clusters = await nextOf(first, CDS);
    first.ack(clusters);
    first.send({ typeUrl: EDS, subscribe: [cluster(a), cluster(b), cluster(c)] });
    const endpoints = await nextOf(first, EDS);
    expect(namesOf(endpoints).sort()).toEqual([cluster(a), cluster(b), cluster(c)]);
    first.ack(endpoints);
    const versions = (r: DecodedDeltaResponse): Map<string, string> =>
      new Map(r.resources.map((x) => [x.name, x.version ?? '']));
    const heldClusters = versions(clusters);
    const heldEndpoints = versions(endpoints);
    expect(heldClusters.size).toBeGreaterThanOrEqual(3);
    first.close();

    // While disconnected: B's cluster and endpoints change, C is removed, A stays as it was.
    mesh.declare(b, [ep(7332), ep(7334)], { rev: '2' });
    mesh.remove(c);
    await waitForEndpoints(mesh.xdsPort, cluster(b), [7332, 7334]);

    const again = delta('p-33');
    again.send({ typeUrl: CDS, initialResourceVersions: heldClusters });
    const resumed = await nextOf(again, CDS);
    expect(namesOf(resumed)).toEqual([cluster(b)]);
    expect(resumed.resources[0]!.version).not.toBe(heldClusters.get(cluster(b)));
    expect(resumed.removedResources).toEqual([cluster(c)]);
    again.ack(resumed);
    again.send({
      typeUrl: EDS,
      subscribe: [cluster(a), cluster(b), cluster(c)],
      initialResourceVersions: heldEndpoints,
    });
    const resumedEds = await nextOf(again, EDS);
    expect(namesOf(resumedEds)).toEqual([cluster(b)]);
    expect(portsOf(resumedEds, cluster(b))).toEqual([7332, 7334]);
    expect(resumedEds.removedResources).toEqual([]); // EDS: no explicit removals (item 32)
    again.ack(resumedEds);
    await again.expectNone();
  });

  it('item 34: subscription changes apply with a stale nonce; phantom unsubscribes are quiet; resubscribe resends', async () => {
    const [a, b, c] = ['p-34-a', 'p-34-b', 'p-34-c'];
    await declare(a, [7341]);
    await declare(b, [7342]);
    await declare(c, [7343]);
    const d = delta('p-34');
    d.send({ typeUrl: EDS, subscribe: [cluster(a)] });
    const r1 = await nextOf(d, EDS);
    expect(namesOf(r1)).toEqual([cluster(a)]);
    d.send({ typeUrl: EDS, subscribe: [cluster(b)], responseNonce: r1.nonce });
    const r2 = await nextOf(d, EDS);
    expect(namesOf(r2)).toEqual([cluster(b)]);
    // r1's nonce is stale now; the subscription change still applies.
    d.send({ typeUrl: EDS, subscribe: [cluster(c)], responseNonce: r1.nonce });
    const r3 = await nextOf(d, EDS);
    expect(namesOf(r3)).toEqual([cluster(c)]);
    d.ack(r3);
    await d.expectNone();

    // Phantom unsubscribes (never subscribed), with and without a nonce: ignored quietly.
    d.send({ typeUrl: EDS, unsubscribe: [cluster('p-34-never')], responseNonce: r3.nonce });
    d.send({ typeUrl: EDS, unsubscribe: [cluster('p-34-never-2')] });
    await d.expectNone();

    // Subscribing to a name the client already holds resends it.
    d.send({ typeUrl: EDS, subscribe: [cluster(a)], responseNonce: r3.nonce });
    const r4 = await nextOf(d, EDS);
    expect(namesOf(r4)).toEqual([cluster(a)]);
    d.ack(r4);
    // The subscriptions are all live: a change to C is pushed.
    mesh.declare(c, [ep(7343), ep(7344)]);
    const pushed = await nextOf(d, EDS);
    expect(namesOf(pushed)).toEqual([cluster(c)]);
    expect(portsOf(pushed, cluster(c))).toEqual([7343, 7344]);
  });

  it('item 35: wildcard + explicit name, then unsubscribing the name is answered', async () => {
    const name = 'p-35-svc';
    const ghost = cluster('p-35-ghost');
    await declare(name, [7351]);
    const d = delta('p-35');
    d.send({ typeUrl: CDS });
    const all = await nextOf(d, CDS);
    expect(namesOf(all)).toContain(cluster(name));
    d.ack(all);
    d.send({ typeUrl: CDS, subscribe: [cluster(name)], responseNonce: all.nonce });
    const named = await nextOf(d, CDS);
    expect(namesOf(named)).toEqual([cluster(name)]);
    d.ack(named);

    // Still covered by the wildcard: answered in resources.
    d.send({ typeUrl: CDS, unsubscribe: [cluster(name)], responseNonce: named.nonce });
    const kept = await nextOf(d, CDS);
    expect(namesOf(kept)).toEqual([cluster(name)]);
    expect(kept.removedResources).toEqual([]);
    d.ack(kept);

    // A name the wildcard does not cover (it does not exist): answered in removed_resources.
    d.send({ typeUrl: CDS, subscribe: [ghost], responseNonce: kept.nonce });
    const missing = await nextOf(d, CDS);
    expect(missing.removedResources).toEqual([ghost]);
    d.ack(missing);
    d.send({ typeUrl: CDS, unsubscribe: [ghost], responseNonce: missing.nonce });
    const dropped = await nextOf(d, CDS);
    expect(dropped.resources).toEqual([]);
    expect(dropped.removedResources).toEqual([ghost]);
    d.ack(dropped);
    await d.expectNone();
  });

  it('item 36: a delta NACK produces no resend of the same versions', async () => {
    const [a, b] = ['p-36-a', 'p-36-b'];
    await declare(a, [7361]);
    await declare(b, [7362]);
    const nacks = await mesh.metric('tributary_xds_nacks_total', { type: 'eds' });
    const d = delta('p-36');
    d.send({ typeUrl: EDS, subscribe: [cluster(a), cluster(b)] });
    const r1 = await nextOf(d, EDS);
    expect(namesOf(r1).sort()).toEqual([cluster(a), cluster(b)]);
    d.nack(r1, 'p-36: rejected on purpose');
    await d.expectNone();
    expect(await mesh.metric('tributary_xds_nacks_total', { type: 'eds' })).toBe(nacks + 1);

    // The next real change is sent, and only it: A's rejected version is not resent.
    mesh.declare(b, [ep(7362), ep(7363)]);
    const r2 = await nextOf(d, EDS);
    expect(namesOf(r2)).toEqual([cluster(b)]);
    expect(portsOf(r2, cluster(b))).toEqual([7362, 7363]);
    d.ack(r2);
    await d.expectNone();
  });
});

describe('scale and robustness', () => {
  it('item 37: a burst of edits is one push per affected stream; an EDS-only change pushes no CDS/LDS/RDS', async () => {
    const [a, b, c, other] = ['p-37-a', 'p-37-b', 'p-37-c', 'p-37-other'];
    await declare(a, [7371]);
    await declare(b, [7372]);
    await declare(c, [7373]);
    await declare(other, [7374]);

    const allTypes = sotw('p-37-all');
    const wanted: [string, string][] = [
      [CDS, cluster(a)],
      [EDS, cluster(a)],
      [LDS, authority(a)],
      [RDS, authority(a)],
    ];
    for (const [typeUrl, resource] of wanted) allTypes.request(typeUrl, [resource]);
    for (let i = 0; i < wanted.length; i++) allTypes.ack(await allTypes.next());
    const several = sotw('p-37-several');
    several.request(EDS, [cluster(a), cluster(b), cluster(c)]);
    several.ack(await nextOf(several, EDS));
    const unaffected = sotw('p-37-unaffected');
    unaffected.request(EDS, [cluster(other)]);
    unaffected.ack(await nextOf(unaffected, EDS));
    await allTypes.expectNone();

    // Four edits of three services, back to back (well within the debounce window).
    mesh.declare(a, [ep(7371), ep(7375)]);
    mesh.declare(b, [ep(7372), ep(7376)]);
    mesh.declare(c, [ep(7373), ep(7377)]);
    mesh.declare(a, [ep(7371), ep(7375), ep(7378)]);

    const merged = await nextOf(several, EDS);
    expect(namesOf(merged).sort()).toEqual([cluster(a), cluster(b), cluster(c)]);
    expect(portsOf(merged, cluster(a))).toEqual([7371, 7375, 7378]);
    expect(portsOf(merged, cluster(b))).toEqual([7372, 7376]);
    expect(portsOf(merged, cluster(c))).toEqual([7373, 7377]);
    several.ack(merged);
    const endpointsOnly = await nextOf(allTypes, EDS);
    expect(portsOf(endpointsOnly, cluster(a))).toEqual([7371, 7375, 7378]);
    allTypes.ack(endpointsOnly);
    await Promise.all([several.expectNone(), allTypes.expectNone(), unaffected.expectNone()]);
  });

  it('item 38: a stream that does not read does not block pushes to others; it ends at the latest state', async () => {
    const name = 'p-38-svc';
    // ~1,500 endpoints: each CLA is larger than an HTTP/2 stream window, so backpressure comes fast.
    const base = Array.from({ length: 1500 }, (_, i) => 20_000 + i);
    await declare(name, base);
    const slow = sotw('p-38-slow');
    slow.request(EDS, [cluster(name)]);
    slow.ack(await nextOf(slow, EDS));
    const fast = sotw('p-38-fast');
    fast.request(EDS, [cluster(name)]);
    fast.ack(await nextOf(fast, EDS));

    // The slow client stops reading but keeps asking: every empty-nonce request is owed a full answer.
    slow.pause();
    const requests = 60;
    for (let i = 0; i < requests; i++) slow.request(EDS, [cluster(name)]);
    await mesh.daemon.waitForLog(
      (l) => l.msg === 'xds response' && l.node === 'p-38-slow' && l.bufferFull === true,
      10_000,
    );

    // Pushes to the other stream are not held up by it.
    const first = base.slice(1);
    mesh.declare(name, first.map(ep));
    const p1 = await nextOf(fast, EDS);
    expect(portsOf(p1, cluster(name))).toEqual(first);
    fast.ack(p1);
    const latest = [...first, 30_000];
    mesh.declare(name, latest.map(ep));
    const p2 = await nextOf(fast, EDS);
    expect(portsOf(p2, cluster(name))).toEqual(latest);
    fast.ack(p2);

    // Reading again, the slow stream catches up with merged work, ending at the latest state.
    slow.resume();
    let count = 0;
    let last: number[] = [];
    while (last.join() !== latest.join()) {
      const response = await nextOf(slow, EDS);
      count += 1;
      last = portsOf(response, cluster(name));
      // The first change happened while the stream was blocked: merged into the latest, never sent.
      expect(last).not.toEqual(first);
      if (count > requests + 2) throw new Error('the slow stream got more responses than it asked for');
    }
    await slow.expectNone();
    process.stdout.write(
      `item 38: the slow stream got ${count} responses for ${requests} requests + 2 changes\n`,
    );
    // Without merging it would get one response per request plus one per change.
    expect(count).toBeLessThan(requests + 2);
  });
});
