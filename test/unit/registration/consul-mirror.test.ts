/**
 * The write-through store against the fake Consul over HTTP, with the `consul` client doing the
 * calls: what lands in the agent, heartbeats as TTL updates, loss recovery, ACL and outage errors.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ConsulMirror, type ConsulAgentSettings } from '../../../src/registration/consul-mirror.js';
import { FakeConsul } from '../../fakes/consul/index.js';
import { aRegistration } from './fixtures.js';

const MAPPING = { namespaceMetaKey: 'tributary-namespace' };

describe('ConsulMirror (registrationStore: consul) against the fake Consul agent', () => {
  let consul: FakeConsul;
  let mirror: ConsulMirror;

  function open(settings: Partial<ConsulAgentSettings> = {}): ConsulMirror {
    mirror = new ConsulMirror(
      { address: consul.url, timeout: 2000, ...settings },
      MAPPING,
      pino({ level: 'silent' }),
      process.cwd(),
    );
    return mirror;
  }

  beforeEach(async () => {
    consul = await FakeConsul.start();
    open();
  });
  afterEach(async () => {
    mirror.close();
    await consul.close();
  });

  it('registers a service with its TTL check on the agent, namespace and port name in meta', async () => {
    await mirror.put(aRegistration({ ttlMs: 15_000, graceMs: 60_000, labels: { version: 'v2' } }));
    const service = consul.dc().services.get('fake-agent/vm-1') ?? [...consul.dc().services.values()][0];
    expect(service).toMatchObject({
      id: 'vm-1',
      service: 'payments',
      address: '10.0.0.1',
      port: 8080,
      meta: { version: 'v2', 'tributary-namespace': 'shop', protocol: 'http', 'tributary-port-name': 'http' },
    });
    const check = [...consul.dc().checks.values()].find((c) => c.checkId === 'service:vm-1');
    expect(check).toMatchObject({
      status: 'passing',
      ttlMs: 15_000,
      deregisterAfterMs: 60_000,
      serviceId: 'vm-1',
    });
  });

  it('passes heartbeats on as TTL updates with the status and note', async () => {
    await mirror.put(aRegistration());
    await mirror.heartbeat(aRegistration({ status: 'warning', note: 'disk 91%' }));
    const check = [...consul.dc().checks.values()].find((c) => c.checkId === 'service:vm-1');
    expect(check).toMatchObject({ status: 'warning', output: 'disk 91%' });
    await mirror.heartbeat(aRegistration({ status: 'critical', note: 'down' }));
    expect([...consul.dc().checks.values()].find((c) => c.checkId === 'service:vm-1')?.status).toBe(
      'critical',
    );
  });

  it('registers again when a heartbeat finds the agent lost the check', async () => {
    await mirror.heartbeat(aRegistration({ status: 'passing' }));
    expect([...consul.dc().services.values()].map((s) => s.id)).toContain('vm-1');
  });

  it('deregisters, and a registration already gone is not an error', async () => {
    await mirror.put(aRegistration());
    await mirror.remove(aRegistration());
    expect([...consul.dc().services.values()].map((s) => s.id)).not.toContain('vm-1');
    await expect(mirror.remove(aRegistration())).resolves.toBeUndefined();
  });

  it('sends the ACL token, and a denied write names the permission to grant', async () => {
    consul.acl.enable();
    consul.acl.setToken('good', { serviceWrite: ['payments'] });
    await expect(mirror.put(aRegistration())).rejects.toMatchObject({
      code: 'TRB_REGISTRY_REJECTED',
      message: expect.stringMatching(/403 .*service:write/) as unknown as string,
    });
    expect([...consul.dc().services.values()].map((s) => s.id)).not.toContain('vm-1');
    mirror.close();
    open({ token: 'good' });
    await mirror.put(aRegistration());
    expect([...consul.dc().services.values()].map((s) => s.id)).toContain('vm-1');
  });

  it('fails with TRB_REGISTRY_UNREACHABLE naming the agent when Consul is down or answers 5xx', async () => {
    await consul.down('refuse');
    await expect(mirror.put(aRegistration())).rejects.toMatchObject({
      code: 'TRB_REGISTRY_UNREACHABLE',
      message: expect.stringContaining(`consul agent ${consul.url}`) as unknown as string,
    });
    await consul.up();
    await consul.down('error');
    await expect(mirror.put(aRegistration())).rejects.toMatchObject({ code: 'TRB_REGISTRY_UNREACHABLE' });
    await consul.up();
    await mirror.put(aRegistration());
    expect([...consul.dc().services.values()].map((s) => s.id)).toContain('vm-1');
  });
});
