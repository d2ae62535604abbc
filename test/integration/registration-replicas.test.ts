/**
 * `registrationStore: consul` with two replicas on one (fake) Consul, as a user runs them: a VM
 * registers at replica A, which writes it through to Consul; replica B, which only watches Consul,
 * serves it too, follows its heartbeats and its deregistration. With Consul down a registration
 * fails with 503 and nothing is written at A.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeConsul } from '../fakes/consul/index.js';
import { getJson, waitForCatalog, Workspace } from './support/daemon.js';
import { registrationConfig, send, startDaemon, type Started } from './support/registration.js';

interface ServiceJson {
  ports: { number: number; name: string; protocol: string }[];
  endpoints: { address: string; port: number; health: string; sourceId: string }[];
}

const REGISTRATION = {
  service: 'payments',
  namespace: 'shop',
  address: '10.0.1.11',
  ports: [{ name: 'http', number: 8080, servicePort: 80, protocol: 'http' }],
  labels: { version: 'v1' },
  ttl: '30s',
  grace: '1m',
};

describe('registrationStore: consul (replicas sharing a Consul)', () => {
  let consul: FakeConsul;
  let wsA: Workspace;
  let wsB: Workspace;
  let a: Started | undefined;
  let b: Started | undefined;

  const consulSource = (url: string) => `  - kind: consul
    name: shared
    address: ${url}
    wait: 30s
    minInterval: 10ms
    retryBase: 50ms
    retryMax: 300ms
`;

  beforeEach(async () => {
    consul = await FakeConsul.start();
    wsA = new Workspace();
    wsB = new Workspace();
    const configA = registrationConfig(wsA, {
      restExtra: `    registrationStore: consul\n    consul: { address: "${consul.url}", timeout: 2s }\n`,
      sources: consulSource(consul.url),
    });
    wsB.write('vms/.keep.yaml', 'services: []\n');
    const configB = wsB.config(consulSource(consul.url));
    [a, b] = await Promise.all([startDaemon(configA, wsA.dir), startDaemon(configB, wsB.dir)]);
  });

  afterEach(async () => {
    await Promise.all([a?.daemon.stop(), b?.daemon.stop()]);
    a = b = undefined;
    await consul.close();
    wsA.cleanup();
    wsB.cleanup();
  });

  it('serves a VM registered at one replica from the other, through heartbeat and deregistration', async () => {
    const put = await send(`${a!.url}/v1/registrations/payments-vm-1`, 'PUT', REGISTRATION);
    expect(put.status).toBe(201);
    // In Consul: the service with its TTL check, the namespace and port in meta.
    const inConsul = [...consul.dc().services.values()].find((s) => s.id === 'payments-vm-1');
    expect(inConsul).toMatchObject({
      service: 'payments',
      port: 8080,
      meta: { 'tributary-namespace': 'shop', 'tributary-port-name': 'http', protocol: 'http' },
    });

    // Replica B knows the VM only through Consul: same service, port 80 → 8080, http, healthy.
    const { body: atB } = await waitForCatalog<ServiceJson>(
      `${b!.url}/v1/services/shop/payments`,
      (s) => s.endpoints?.some((e) => e.address === '10.0.1.11' && e.health === 'healthy') ?? false,
    );
    expect(atB.ports).toEqual([{ number: 80, name: 'http', protocol: 'http' }]);
    expect(atB.endpoints).toEqual([
      expect.objectContaining({ address: '10.0.1.11', port: 8080, sourceId: 'consul/shared' }),
    ]);
    // Replica A merges its own registration and Consul's copy of it into one endpoint.
    const { body: atA } = await waitForCatalog<ServiceJson & { sources: string[] }>(
      `${a!.url}/v1/services/shop/payments`,
      (s) => s.sources?.length === 2,
    );
    expect(atA.endpoints).toHaveLength(1);
    expect(atA.ports).toEqual(atB.ports);

    // A failing heartbeat at A turns the endpoint unhealthy at B.
    const beat = await send(`${a!.url}/v1/registrations/payments-vm-1/heartbeat`, 'PUT', {
      status: 'critical',
      note: 'disk full',
    });
    expect(beat.status).toBe(200);
    await waitForCatalog<ServiceJson>(
      `${b!.url}/v1/services/shop/payments`,
      (s) => s.endpoints?.[0]?.health === 'unhealthy',
    );

    // Deregistration at A removes it from Consul and from B.
    expect((await send(`${a!.url}/v1/registrations/payments-vm-1`, 'DELETE')).status).toBe(204);
    expect([...consul.dc().services.values()].map((s) => s.id)).not.toContain('payments-vm-1');
    await waitForCatalog<{ services: { name: string }[] }>(
      `${b!.url}/v1/services`,
      (list) => !list.services?.some((s) => s.name === 'payments'),
    );
  });

  it('answers 503 naming the Consul agent when it is down, and writes nothing', async () => {
    await consul.down('refuse');
    const put = await send(`${a!.url}/v1/registrations/payments-vm-1`, 'PUT', REGISTRATION);
    expect(put.status).toBe(503);
    expect(put.body).toMatchObject({
      error: { code: 'TRB_REGISTRY_UNREACHABLE', message: expect.stringContaining(consul.url) as unknown },
    });
    const list = await getJson<{ registrations: unknown[] }>(`${a!.url}/v1/registrations`);
    expect(list.body.registrations).toEqual([]);
    await consul.up();
    expect((await send(`${a!.url}/v1/registrations/payments-vm-1`, 'PUT', REGISTRATION)).status).toBe(201);
  });
});
