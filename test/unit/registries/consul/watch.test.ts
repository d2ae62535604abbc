import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SourceEvent, StatusEvent } from '../../../../src/registry.js';
import type { FakeConsul, HeldQuery } from '../../../fakes/consul/index.js';
import { ConsulHarness, endpointsOf, eventually } from './harness.js';

let harness: ConsulHarness;
let fake: FakeConsul;

beforeEach(async () => {
  harness = await ConsulHarness.start();
  fake = harness.fake;
  fake.register({ name: 'web', id: 'web-1', node: 'n1', address: '10.0.0.1', port: 8080 });
  fake.register({ name: 'web', id: 'web-2', node: 'n2', address: '10.0.0.2', port: 8080, status: 'warning' });
  fake.register({
    name: 'web',
    id: 'web-3',
    node: 'n3',
    address: '10.0.0.3',
    port: 8080,
    status: 'critical',
  });
  fake.register({ name: 'api', id: 'api-1', node: 'n1', address: '10.0.0.1', port: 9000 });
  fake.register({ name: 'api', id: 'api-2', node: 'n4', address: '10.0.0.4', port: 9000 });
  fake.setMaintenance('n4', 'api-2', true);
  fake.register({
    name: 'web-sidecar-proxy',
    id: 'web-1-proxy',
    node: 'n1',
    port: 21000,
    kind: 'connect-proxy',
  });
});

afterEach(async () => {
  await harness.close();
});

const changes = (events: SourceEvent[]) => events.filter((e) => e.type !== 'status');
const isHeld = (service: string) => (q: HeldQuery) => q.service === service;

describe('consul source: sync and changes', () => {
  it('syncs every service with mixed check states in one snapshot, sidecars left out, then synced', async () => {
    const recorder = harness.watch();
    expect((await recorder.next((e): e is StatusEvent => e.type === 'status')).state).toBe('syncing');
    const snapshot = await recorder.snapshot();
    expect(endpointsOf(snapshot)).toEqual([
      'default/api 10.0.0.1:9000 healthy',
      'default/api 10.0.0.4:9000 draining',
      'default/web 10.0.0.1:8080 healthy',
      'default/web 10.0.0.2:8080 healthy',
      'default/web 10.0.0.3:8080 unhealthy',
    ]);
    expect(snapshot.services[1]!.endpoints[0]).toMatchObject({ instanceId: 'dc1/n1/web-1', cluster: 'dc1' });
    await recorder.status('synced');
  });

  it('delivers a check flip as an upsert of that service only', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    await fake.waitFor('held', isHeld('web'));
    const from = recorder.position;
    fake.setCheck('n3', 'service:web-3', 'passing');
    const state = await recorder.changed();
    expect(endpointsOf(state)).toContain('default/web 10.0.0.3:8080 healthy');
    expect(changes(recorder.since(from))).toEqual([
      { type: 'upsert', service: expect.objectContaining({ name: 'web' }) },
    ]);
  });

  it('follows a node-level check: every service on the node turns unhealthy', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    fake.setCheck('n1', 'serfHealth', 'critical');
    await recorder.changed(); // one service's watch answers first,
    const state = await recorder.changed(); // then the other's
    expect(endpointsOf(state).filter((e) => e.includes(' 10.0.0.1:'))).toEqual([
      'default/api 10.0.0.1:9000 unhealthy',
      'default/web 10.0.0.1:8080 unhealthy',
    ]);
  });

  it('adds and removes an instance', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    fake.register({ name: 'web', id: 'web-4', node: 'n5', address: '10.0.0.5', port: 8080 });
    expect(endpointsOf(await recorder.changed())).toContain('default/web 10.0.0.5:8080 healthy');
    fake.deregister('n5', 'web-4');
    expect(endpointsOf(await recorder.changed()).filter((e) => e.startsWith('default/web'))).toHaveLength(3);
  });

  it('deletes a service deregistered from Consul and stops watching it', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    await fake.waitFor('held', isHeld('api'));
    fake.deregister('n1', 'api-1');
    fake.deregister('n4', 'api-2');
    await recorder.next((e) => e.type === 'delete');
    expect(recorder.state().services.map((s) => s.name)).toEqual(['web']);
    await eventually(() => !fake.held.some(isHeld('api')));
    const seen = fake.requests.length;
    fake.register({ name: 'api', id: 'api-9', node: 'n9', address: '10.0.0.9', port: 9000 });
    expect(endpointsOf(await recorder.changed())).toContain('default/api 10.0.0.9:9000 healthy');
    expect(fake.requests.slice(seen).some((r) => r.path === '/v1/health/service/api')).toBe(true);
  });

  it('emits nothing when the index moves without a change, and never blocks on a stale index', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    const from = recorder.position;
    for (let i = 0; i < 3; i++) {
      const held = await fake.waitFor('held', isHeld('web'));
      fake.dc().bumpIndex('web');
      await fake.waitFor('held', (q: HeldQuery) => q.service === 'web' && q.index > held.index);
    }
    expect(recorder.events.slice(from)).toEqual([]);
    fake.setCheck('n1', 'service:web-1', 'critical');
    await recorder.changed();
    expect(changes(recorder.since(from))).toHaveLength(1);
  });

  it('starts over with a fresh read when the index goes backwards, and keeps following changes', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    const held = await fake.waitFor('held', isHeld('web'));
    expect(held.index).toBeGreaterThan(1);
    const from = recorder.position;
    const seen = fake.requests.length;
    fake.dc().resetIndex(1);
    // The held query is released with index 1 < the one sent: the next read carries no index.
    await eventually(() =>
      fake.requests.slice(seen).some((r) => r.path === '/v1/health/service/web' && !r.query.has('index')),
    );
    await fake.waitFor('held', (q: HeldQuery) => q.service === 'web' && q.index === 1);
    expect(changes(recorder.since(from))).toEqual([]);
    fake.setCheck('n2', 'service:web-2', 'critical');
    expect(endpointsOf(await recorder.changed())).toContain('default/web 10.0.0.2:8080 unhealthy');
  });
});

