import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SourceEvent, StatusEvent } from '../../../../src/registry.js';
import type { FakePeer, RecordedWatch } from '../../../fakes/peer/index.js';
import { endpointsOf, eventually, PeerHarness, peerService, statusMatching } from './harness.js';

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

const changes = (events: SourceEvent[]) => events.filter((e) => e.type !== 'status');

describe('peer source: import', () => {
  it('imports the snapshot with the peer as origin, prefixed instance ids and the configured network', async () => {
    const recorder = harness.watch({ network: 'west-net' });
    expect((await recorder.next((e): e is StatusEvent => e.type === 'status')).state).toBe('syncing');
    const snapshot = await recorder.snapshot();
    expect(endpointsOf(snapshot.services)).toEqual([
      'shop/cart 10.1.0.3:8080',
      'shop/web 10.1.0.1:8080',
      'shop/web 10.1.0.2:8080',
    ]);
    expect(snapshot.services[0]!.endpoints[0]).toMatchObject({
      origin: 'west',
      instanceId: 'west/vm-10.1.0.3',
      network: 'west-net',
      locality: { region: 'eu-west-1', zone: 'eu-west-1a', subzone: '' },
    });
    await recorder.status('synced');
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer peer-token');
    expect(fake.requests[0]!.query.has('epoch')).toBe(false);
  });

  it('turns a change into an upsert and a delete of the services it names', async () => {
    const recorder = await harness.synced();
    const from = recorder.position;
    fake.write([peerService('web', ['10.1.0.9'])], [{ namespace: 'shop', name: 'cart' }]);
    const state = await recorder.changed();
    expect(endpointsOf(state.services)).toEqual(['shop/web 10.1.0.9:8080']);
    expect(changes(recorder.since(from))).toEqual([
      { type: 'upsert', service: expect.objectContaining({ name: 'web' }) },
      { type: 'delete', namespace: 'shop', name: 'cart' },
    ]);
  });

  it('ignores a change at or below the applied revision', async () => {
    const recorder = await harness.synced();
    fake.write([peerService('web', ['10.1.0.5'])]); // revision 3
    await recorder.changed();
    const from = recorder.position;
    fake.resend(1); // would bring web back to 10.1.0.1-2
    fake.resend(3);
    fake.write([peerService('pay', ['10.1.0.7'])]); // revision 4
    const state = await recorder.changed();
    expect(changes(recorder.since(from))).toEqual([
      { type: 'upsert', service: expect.objectContaining({ name: 'pay' }) },
    ]);
    expect(endpointsOf(state.services)).toContain('shop/web 10.1.0.5:8080');
  });

  it('asks only for the configured namespaces and services', async () => {
    fake.write([peerService('vault', ['10.2.0.1'], 'bank'), peerService('audit', ['10.2.0.2'], 'ops')]);
    const recorder = harness.watch({ namespaces: ['bank'], services: ['shop/web'] });
    const snapshot = await recorder.snapshot();
    expect(snapshot.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['bank/vault', 'shop/web']);
    expect(fake.requests[0]!.query.getAll('namespace')).toEqual(['bank']);
    expect(fake.requests[0]!.query.getAll('service')).toEqual(['shop/web']);
  });
});

describe('peer source: reconnects', () => {
  it('keeps the records while the peer is down, then resumes from the last revision without loss or repeat', async () => {
    const recorder = await harness.synced();
    const from = recorder.position;
    await fake.down();
    const down = await statusMatching(
      recorder,
      'degraded',
      /^peer west: unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    expect(down.stale).toBe(true);
    expect(harness.sink.last).toMatchObject({ connected: false, revision: 2 });
    fake.write([peerService('pay', ['10.1.0.7'])]); // revision 3, logged while down
    fake.write([], [{ namespace: 'shop', name: 'cart' }]); // revision 4
    const resumed = fake.waitFor<RecordedWatch>('watch', (w) => w.query.has('epoch'));
    await fake.up();
    expect((await resumed).query.get('epoch')).toBe('e1');
    expect((await resumed).query.get('revision')).toBe('2');
    await recorder.changed();
    const state = await recorder.changed();
    await eventually(() => harness.sink.last?.headRevision === 4 && harness.sink.last.connected);
    expect(endpointsOf(state.services)).toEqual([
      'shop/pay 10.1.0.7:8080',
      'shop/web 10.1.0.1:8080',
      'shop/web 10.1.0.2:8080',
    ]);
    expect(changes(recorder.since(from))).toEqual([
      { type: 'upsert', service: expect.objectContaining({ name: 'pay' }) },
      { type: 'delete', namespace: 'shop', name: 'cart' },
    ]);
    expect(recorder.since(from).at(-1)).toEqual({ type: 'status', state: 'synced' });
  });

  it('reconnects after a dropped connection, resuming where it was', async () => {
    const recorder = await harness.synced();
    const resumed = fake.waitFor<RecordedWatch>('watch', (w) => w.query.get('revision') === '2');
    fake.dropConnections();
    await statusMatching(recorder, 'degraded', /^peer west: (connection lost|the peer ended)/);
    await resumed;
    await recorder.status('synced');
    expect(changes(recorder.since(0)).filter((e) => e.type === 'snapshot')).toHaveLength(1);
  });

  it('replaces the whole state with the snapshot of a new epoch', async () => {
    const recorder = await harness.synced();
    fake.recreate('e2', [peerService('pay', ['10.3.0.1'])]);
    const snapshot = await recorder.snapshot();
    expect(endpointsOf(snapshot.services)).toEqual(['shop/pay 10.3.0.1:8080']);
    await eventually(() => harness.sink.last?.epoch === 'e2' && harness.sink.last.revision === 1);
  });

  it('gets a snapshot of the new epoch when it resumes with the old one', async () => {
    const recorder = await harness.synced();
    await fake.down();
    await recorder.status('degraded');
    fake.recreate('e2', [peerService('pay', ['10.3.0.1'])]);
    await fake.up();
    const snapshot = await recorder.snapshot();
    expect(endpointsOf(snapshot.services)).toEqual(['shop/pay 10.3.0.1:8080']);
    expect(fake.requests.at(-1)!.query.get('epoch')).toBe('e1');
    await recorder.status('synced');
  });

  it('reconnects when nothing comes for heartbeatTimeout', async () => {
    const recorder = await harness.synced();
    fake.heartbeats = false;
    const silent = await statusMatching(
      recorder,
      'degraded',
      /^peer west: no event for 300 ms \(heartbeatTimeout\)$/,
    );
    expect(silent.stale).toBe(true);
    await fake.waitFor<RecordedWatch>('watch', (w) => w.query.get('revision') === '2');
    fake.heartbeats = true;
    await recorder.status('synced');
  });

  it('counts keepalive comments as signs of life', async () => {
    const recorder = await harness.synced();
    fake.heartbeats = false;
    const from = recorder.position;
    await fake.keepalives(8, 100); // 800 ms of comments only: well past heartbeatTimeout
    expect(fake.requests).toHaveLength(1);
    expect(recorder.since(from)).toEqual([]);
  });
});
