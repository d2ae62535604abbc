/**
 * Registration lifecycle against the built daemon: no heartbeat → unhealthy within the TTL → removed
 * after the grace; a heartbeat brings an instance back; expiry computed from the stored times across
 * a restart; and `kill -9` right after any 2xx loses nothing. Waits are blocking queries; the only
 * timed waits are the TTLs themselves.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Consul from 'consul';
import { Workspace, getJson, waitForCatalog } from './support/daemon.js';
import { registrationConfig, SECRETS, send, startDaemon, type Started } from './support/registration.js';

interface ServiceJson {
  endpoints: { address: string; health: string; instanceId: string }[];
}
interface ServicesJson {
  services: { namespace: string; name: string }[];
}
interface RegistrationsJson {
  registrations: { id: string; health: string; note: string; status: string; lastHeartbeatAt: string }[];
}

const vm = (service: string, address: string, ttl: string, grace: string) => ({
  service,
  namespace: 'shop',
  address,
  port: 8080,
  ttl,
  grace,
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

describe('registration lifecycle', () => {
  let ws: Workspace;
  let started: Started | undefined;

  beforeEach(() => {
    ws = new Workspace();
  });
  afterEach(async () => {
    await started?.daemon.stop('SIGKILL').catch(() => undefined);
    started = undefined;
    ws.cleanup();
  });

  async function start(): Promise<Started> {
    started = await startDaemon(registrationConfig(ws, { ttl: '300ms', grace: '300ms' }), ws.dir);
    return started;
  }

  async function restart(signal: NodeJS.Signals): Promise<Started> {
    await started?.daemon.stop(signal).catch(() => undefined);
    return start();
  }

  const healthOf = (url: string, name: string) =>
    waitForCatalog<ServiceJson>(`${url}/v1/services/shop/${name}`, (s) => s.endpoints?.length === 1);

  it('without heartbeats turns unhealthy within the ttl and is removed after the grace (config defaults)', async () => {
    const { url, daemon } = await start();
    const body = { service: 'orders', namespace: 'shop', address: '10.0.0.1', port: 8080 };
    const registered = await send(`${url}/v1/registrations/ord-1`, 'PUT', body);
    expect(registered.body).toMatchObject({ ttlMs: 300, graceMs: 300 });
    const at = Date.parse((registered.body as { lastHeartbeatAt: string }).lastHeartbeatAt);
    expect((await healthOf(url, 'orders')).body.endpoints[0]?.health).toBe('healthy');

    await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/orders`,
      (s) => s.endpoints?.[0]?.health === 'unhealthy',
    );
    const unhealthyAt = Date.now();
    expect(unhealthyAt - at).toBeGreaterThanOrEqual(300);
    expect(unhealthyAt - at).toBeLessThan(300 + 1500);

    await waitForCatalog<ServicesJson>(
      `${url}/v1/services`,
      (b) => !b.services.some((s) => s.name === 'orders'),
    );
    expect(Date.now() - at).toBeGreaterThanOrEqual(600);
    expect((await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body.registrations).toEqual([]);
    await daemon.waitForLog((l) => l.msg === 'registration expired; removed' && l.id === 'ord-1');
  });

  it('a heartbeat brings an unhealthy instance back', async () => {
    const { url } = await start();
    await send(`${url}/v1/registrations/pay-1`, 'PUT', vm('payments', '10.0.0.1', '300ms', '1m'));
    await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/payments`,
      (s) => s.endpoints?.[0]?.health === 'unhealthy',
    );
    const beat = await send(`${url}/v1/registrations/pay-1/heartbeat`, 'PUT');
    expect(beat.body).toMatchObject({ health: 'healthy' });
    await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/payments`,
      (s) => s.endpoints?.[0]?.health === 'healthy',
    );
  });

  it('computes expiry from the stored times across a restart: expired while down → removed at start or unhealthy at once', async () => {
    let { url } = await start();
    const t0 = Date.now();
    await send(`${url}/v1/registrations/short-1`, 'PUT', vm('short', '10.0.0.1', '300ms', '300ms'));
    await send(`${url}/v1/registrations/long-1`, 'PUT', vm('long', '10.0.0.2', '500ms', '1m'));
    await healthOf(url, 'short');
    await healthOf(url, 'long');
    await started!.daemon.stop();
    await sleep(t0 + 700 - Date.now()); // both ttls, and short-1's grace, pass while the daemon is down

    ({ url } = await start());
    // Read at once: a timer restarted at boot would still call long-1 healthy for 500 ms.
    const list = await getJson<RegistrationsJson>(`${url}/v1/registrations`);
    expect(list.body.registrations.map((r) => [r.id, r.health])).toEqual([['long-1', 'unhealthy']]);
    expect(Date.parse(list.body.registrations[0]!.lastHeartbeatAt)).toBeLessThan(t0 + 700);
    await started!.daemon.waitForLog((l) => l.msg === 'registration expired; removed' && l.id === 'short-1');
    const services = await waitForCatalog<ServicesJson>(`${url}/v1/services`, (b) =>
      b.services.every((s) => s.name !== 'short'),
    );
    expect(services.body.services.map((s) => s.name)).toEqual(['long']);
    const long = await getJson<ServiceJson>(`${url}/v1/services/shop/long`);
    expect(long.body.endpoints.map((e) => e.health)).toEqual(['unhealthy']);
  });

  it('loses nothing on kill -9 right after a 2xx: register, heartbeat, Consul register, deregister', async () => {
    let { url } = await start();
    const created = await send(
      `${url}/v1/registrations/pay-1`,
      'PUT',
      vm('payments', '10.0.0.1', '1h', '1h'),
    );
    expect(created.status).toBe(201);
    ({ url } = await restart('SIGKILL'));
    expect((await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body.registrations).toMatchObject([
      { id: 'pay-1' },
    ]);
    expect((await healthOf(url, 'payments')).body.endpoints[0]).toMatchObject({
      address: '10.0.0.1',
      health: 'healthy',
    });

    const beat = await send(`${url}/v1/registrations/pay-1/heartbeat`, 'PUT', {
      status: 'warning',
      note: 'disk 91%',
    });
    expect(beat.status).toBe(200);
    ({ url } = await restart('SIGKILL'));
    expect((await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body.registrations).toMatchObject([
      { id: 'pay-1', status: 'warning', note: 'disk 91%' },
    ]);

    const consul = new Consul({
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      defaults: { token: SECRETS.shop },
    });
    try {
      await consul.agent.service.register({
        id: 'web-1',
        name: 'web',
        address: '10.0.0.5',
        port: 9000,
        meta: { 'tributary-namespace': 'shop' },
      });
    } finally {
      consul.destroy();
    }
    ({ url } = await restart('SIGKILL'));
    expect(
      (await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body.registrations.map((r) => r.id),
    ).toEqual(['pay-1', 'web-1']);

    expect((await send(`${url}/v1/registrations/pay-1`, 'DELETE')).status).toBe(204);
    ({ url } = await restart('SIGKILL'));
    expect(
      (await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body.registrations.map((r) => r.id),
    ).toEqual(['web-1']);
    await waitForCatalog<ServicesJson>(
      `${url}/v1/services`,
      (b) => b.services.map((s) => s.name).join() === 'web',
    );
  });
});
