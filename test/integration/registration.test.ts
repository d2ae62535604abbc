/**
 * VM registration against the built daemon: native API with fetch, the Consul agent API with the
 * `consul` npm client, what a subscribed xDS client receives, the example systemd unit's commands,
 * and every refusal (400, 401, 403, 409, 429) leaving the registrations and the catalog unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import Consul from 'consul';
import { DaemonProcess, Workspace, getJson, waitForCatalog } from './support/daemon.js';
import {
  clusterOf,
  EdsWatch,
  OPS,
  registrationConfig,
  SECRETS,
  send,
  startDaemon,
  type Started,
} from './support/registration.js';

interface ServiceJson {
  endpoints: { address: string; port: number; health: string; instanceId: string; sourceId: string }[];
}
interface RegistrationsJson {
  registrations: { id: string; namespace: string; address: string; health: string; note: string }[];
}

const PAYMENTS = {
  service: 'payments',
  namespace: 'shop',
  address: '127.0.0.1',
  ports: [{ name: 'http', number: 18080, servicePort: 8080, protocol: 'http' }],
  ttl: '30s',
};

describe('VM registration', () => {
  let ws: Workspace;
  let started: Started | undefined;
  const closers: (() => unknown)[] = [];

  beforeEach(() => {
    ws = new Workspace();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await started?.daemon.stop().catch(() => undefined);
    started = undefined;
    ws.cleanup();
  });

  async function start(setup = {}): Promise<Started> {
    started = await startDaemon(registrationConfig(ws, setup), ws.dir);
    return started;
  }

  function watchEds(xdsPort: number, cluster: string): EdsWatch {
    const watch = new EdsWatch(xdsPort, cluster);
    closers.push(() => watch.close());
    return watch;
  }

  it('a VM registered with fetch appears in REST and in EDS; health and deregistration follow', async () => {
    const { url, xdsPort } = await start();
    const eds = watchEds(xdsPort, clusterOf('shop', 'payments', 8080));
    const created = await send(`${url}/v1/registrations/pay-1`, 'PUT', PAYMENTS);
    expect(created.status).toBe(201);

    const service = await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/payments`,
      (s) => s.endpoints?.length === 1,
    );
    expect(service.body.endpoints[0]).toMatchObject({
      address: '127.0.0.1',
      port: 18080,
      health: 'healthy',
      instanceId: 'pay-1',
      sourceId: 'rest/vms',
    });
    await eds.until(['127.0.0.1:18080 HEALTHY']);

    const critical = await send(`${url}/v1/registrations/pay-1/heartbeat`, 'PUT', {
      status: 'critical',
      note: 'db down',
    });
    expect(critical.body).toMatchObject({ status: 'critical', health: 'unhealthy', note: 'db down' });
    await eds.until(['127.0.0.1:18080 UNHEALTHY']);

    // The service goes with its last instance (EDS announces no deletion: clients learn it from CDS).
    expect((await send(`${url}/v1/registrations/pay-1`, 'DELETE')).status).toBe(204);
    await waitForCatalog<{ services: { name: string }[] }>(
      `${url}/v1/services`,
      (b) => b.services.length === 0,
    );
  });

  it('the consul npm client registers, passes its TTL check, lists and deregisters; REST and EDS follow', async () => {
    const { url, xdsPort } = await start();
    const port = Number(new URL(url).port);
    const consul = new Consul({ host: '127.0.0.1', port, defaults: { token: SECRETS.shop } });
    closers.push(() => consul.destroy());
    const eds = watchEds(xdsPort, clusterOf('shop', 'web', 9000));

    await consul.agent.service.register({
      id: 'web-1',
      name: 'web',
      address: '127.0.0.1',
      port: 9000,
      tags: ['v1'],
      meta: { 'tributary-namespace': 'shop' },
      // name and timeout only satisfy the client's typings (it sends Timeout with interval checks only).
      check: { name: 'web-1 ttl', ttl: '30s', deregistercriticalserviceafter: '1m', timeout: '1s' },
    });
    // As in Consul, a TTL check starts critical until its first pass.
    await eds.until(['127.0.0.1:9000 UNHEALTHY']);
    await consul.agent.check.pass({ id: 'service:web-1', note: 'ready' });
    await eds.until(['127.0.0.1:9000 HEALTHY']);
    const rest = await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/web`,
      (s) => s.endpoints?.[0]?.health === 'healthy',
    );
    expect(rest.body.endpoints).toHaveLength(1);

    expect(await consul.agent.service.list()).toEqual({
      'web-1': expect.objectContaining({
        ID: 'web-1',
        Service: 'web',
        Port: 9000,
        Tags: ['v1'],
        Address: '127.0.0.1',
      }),
    });
    await expect(
      consul.agent.service.register({ name: 'web', port: 9000, meta: { 'tributary-namespace': 'finance' } }),
    ).rejects.toThrow(/may not write namespace "finance"/);
    await consul.agent.service.deregister('web-1');
    expect(await consul.agent.service.list()).toEqual({});
    await waitForCatalog<{ services: unknown[] }>(`${url}/v1/services`, (b) => b.services.length === 0);
  });

  it('refuses bad bodies (400), missing or wrong tokens (401), foreign namespaces (403) and ids of other namespaces (409), writing nothing', async () => {
    const { url } = await start();
    await waitForCatalog<{ sources: { state: string }[] }>(`${url}/v1/sources`, (b) =>
      b.sources.every((s) => s.state === 'synced'),
    );
    expect(
      (await send(`${url}/v1/registrations/fin-1`, 'PUT', { ...PAYMENTS, namespace: 'finance' }, OPS)).status,
    ).toBe(201);
    const before = await waitForCatalog<{ services: unknown[] }>(
      `${url}/v1/services`,
      (b) => b.services.length === 1,
    );
    const listBefore = await getJson<RegistrationsJson>(`${url}/v1/registrations`);

    const attempts: [string, Promise<{ status: number; headers: Headers; body: unknown }>, number, string][] =
      [
        [
          'bad address',
          send(`${url}/v1/registrations/vm-1`, 'PUT', { ...PAYMENTS, address: 'vm-1.local' }),
          400,
          'body.address',
        ],
        [
          'bad port',
          send(`${url}/v1/registrations/vm-1`, 'PUT', { ...PAYMENTS, ports: [{ number: 0 }] }),
          400,
          'body.ports.0.number',
        ],
        [
          'unknown field',
          send(`${url}/v1/registrations/vm-1`, 'PUT', { ...PAYMENTS, colour: 'red' }),
          400,
          'body',
        ],
        ['no token', send(`${url}/v1/registrations/vm-1`, 'PUT', PAYMENTS, {}), 401, ''],
        [
          'wrong token',
          send(`${url}/v1/registrations/vm-1`, 'PUT', PAYMENTS, { authorization: 'Bearer guess' }),
          401,
          '',
        ],
        [
          'foreign namespace',
          send(`${url}/v1/registrations/vm-1`, 'PUT', { ...PAYMENTS, namespace: 'finance' }),
          403,
          'body.namespace',
        ],
        ['foreign heartbeat', send(`${url}/v1/registrations/fin-1/heartbeat`, 'PUT', {}), 403, 'params.id'],
        ['foreign deregister', send(`${url}/v1/registrations/fin-1`, 'DELETE'), 403, 'params.id'],
        [
          'id of another namespace',
          send(`${url}/v1/registrations/fin-1`, 'PUT', PAYMENTS, OPS),
          409,
          'params.id',
        ],
      ];
    for (const [what, attempt, status, field] of attempts) {
      const response = await attempt;
      expect([what, response.status]).toEqual([what, status]);
      const error = (response.body as { error: { field?: string; message: string } }).error;
      if (field !== '') expect([what, error.field]).toEqual([what, field]);
      if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tributary"');
      expect(error.message.length).toBeGreaterThan(10);
    }
    expect((await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body).toEqual(listBefore.body);
    const after = await getJson<{ services: unknown[] }>(`${url}/v1/services`);
    expect([after.index, after.body]).toEqual([before.index, before.body]);
  });

  it('answers a flood with 429 and Retry-After, and writes nothing past the limit', async () => {
    const { url } = await start({ perSecond: 0.2, burst: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 1; i <= 6; i++) {
      const response = await send(`${url}/v1/registrations/vm-${i}`, 'PUT', {
        ...PAYMENTS,
        address: `10.0.0.${i}`,
      });
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= response.headers.get('retry-after');
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const list = await getJson<RegistrationsJson>(`${url}/v1/registrations`);
    expect(list.body.registrations.map((r) => r.id)).toEqual(['vm-1', 'vm-2', 'vm-3']);
    // Other tokens keep their own budget.
    expect(
      (await send(`${url}/v1/registrations/vm-9`, 'PUT', { ...PAYMENTS, address: '10.0.0.9' }, OPS)).status,
    ).toBe(201);
  });

  it('the example systemd unit’s commands register, keep alive until SIGTERM, and deregister a VM', async () => {
    const { url } = await start();
    const unit = readFileSync(new URL('../../examples/tributary-heartbeat.service', import.meta.url), 'utf8');
    const env: Record<string, string> = {
      VM_ID: 'unit-vm',
      SERVICE: 'payments',
      NAMESPACE: 'shop',
      ADDRESS: '127.0.0.1',
      PORT: 'http=8080/http',
    };
    const command = (key: string): string[] => {
      const line = unit.split('\n').find((l) => l.startsWith(`${key}=`));
      if (line === undefined) throw new Error(`${key} missing from the unit`);
      const words = line
        .slice(key.length + 1)
        .replace(/\$\{(\w+)\}/g, (_, name: string) => env[name]!)
        .split(/\s+/);
      expect(words[0]).toBe('/usr/local/bin/tributary');
      return [...words.slice(1), '--api', url, '--token', SECRETS.shop];
    };
    const run = async (args: string[]): Promise<number | null> => DaemonProcess.spawn(args, ws.dir).exited;

    expect(await run(command('ExecStartPre'))).toBe(0);
    const loop = DaemonProcess.spawn(command('ExecStart'), ws.dir);
    closers.push(() => loop.stop('SIGKILL').catch(() => undefined));
    await loop.waitForLog((l) => String(l.msg).startsWith('heartbeat unit-vm: every'));
    const registered = await getJson<RegistrationsJson>(`${url}/v1/registrations`);
    expect(registered.body.registrations).toMatchObject([
      { id: 'unit-vm', namespace: 'shop', health: 'healthy' },
    ]);
    expect(await loop.stop('SIGTERM')).toBe(0);
    expect(loop.logs.at(-1)?.msg).toMatch(/^heartbeat unit-vm: stopped after \d+ heartbeat\(s\)$/);
    expect(await run(command('ExecStop'))).toBe(0);
    expect((await getJson<RegistrationsJson>(`${url}/v1/registrations`)).body.registrations).toEqual([]);
  });
});
