/**
 * The daemon beside Consul, as a user runs it: a consul source on the fake Consul and a file source
 * defining the same service merge into one service; an xDS client subscribed to its EDS resource sees
 * every change in the fake within one second; Consul down and back keeps the endpoints (stale) and
 * shows the source degraded, then synced.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeConsul } from '../fakes/consul/index.js';
import { getJson, waitForCatalog, Workspace, type DaemonProcess } from './support/daemon.js';
import { clusterOf, EdsWatch, startDaemon } from './support/registration.js';

/** Where a change in Consul must have reached the xDS client (the bound). */
const XDS_WITHIN_MS = 1000;

interface ServiceJson {
  sources: string[];
  endpoints: { address: string; port: number; health: string; stale: boolean; sourceId: string }[];
}
interface SourcesJson {
  sources: { id: string; state: string; lastError: string | null; stale: boolean }[];
}

describe('consul source in the daemon', () => {
  let ws: Workspace;
  let fake: FakeConsul;
  let daemon: DaemonProcess | undefined;
  let eds: EdsWatch | undefined;

  beforeEach(async () => {
    ws = new Workspace();
    fake = await FakeConsul.start();
    ws.write(
      'vms/payments.yaml',
      `services:
  - name: payments
    namespace: shop
    ports: [{ number: 8080, name: http, protocol: http }]
    endpoints: [{ address: 10.0.0.9 }]
`,
    );
    fake.register({ name: 'payments', id: 'pay-1', node: 'c1', address: '10.0.1.1', port: 8080 });
    fake.register({ name: 'payments', id: 'pay-2', node: 'c2', address: '10.0.1.2', port: 8080 });
  });

  afterEach(async () => {
    eds?.close();
    eds = undefined;
    await daemon?.stop();
    daemon = undefined;
    await fake.close();
    ws.cleanup();
  });

  async function start(): Promise<{ url: string; xdsPort: number }> {
    const config = ws.config(`  - kind: consul
    name: dc1
    address: ${fake.url}
    namespace: shop
    wait: 30s
    minInterval: 10ms
    retryBase: 50ms
    retryMax: 300ms
`);
    const started = await startDaemon(config, ws.dir);
    daemon = started.daemon;
    return started;
  }

  /** Waits for the pushed endpoints and returns how long they took to arrive after `since`. */
  async function arrival(want: string[], since: number): Promise<number> {
    await eds!.until(want, XDS_WITHIN_MS);
    return Date.now() - since;
  }

  it('merges the Consul and file endpoints of one service and pushes every Consul change to xDS within 1 s', async () => {
    const { url, xdsPort } = await start();
    const merged = await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/payments`,
      (s) => s.endpoints?.length === 3,
    );
    expect(merged.body.sources).toEqual(['consul/dc1', 'file/vms']);
    expect(merged.body.endpoints.map((e) => `${e.address} ${e.sourceId}`)).toEqual([
      '10.0.0.9 file/vms',
      '10.0.1.1 consul/dc1',
      '10.0.1.2 consul/dc1',
    ]);

    eds = new EdsWatch(xdsPort, clusterOf('shop', 'payments', 8080));
    const all = ['10.0.0.9:8080 HEALTHY', '10.0.1.1:8080 HEALTHY', '10.0.1.2:8080 HEALTHY'];
    await eds.until(all);

    let at = Date.now();
    fake.setCheck('c2', 'service:pay-2', 'critical');
    const flip = await arrival(
      ['10.0.0.9:8080 HEALTHY', '10.0.1.1:8080 HEALTHY', '10.0.1.2:8080 UNHEALTHY'],
      at,
    );

    at = Date.now();
    fake.register({ name: 'payments', id: 'pay-3', node: 'c3', address: '10.0.1.3', port: 8080 });
    const added = await arrival(
      ['10.0.0.9:8080 HEALTHY', '10.0.1.1:8080 HEALTHY', '10.0.1.2:8080 UNHEALTHY', '10.0.1.3:8080 HEALTHY'],
      at,
    );

    at = Date.now();
    fake.deregister('c1', 'pay-1');
    const removed = await arrival(
      ['10.0.0.9:8080 HEALTHY', '10.0.1.2:8080 UNHEALTHY', '10.0.1.3:8080 HEALTHY'],
      at,
    );

    at = Date.now();
    fake.setMaintenance('c3', 'pay-3', true);
    const drained = await arrival(
      ['10.0.0.9:8080 HEALTHY', '10.0.1.2:8080 UNHEALTHY', '10.0.1.3:8080 DRAINING'],
      at,
    );
    process.stdout.write(
      `consul change → xDS push: check flip ${flip} ms, instance added ${added} ms, removed ${removed} ms, maintenance ${drained} ms\n`,
    );
  });

  it('keeps the Consul endpoints (stale) while Consul is down, shows the source degraded, then synced', async () => {
    const { url, xdsPort } = await start();
    await waitForCatalog<ServiceJson>(`${url}/v1/services/shop/payments`, (s) => s.endpoints?.length === 3);
    eds = new EdsWatch(xdsPort, clusterOf('shop', 'payments', 8080));
    await eds.until(['10.0.0.9:8080 HEALTHY', '10.0.1.1:8080 HEALTHY', '10.0.1.2:8080 HEALTHY']);

    await fake.down('refuse');
    const down = await waitForCatalog<SourcesJson>(`${url}/v1/sources`, (b) =>
      b.sources.some((s) => s.id === 'consul/dc1' && s.state === 'degraded'),
    );
    expect(down.body.sources.find((s) => s.id === 'consul/dc1')).toMatchObject({
      stale: true,
      lastError: expect.stringMatching(/unreachable/),
    });
    const kept = await getJson<ServiceJson>(`${url}/v1/services/shop/payments`);
    expect(kept.body.endpoints.map((e) => `${e.address} ${e.stale}`)).toEqual([
      '10.0.0.9 false',
      '10.0.1.1 true',
      '10.0.1.2 true',
    ]);
    await eds.until(['10.0.0.9:8080 HEALTHY', '10.0.1.1:8080 HEALTHY', '10.0.1.2:8080 HEALTHY']);

    fake.setCheck('c1', 'service:pay-1', 'critical'); // while the source cannot see it
    await fake.up();
    const synced = await waitForCatalog<SourcesJson>(`${url}/v1/sources`, (b) =>
      b.sources.some((s) => s.id === 'consul/dc1' && s.state === 'synced'),
    );
    expect(synced.body.sources.find((s) => s.id === 'consul/dc1')).toMatchObject({
      stale: false,
      lastError: null,
    });
    await eds.until(['10.0.0.9:8080 HEALTHY', '10.0.1.1:8080 UNHEALTHY', '10.0.1.2:8080 HEALTHY']);
    const fresh = await getJson<ServiceJson>(`${url}/v1/services/shop/payments`);
    expect(fresh.body.endpoints.every((e) => !e.stale)).toBe(true);
  });
});
