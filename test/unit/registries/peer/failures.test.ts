import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FakePeer, RecordedWatch } from '../../../fakes/peer/index.js';
import { anEndpoint, aServiceRecord } from '../../../support/builders.js';
import { eventually, PeerHarness, peerService, statusMatching } from './harness.js';

let harness: PeerHarness;
let fake: FakePeer;

beforeEach(async () => {
  harness = await PeerHarness.start();
  fake = harness.fake;
  fake.write([peerService('web', ['10.1.0.1', '10.1.0.2'])]); // revision 1
  fake.write([peerService('cart', ['10.1.0.3'])]); // revision 2
});

afterEach(async () => {
  await harness.close();
});

describe('peer source: expiry and refusals', () => {
  it('drops the imported services once the peer was unreachable for `expiry`, and imports again when it is back', async () => {
    const recorder = await harness.synced({ expiry: '200ms' });
    await fake.down();
    await recorder.status('degraded');
    expect((await recorder.snapshot()).services).toEqual([]);
    const down = await statusMatching(recorder, 'down', /^peer west unreachable for 200 ms \(expiry\)/);
    expect(down.error).toMatch(/ECONNREFUSED/);
    expect(harness.sink.last).toMatchObject({ services: 0, endpoints: 0, revision: 0, connected: false });
    const fresh = fake.waitFor<RecordedWatch>('watch');
    await fake.up();
    expect((await fresh).query.has('epoch')).toBe(false); // nothing held: no resume point
    expect((await recorder.snapshot()).services).toHaveLength(2);
    await recorder.status('synced');
  });

  it('says the peer refused the token (401) with its detail, stale, and keeps retrying', async () => {
    const recorder = harness.watch({ token: 'stolen' });
    const refused = await statusMatching(
      recorder,
      'degraded',
      /^peer west refused the token: missing or unknown bearer token$/,
    );
    expect(refused.stale).toBe(true);
    await eventually(() => fake.requests.length >= 2);
  });

  it('says the peer refused the token (403) when it is not a peer token', async () => {
    const recorder = harness.watch({ token: 'admin-token' });
    await statusMatching(recorder, 'degraded', /^peer west refused the token: not a peer token$/);
  });

  it("shows the export policy's refusal (403) with its detail", async () => {
    fake.allowedNamespaces = ['shop'];
    const recorder = harness.watch({ namespaces: ['bank'] });
    await statusMatching(
      recorder,
      'degraded',
      /^peer west refused the token: the export policy does not export namespace "bank"/,
    );
  });
});

describe('peer source: malformed events', () => {
  it('reports a malformed event with its path, keeps the records and resumes from the last good revision', async () => {
    const recorder = await harness.synced();
    const from = recorder.position;
    const resumed = fake.waitFor<RecordedWatch>('watch', (w) => w.query.get('revision') === '2');
    fake.pushRaw(
      'event: change\ndata: {"epoch":"e1","revision":3,"upserts":[{"namespace":"shop"}],"deletes":[]}\n\n',
    );
    const bad = await statusMatching(
      recorder,
      'degraded',
      /^peer west: malformed change event: upserts\[0\]\.name: /,
    );
    expect(bad.stale).toBe(true);
    await resumed;
    await recorder.status('synced');
    expect(recorder.since(from).filter((e) => e.type !== 'status')).toEqual([]);
  });

  it('reports an event that is not JSON', async () => {
    const recorder = await harness.synced();
    fake.pushRaw('event: heartbeat\ndata: {oops\n\n');
    await statusMatching(recorder, 'degraded', /^peer west: malformed heartbeat event: not JSON/);
    await recorder.status('synced');
  });

  it('ignores event types it does not know', async () => {
    const recorder = await harness.synced();
    const from = recorder.position;
    fake.pushRaw('event: gossip\ndata: {}\n\n');
    fake.write([peerService('pay', ['10.1.0.7'])]);
    await recorder.changed();
    expect(
      recorder
        .since(from)
        .filter((e) => e.type === 'status')
        .map((e) => e.type === 'status' && e.state),
    ).toEqual(['synced']);
  });
});

describe('peer source: gateways', () => {
  it('replaces each service port’s endpoints by one endpoint per gateway, weighted by the endpoints behind', async () => {
    const record = aServiceRecord({
      namespace: 'shop',
      name: 'pay',
      endpoints: [
        anEndpoint({ address: '10.1.1.1', health: 'unhealthy' }),
        anEndpoint({ address: '10.1.1.2', health: 'draining' }),
        anEndpoint({
          address: '10.1.1.3',
          health: 'unhealthy',
          locality: { region: 'us-west-2', zone: 'a', subzone: '' },
        }),
      ],
    });
    fake.recreate('e1', [record]);
    const recorder = harness.watch({
      network: 'west-net',
      gateways: [
        { address: '192.0.2.10', port: 15443 },
        { address: '192.0.2.11', port: 15443, locality: { region: 'us-west-2', zone: 'b' } },
      ],
    });
    const snapshot = await recorder.snapshot();
    expect(snapshot.services[0]!.endpoints).toEqual([
      expect.objectContaining({
        address: '192.0.2.10',
        port: 15443,
        servicePort: 8080,
        health: 'draining',
        weight: 3,
        locality: { region: 'eu-west-1', zone: '', subzone: '' },
        instanceId: 'gateway/192.0.2.10:15443',
        network: 'west-net',
        origin: 'west',
      }),
      expect.objectContaining({
        address: '192.0.2.11',
        locality: { region: 'us-west-2', zone: 'b', subzone: '' },
      }),
    ]);
  });
});

describe('peer source: progress and shutdown', () => {
  it('reports its revision, the head announced by heartbeats and the connection', async () => {
    await harness.synced({ namespaces: ['shop'] });
    await eventually(() => harness.sink.last?.connected === true && harness.sink.last.revision === 2);
    expect(harness.sink.last).toMatchObject({
      sourceId: 'peer/west',
      peer: 'west',
      address: fake.url,
      epoch: 'e1',
      headRevision: 2,
      services: 2,
      endpoints: 3,
    });
    expect(harness.sink.last?.lastEventAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    fake.write([peerService('vault', ['10.2.0.1'], 'bank')]); // revision 3, not asked for
    await eventually(() => harness.sink.last?.headRevision === 3);
    expect(harness.sink.last?.revision).toBe(2);
  });

  it('closes every connection and timer when unsubscribed, and forgets its progress', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const recorder = await harness.synced();
    recorder.close();
    await eventually(() => fake.openConnections === 0 && fake.openStreams === 0);
    await eventually(() => timers() <= before);
    expect(harness.sink.forgotten).toEqual(['peer/west']);
  });
});
