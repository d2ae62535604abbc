/** The fake Consul itself, lightly: blocking release and index, ACL answers, the agent API. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeConsul } from '../../../fakes/consul/index.js';

let fake: FakeConsul;

beforeEach(async () => {
  fake = await FakeConsul.start({ datacenters: ['dc1', 'dc2'] });
  fake.register({ name: 'web', id: 'web-1', node: 'n1', address: '10.0.0.1', port: 8080, tags: ['v1'] });
});

afterEach(async () => {
  await fake.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${fake.url}${path}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text.startsWith('[') || text.startsWith('{') ? JSON.parse(text) : text,
  };
}

async function put(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${fake.url}${path}`, {
    method: 'PUT',
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

describe('fake consul: reads and blocking queries', () => {
  it('answers health entries shaped like the documented sample, with the Consul headers', async () => {
    const res = await get('/v1/health/service/web');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-consul-knownleader')).toBe('true');
    expect(res.headers.get('x-consul-lastcontact')).toBe('0');
    expect(Number(res.headers.get('x-consul-index'))).toBeGreaterThan(0);
    expect(res.body).toEqual([
      {
        Node: expect.objectContaining({ Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1' }),
        Service: expect.objectContaining({ ID: 'web-1', Service: 'web', Tags: ['v1'], Port: 8080 }),
        Checks: [
          expect.objectContaining({ CheckID: 'serfHealth', ServiceID: '', Status: 'passing' }),
          expect.objectContaining({ CheckID: 'service:web-1', ServiceID: 'web-1', ServiceName: 'web' }),
        ],
      },
    ]);
    expect((await get('/v1/catalog/services')).body).toEqual({ web: ['v1'] });
  });

  it('holds a query until a write passes its index, then answers with the new index', async () => {
    const first = await get('/v1/health/service/web');
    const index = Number(first.headers.get('x-consul-index'));
    const pending = get(`/v1/health/service/web?index=${index}&wait=30s`);
    await fake.waitFor('held', (q: { service?: string }) => q.service === 'web');
    fake.setCheck('n1', 'service:web-1', 'critical');
    const released = await pending;
    expect(Number(released.headers.get('x-consul-index'))).toBeGreaterThan(index);
    expect(released.body[0].Checks[1].Status).toBe('critical');
  });

  it('answers with the same index when the wait runs out, and releases held queries on an index reset', async () => {
    const index = Number((await get('/v1/catalog/services')).headers.get('x-consul-index'));
    const timedOut = await get(`/v1/catalog/services?index=${index}&wait=20ms`);
    expect(Number(timedOut.headers.get('x-consul-index'))).toBe(index);
    const pending = get(`/v1/catalog/services?index=${index}&wait=30s`);
    await fake.waitFor('held', (q: { path: string }) => q.path === '/v1/catalog/services');
    fake.dc().resetIndex(1);
    expect((await pending).headers.get('x-consul-index')).toBe('1');
  });

  it('filters by passing and tag, and answers 500 for an unknown datacenter', async () => {
    fake.register({
      name: 'web',
      id: 'web-2',
      node: 'n2',
      address: '10.0.0.2',
      port: 8080,
      status: 'warning',
    });
    expect((await get('/v1/health/service/web?passing=1')).body).toHaveLength(1);
    expect((await get('/v1/health/service/web?tag=v1')).body).toHaveLength(1);
    expect((await get('/v1/health/service/web?dc=dc2')).body).toEqual([]);
    expect((await get('/v1/catalog/datacenters')).body).toEqual(['dc1', 'dc2']);
    expect(await get('/v1/health/service/web?dc=dc9')).toMatchObject({
      status: 500,
      text: 'No path to datacenter',
    });
  });

  it('answers 403 like Consul: ACL not found, Permission denied naming the permission, filtered lists', async () => {
    fake.acl.enable();
    fake.acl.setToken('ops-only', { serviceRead: ['ops'], nodeRead: [''] });
    expect(await get('/v1/catalog/services', { 'X-Consul-Token': 'nope' })).toMatchObject({
      status: 403,
      text: 'ACL not found',
    });
    const denied = await get('/v1/health/service/web', { Authorization: 'Bearer ops-only' });
    expect(denied.status).toBe(403);
    expect(denied.text).toMatch(
      /^Permission denied: token with AccessorID '.+' lacks permission 'service:read' on "web"$/,
    );
    const list = await get('/v1/catalog/services', { 'X-Consul-Token': 'ops-only' });
    expect(list.body).toEqual({});
    expect(list.headers.get('x-consul-results-filtered-by-acls')).toBe('true');
  });
});

describe('fake consul: agent API', () => {
  it('registers a service with a TTL check that starts critical, follows pass/warn/fail and deregisters', async () => {
    const body = {
      ID: 'pay-1',
      Name: 'payments',
      Address: '10.0.2.1',
      Port: 9000,
      Meta: { protocol: 'http' },
      Check: { TTL: '15s', DeregisterCriticalServiceAfter: '1m' },
    };
    expect((await put('/v1/agent/service/register', body)).status).toBe(200);
    const services = await get('/v1/agent/services');
    expect(services.body['pay-1']).toMatchObject({
      ID: 'pay-1',
      Service: 'payments',
      Port: 9000,
      Datacenter: 'dc1',
    });
    const checks = await get('/v1/agent/checks');
    expect(checks.body['service:pay-1']).toMatchObject({
      Status: 'critical',
      ServiceID: 'pay-1',
      Type: 'ttl',
    });
    expect((await put('/v1/agent/check/pass/service:pay-1?note=ok')).status).toBe(200);
    const [entry] = (await get('/v1/health/service/payments')).body;
    expect(entry.Node.Node).toBe('fake-agent');
    expect(entry.Checks[1]).toMatchObject({ CheckID: 'service:pay-1', Status: 'passing', Output: 'ok' });
    expect((await put('/v1/agent/check/warn/nope')).status).toBe(404);
    expect((await put('/v1/agent/service/deregister/pay-1')).status).toBe(200);
    expect((await get('/v1/health/service/payments')).body).toEqual([]);
    expect((await put('/v1/agent/service/deregister/pay-1')).text).toMatch(/^Unknown service ID "pay-1"/);
  });

  it('turns a TTL check critical when it is not renewed, then reaps the service', async () => {
    await put('/v1/agent/service/register', {
      ID: 'tmp-1',
      Name: 'tmp',
      Port: 1,
      Check: { TTL: '30ms', Status: 'passing', DeregisterCriticalServiceAfter: '30ms' },
    });
    const held = Number((await get('/v1/health/service/tmp')).headers.get('x-consul-index'));
    const expired = await get(`/v1/health/service/tmp?index=${held}&wait=5s`);
    expect(expired.body[0].Checks[1]).toMatchObject({ Status: 'critical', Output: 'TTL expired' });
    const index = Number(expired.headers.get('x-consul-index'));
    expect((await get(`/v1/health/service/tmp?index=${index}&wait=5s`)).body).toEqual([]);
  });

  it('refuses a write without service:write, naming the permission', async () => {
    fake.acl.enable({ serviceRead: [''] });
    const res = await put('/v1/agent/service/register', { Name: 'web', Port: 1 });
    expect(res.status).toBe(403);
    expect(res.text).toContain('lacks permission \'service:write\' on "web"');
  });
});
