import { afterEach, describe, expect, it } from '@jest/globals';
import { Subject } from 'rxjs';
import { buildServiceRecord, watchRegistrations } from '../../../../registries/rest/index.js';
import type {
  Registration,
  RegistrationChange,
  RegistrationFeed,
} from '../../../../src/model/registration.js';
import { EventRecorder, summarize } from '../file/event-recorder.js';
import { aRegistration } from '../../registration/fixtures.js';

/** A feed over a plain map, with a controllable clock. */
class FakeFeed implements RegistrationFeed {
  readonly byId = new Map<string, Registration>();
  readonly subject = new Subject<RegistrationChange>();
  clock = 10_000;
  current = (): readonly Registration[] => [...this.byId.values()];
  changes = () => this.subject.asObservable();
  now = (): number => this.clock;
  upsert(registration: Registration): void {
    this.byId.set(registration.id, registration);
    this.subject.next({ type: 'upsert', registration });
  }
  remove(id: string): void {
    const registration = this.byId.get(id)!;
    this.byId.delete(id);
    this.subject.next({ type: 'delete', registration, reason: 'deregistered' });
  }
}

describe('rest source', () => {
  const recorders: EventRecorder[] = [];
  afterEach(() => {
    for (const r of recorders.splice(0)) r.close();
  });

  function record(feed: RegistrationFeed): EventRecorder {
    const recorder = new EventRecorder(watchRegistrations(feed));
    recorders.push(recorder);
    return recorder;
  }

  it('starts with a snapshot of every registered service and synced', async () => {
    const feed = new FakeFeed();
    feed.byId.set('a', aRegistration({ id: 'a', address: '10.0.0.1' }));
    feed.byId.set('b', aRegistration({ id: 'b', address: '10.0.0.2' }));
    feed.byId.set('c', aRegistration({ id: 'c', service: 'orders', address: '10.0.0.3' }));
    const recorder = record(feed);
    expect(summarize(await recorder.snapshot())).toEqual([
      'shop/payments@10.0.0.1,10.0.0.2',
      'shop/orders@10.0.0.3',
    ]);
    await recorder.status('synced');
  });

  it('sends the upsert of the one service a change touches, and nothing for a heartbeat that changes nothing', async () => {
    const feed = new FakeFeed();
    const recorder = record(feed);
    await recorder.status('synced');
    feed.upsert(aRegistration({ id: 'a' }));
    expect(recorder.events.at(-1)).toMatchObject({ type: 'upsert', service: { name: 'payments' } });
    const before = recorder.events.length;
    feed.upsert(aRegistration({ id: 'a', lastHeartbeatAt: 10_500, note: 'still fine' }));
    expect(recorder.events).toHaveLength(before);
    feed.upsert(aRegistration({ id: 'a', lastHeartbeatAt: 10_500, status: 'critical' }));
    expect(recorder.events.at(-1)).toMatchObject({
      type: 'upsert',
      service: { endpoints: [{ health: 'unhealthy', instanceId: 'a' }] },
    });
  });

  it('re-derives health when a registration is re-announced after its ttl ran out', async () => {
    const feed = new FakeFeed();
    const registration = aRegistration({ id: 'a', lastHeartbeatAt: 10_000, ttlMs: 1000 });
    feed.byId.set('a', registration);
    const recorder = record(feed);
    expect((await recorder.snapshot()).services[0]?.endpoints[0]?.health).toBe('healthy');
    feed.clock = 11_000;
    feed.subject.next({ type: 'upsert', registration });
    expect(recorder.events.at(-1)).toMatchObject({
      type: 'upsert',
      service: { endpoints: [{ health: 'unhealthy' }] },
    });
  });

  it('deletes a service whose last registration goes, and moves a registration between services', async () => {
    const feed = new FakeFeed();
    feed.byId.set('a', aRegistration({ id: 'a' }));
    const recorder = record(feed);
    await recorder.status('synced');
    feed.upsert(aRegistration({ id: 'a', service: 'orders' }));
    expect(recorder.events.slice(-2)).toMatchObject([
      { type: 'delete', namespace: 'shop', name: 'payments' },
      { type: 'upsert', service: { name: 'orders' } },
    ]);
    feed.remove('a');
    expect(recorder.events.at(-1)).toEqual({ type: 'delete', namespace: 'shop', name: 'orders' });
  });
});

describe('buildServiceRecord', () => {
  it('unions ports by name, maps target ports and weights, and keeps one endpoint per address:port', () => {
    const record = buildServiceRecord(
      [
        aRegistration({
          id: 'a',
          ports: [
            { name: 'http', number: 18080, servicePort: 8080, protocol: 'http' },
            { name: 'grpc', number: 9090, servicePort: 9090, protocol: 'grpc' },
          ],
          weight: 5,
          warningWeight: 2,
          status: 'warning',
          labels: { v: '1' },
        }),
        aRegistration({ id: 'b', lastHeartbeatAt: 9_000 }),
        aRegistration({ id: 'c', address: '10.0.0.1', lastHeartbeatAt: 9_500, status: 'critical' }),
      ],
      9_900,
    );
    expect(record?.ports).toEqual([
      { number: 8080, name: 'http', protocol: 'http' },
      { number: 9090, name: 'grpc', protocol: 'grpc' },
    ]);
    expect(record?.endpoints.map((e) => [e.instanceId, e.port, e.servicePort, e.health, e.weight])).toEqual([
      ['a', 18080, 8080, 'healthy', 2],
      ['a', 9090, 9090, 'healthy', 2],
      ['b', 8080, 8080, 'healthy', 1],
    ]);
    expect(buildServiceRecord([], 0)).toBeUndefined();
  });
});