describe('consul source: outages', () => {
  it('keeps every endpoint while Consul is unreachable, shows degraded and stale, resumes from its index', async () => {
    const recorder = harness.watch();
    const synced = await recorder.status('synced');
    expect(synced.stale).toBeUndefined();
    const held = await fake.waitFor('held', isHeld('web'));
    const before = recorder.state();
    const from = recorder.position;
    await fake.down('refuse');
    const degraded = await recorder.status('degraded');
    expect(degraded).toMatchObject({ stale: true, error: expect.stringMatching(/unreachable/) });
    fake.setCheck('n3', 'service:web-3', 'passing'); // changes while Consul cannot be read
    const seen = fake.requests.length;
    await fake.up();
    const after = await recorder.changed();
    expect(changes(recorder.since(from)).map((e) => e.type)).toEqual(['upsert']);
    expect(endpointsOf(after)).toContain('default/web 10.0.0.3:8080 healthy');
    expect(endpointsOf(after)).toHaveLength(endpointsOf(before).length);
    await recorder.status('synced');
    const resumed = fake.requests.slice(seen).find((r) => r.path === '/v1/health/service/web');
    expect(resumed?.query.get('index')).toBe(String(held.index));
  });

  it('treats a 5xx like an outage and recovers', async () => {
    const recorder = harness.watch();
    await recorder.status('synced');
    const from = recorder.position;
    await fake.down('error');
    expect(await recorder.status('degraded')).toMatchObject({
      stale: true,
      error: expect.stringContaining('HTTP 500 No cluster leader'),
    });
    await fake.up();
    await recorder.status('synced');
    expect(changes(recorder.since(from))).toEqual([]);
  });

  it('aborts its held queries and closes every socket and timer when unsubscribed', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const before = timers();
    const recorder = harness.watch();
    await recorder.status('synced');
    await fake.waitFor('held', isHeld('web'));
    await fake.waitFor('held', (q: HeldQuery) => q.path === '/v1/catalog/services');
    const closed = fake.waitFor('client-closed', isHeld('web'));
    recorder.close();
    await closed;
    await eventually(() => fake.openConnections === 0 && fake.held.length === 0);
    await eventually(() => timers() <= before);
  });
});

describe('consul source: ACLs', () => {
  it('says the token is unknown when Consul answers 403 ACL not found', async () => {
    fake.acl.enable();
    const recorder = harness.watch({ token: 'no-such-token' });
    const status = await recorder.status('degraded');
    expect(status.error).toMatch(/HTTP 403 ACL not found: Consul does not know the configured ACL token/);
    expect(recorder.events.some((e) => e.type === 'snapshot')).toBe(false);
  });

  it('keeps the endpoints when the token is revoked, and syncs again once it is back', async () => {
    fake.acl.enable();
    fake.acl.setToken('reader', { serviceRead: [''], nodeRead: [''] });
    const recorder = harness.watch({ token: 'reader' });
    await recorder.status('synced');
    const from = recorder.position;
    expect(fake.requests.at(-1)?.headers['x-consul-token']).toBe('reader');
    fake.acl.removeToken('reader');
    fake.dc().bumpIndex(); // release the held queries: they come back with 403
    expect(await recorder.status('degraded')).toMatchObject({
      stale: true,
      error: expect.stringContaining('403'),
    });
    fake.acl.setToken('reader', { serviceRead: [''], nodeRead: [''] });
    await recorder.status('synced');
    expect(changes(recorder.since(from))).toEqual([]);
  });

  it('names node:read when ACLs hide the instances of a service', async () => {
    fake.acl.enable();
    fake.acl.setToken('services-only', { serviceRead: [''], nodeRead: ['n1'] });
    const recorder = harness.watch({ token: 'services-only' });
    const snapshot = await recorder.snapshot();
    expect(endpointsOf(snapshot)).toEqual([
      'default/api 10.0.0.1:9000 healthy',
      'default/web 10.0.0.1:8080 healthy',
    ]);
    const status = await recorder.status('degraded');
    expect(status.stale).toBeUndefined();
    expect(status.error).toMatch(/ACLs hid some instances; grant the ACL token node:read/);
  });
});

describe('consul source: datacenters, filters and request options', () => {
  it('reads several datacenters into one service, each endpoint keeping its datacenter', async () => {
    await harness.close();
    harness = await ConsulHarness.start({ datacenters: ['dc1', 'dc2'] });
    fake = harness.fake;
    fake.register({ name: 'web', id: 'web-1', node: 'a1', address: '10.0.0.1', port: 8080 });
    fake.register({
      name: 'web',
      id: 'web-1',
      node: 'b1',
      address: '10.0.0.1',
      port: 8080,
      datacenter: 'dc2',
    });
    const recorder = harness.watch({ datacenters: ['dc1', 'dc2'], networks: { dc2: 'net-2' } });
    const [web] = (await recorder.snapshot()).services;
    expect(web!.endpoints.map((e) => [e.instanceId, e.cluster, e.network, e.locality.region])).toEqual([
      ['dc1/a1/web-1', 'dc1', '', 'dc1'],
      ['dc2/b1/web-1', 'dc2', 'net-2', 'dc2'],
    ]);
    expect(
      fake.requests.some((r) => r.path === '/v1/health/service/web' && r.query.get('dc') === 'dc2'),
    ).toBe(true);
    fake.setCheck('b1', 'service:web-1', 'critical', 'dc2');
    const [changed] = (await recorder.changed()).services;
    expect(changed!.endpoints.map((e) => e.health)).toEqual(['healthy', 'unhealthy']);
  });

  it('reports an unknown datacenter and syncs nothing until it exists', async () => {
    const recorder = harness.watch({ datacenters: ['dc1', 'dc9'] });
    expect((await recorder.status('degraded')).error).toMatch(/dc=dc9: HTTP 500 No path to datacenter/);
    expect(recorder.events.some((e) => e.type === 'snapshot')).toBe(false);
  });

  it('reads only the services the filter selects', async () => {
    const recorder = harness.watch({ filter: { names: ['w*'], excludeTags: ['canary'] } });
    expect((await recorder.snapshot()).services.map((s) => s.name)).toEqual(['web']);
    expect(fake.requests.some((r) => r.path === '/v1/health/service/api')).toBe(false);
  });

  it('sends the consistency mode and the token of a token file', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tributary-consul-'));
    try {
      writeFileSync(join(dir, 'token'), 'file-token\n');
      const recorder = harness.watch({ consistency: 'stale', tokenFile: 'token' }, dir);
      await recorder.status('synced');
      const reads = fake.requests.filter((r) => r.path.startsWith('/v1/health/'));
      expect(reads.every((r) => r.query.has('stale') && r.headers['x-consul-token'] === 'file-token')).toBe(
        true,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the source with TRB_CONFIG_UNREADABLE when the token file cannot be read', async () => {
    const recorder = harness.watch({ tokenFile: 'missing-token' }, '/nonexistent');
    await expect(recorder.snapshot()).rejects.toMatchObject({ code: 'TRB_CONFIG_UNREADABLE' });
  });

  it('holds at most maxWatches health queries at once and still follows every service', async () => {
    fake.register({ name: 'db', id: 'db-1', node: 'n6', address: '10.0.0.6', port: 5432 });
    let held = 0;
    let most = 0;
    const count = (delta: number) => (q: { service: string | undefined }) => {
      if (q.service === undefined) return;
      held += delta;
      most = Math.max(most, held);
    };
    fake.events.on('held', count(1));
    fake.events.on('released', count(-1));
    fake.events.on('client-closed', count(-1));
    const recorder = harness.watch({ maxWatches: 1, wait: '200ms' });
    expect((await recorder.snapshot()).services.map((s) => s.name)).toEqual(['api', 'db', 'web']);
    fake.setCheck('n6', 'service:db-1', 'critical');
    expect(endpointsOf(await recorder.changed())).toContain('default/db 10.0.0.6:5432 unhealthy');
    fake.setCheck('n1', 'service:api-1', 'critical');
    expect(endpointsOf(await recorder.changed())).toContain('default/api 10.0.0.1:9000 unhealthy');
    expect(most).toBe(1);
  });
});
