import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { ApiAuth } from '../../../src/api/auth.js';
import { TokenBuckets } from '../../../src/auth/rate-limit.js';
import { hashSecret, TokenSet } from '../../../src/auth/tokens.js';
import { RegistrationService } from '../../../src/registration/service.js';
import { RegistrationStore } from '../../../src/registration/store.js';
import { startHarness, type Harness } from './harness.js';

const TOKENS = new TokenSet([
  { name: 'shop-vms', sha256: hashSecret('shop-secret'), scopes: ['register:shop'] },
  { name: 'reader', sha256: hashSecret('read-secret'), scopes: ['read'] },
  { name: 'ops', sha256: hashSecret('ops-secret'), scopes: ['admin'] },
]);
const SHOP = { authorization: 'Bearer shop-secret' };
const BODY = { service: 'payments', namespace: 'shop', address: '10.0.0.1', port: 8080 };

describe('registration routes', () => {
  let harness: Harness;
  let store: RegistrationStore;
  let service: RegistrationService;

  async function start(auth: Partial<ApiAuth> = {}): Promise<void> {
    store = RegistrationStore.open(':memory:');
    service = new RegistrationService(store, {
      defaultTtlMs: 30_000,
      defaultGraceMs: 60_000,
      maxRegistrations: 100,
      logger: pino({ level: 'silent' }),
    });
    service.start();
    harness = await startHarness(undefined, {
      auth: {
        tokens: TOKENS,
        buckets: new TokenBuckets({ perSecond: 100, burst: 100 }),
        readAuth: 'open',
        ...auth,
      },
      registrations: {
        service,
        consul: { defaultNamespace: 'default', namespaceMetaKey: 'tributary-namespace' },
      },
    });
  }

  const call = (path: string, init: RequestInit = {}) => fetch(`${harness.url}${path}`, init);
  const put = (path: string, body: unknown, headers: Record<string, string> = SHOP) =>
    call(path, { method: 'PUT', headers, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeEach(async () => start());
  afterEach(async () => {
    await harness.close();
    service.stop();
    store.close();
  });

  it('registers (201), replaces (200), renews with an empty body, lists and deregisters (204)', async () => {
    expect((await put('/v1/registrations/vm-1', BODY)).status).toBe(201);
    const replaced = await put('/v1/registrations/vm-1', { ...BODY, address: '10.0.0.2' });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({
      id: 'vm-1',
      address: '10.0.0.2',
      health: 'healthy',
      owner: 'shop-vms',
    });
    const beat = await call('/v1/registrations/vm-1/heartbeat', {
      method: 'PUT',
      headers: { ...SHOP, 'content-type': 'application/json' },
    });
    expect(beat.status).toBe(200);
    const list = (await (await call('/v1/registrations?namespace=shop')).json()) as {
      registrations: unknown[];
    };
    expect(list.registrations).toHaveLength(1);
    expect((await call('/v1/registrations/vm-1', { method: 'DELETE', headers: SHOP })).status).toBe(204);
    expect((await call('/v1/registrations/vm-1', { method: 'DELETE', headers: SHOP })).status).toBe(404);
  });

  it('answers 401 with WWW-Authenticate without a valid token, before reading the body, writing nothing', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Basic c2hvcA==' },
    ];
    for (const headers of attempts) {
      const response = await put('/v1/registrations/vm-1', BODY, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tributary"');
      expect(await response.json()).toMatchObject({ error: { code: 'TRB_API_UNAUTHORIZED' } });
    }
    expect((await put('/v1/registrations/vm-1', 'x'.repeat(100_000), {})).status).toBe(401);
    expect(service.list()).toEqual([]);
  });

  it('answers 400 naming the field, 413 for a huge body, 403 outside the scope, 409 for another namespace’s id', async () => {
    await put('/v1/registrations/vm-1', BODY, { authorization: 'Bearer ops-secret' });
    const bad = await put('/v1/registrations/vm-2', { ...BODY, address: 'nope' });
    expect([bad.status, await bad.json()]).toEqual([
      400,
      {
        error: {
          code: 'TRB_API_BAD_REQUEST',
          message: 'body.address: must be an IPv4 or IPv6 address',
          field: 'body.address',
        },
      },
    ]);
    const notJson = await put('/v1/registrations/vm-2', undefined);
    expect(notJson.status).toBe(400);
    const raw = await call('/v1/registrations/vm-2', { method: 'PUT', headers: SHOP, body: '{"service":' });
    expect(await raw.json()).toMatchObject({
      error: { field: 'body', message: expect.stringMatching(/^body: is not valid JSON/) },
    });
    const huge = await put('/v1/registrations/vm-2', { ...BODY, note: 'x'.repeat(70_000) });
    expect(huge.status).toBe(413);
    const foreign = await put('/v1/registrations/vm-2', { ...BODY, namespace: 'finance' });
    expect([foreign.status, ((await foreign.json()) as { error: { field: string } }).error.field]).toEqual([
      403,
      'body.namespace',
    ]);
    await put(
      '/v1/registrations/fin-1',
      { ...BODY, namespace: 'finance' },
      { authorization: 'Bearer ops-secret' },
    );
    const taken = await put('/v1/registrations/fin-1', BODY);
    expect([taken.status, ((await taken.json()) as { error: { code: string } }).error.code]).toEqual([
      409,
      'TRB_API_CONFLICT',
    ]);
    expect(service.list().map((r) => [r.id, r.namespace, r.address])).toEqual([
      ['fin-1', 'finance', '10.0.0.1'],
      ['vm-1', 'shop', '10.0.0.1'],
    ]);
  });

  it('answers 429 with Retry-After once the token’s bucket is empty, and writes nothing', async () => {
    await harness.close();
    service.stop();
    store.close();
    await start({ buckets: new TokenBuckets({ perSecond: 0.5, burst: 2 }) });
    expect((await put('/v1/registrations/vm-1', BODY)).status).toBe(201);
    expect((await put('/v1/registrations/vm-2', { ...BODY, address: '10.0.0.2' })).status).toBe(201);
    const limited = await put('/v1/registrations/vm-3', { ...BODY, address: '10.0.0.3' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toMatchObject({ error: { code: 'TRB_API_RATE_LIMITED' } });
    expect(service.list().map((r) => r.id)).toEqual(['vm-1', 'vm-2']);
    // Another token has its own bucket.
    expect(
      (
        await put(
          '/v1/registrations/vm-3',
          { ...BODY, address: '10.0.0.3' },
          { authorization: 'Bearer ops-secret' },
        )
      ).status,
    ).toBe(201);
  });

  it('lets a register token list only its namespaces; reads need the read scope when readAuth is token', async () => {
    await put('/v1/registrations/vm-1', BODY);
    await put(
      '/v1/registrations/fin-1',
      { ...BODY, namespace: 'finance' },
      { authorization: 'Bearer ops-secret' },
    );
    const mine = (await (await call('/v1/registrations', { headers: SHOP })).json()) as {
      registrations: { id: string }[];
    };
    expect(mine.registrations.map((r) => r.id)).toEqual(['vm-1']);
    const open = (await (await call('/v1/registrations')).json()) as { registrations: unknown[] };
    expect(open.registrations).toHaveLength(2);

    await harness.close();
    service.stop();
    store.close();
    await start({ readAuth: 'token' });
    expect((await call('/v1/services')).status).toBe(401);
    expect((await call('/v1/services', { headers: SHOP })).status).toBe(403);
    expect((await call('/v1/services', { headers: { authorization: 'Bearer read-secret' } })).status).toBe(
      200,
    );
    expect((await call('/v1/services', { headers: { 'x-consul-token': 'ops-secret' } })).status).toBe(200);
    expect((await call('/v1/registrations')).status).toBe(401);
    expect((await call('/healthz')).status).toBe(200);
  });
});

describe('Consul agent routes', () => {
  let harness: Harness;
  let store: RegistrationStore;
  let service: RegistrationService;
  const CONSUL = { 'x-consul-token': 'shop-secret' };

  beforeEach(async () => {
    store = RegistrationStore.open(':memory:');
    service = new RegistrationService(store, {
      defaultTtlMs: 30_000,
      defaultGraceMs: 60_000,
      maxRegistrations: 100,
      logger: pino({ level: 'silent' }),
    });
    harness = await startHarness(undefined, {
      auth: { tokens: TOKENS, buckets: new TokenBuckets({ perSecond: 100, burst: 100 }), readAuth: 'open' },
      registrations: {
        service,
        consul: { defaultNamespace: 'shop', namespaceMetaKey: 'tributary-namespace' },
      },
    });
  });
  afterEach(async () => {
    await harness.close();
    service.stop();
    store.close();
  });

  const put = (path: string, body?: unknown, headers: Record<string, string> = CONSUL) =>
    fetch(`${harness.url}${path}`, {
      method: 'PUT',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('registers, passes, warns, fails, updates and deregisters with 200 and an empty body', async () => {
    const registered = await put('/v1/agent/service/register', {
      Name: 'web',
      Port: 9000,
      Check: { TTL: '10s' },
    });
    expect([registered.status, await registered.text()]).toEqual([200, '']);
    expect(service.get('web')).toMatchObject({ status: 'critical', address: '127.0.0.1', namespace: 'shop' });
    for (const [action, status] of [
      ['pass', 'passing'],
      ['warn', 'warning'],
      ['fail', 'critical'],
    ] as const) {
      const response = await put(`/v1/agent/check/${action}/service:web?note=${action}ed`);
      expect([response.status, await response.text()]).toEqual([200, '']);
      expect(service.get('web')).toMatchObject({ status, note: `${action}ed` });
    }
    expect(
      (await put('/v1/agent/check/update/service:web', { Status: 'passing', Output: 'ok' })).status,
    ).toBe(200);
    expect(service.get('web')).toMatchObject({ status: 'passing', note: 'ok' });
    const list = await fetch(`${harness.url}/v1/agent/services`, { headers: CONSUL });
    expect(await list.json()).toMatchObject({ web: { ID: 'web', Service: 'web', Port: 9000 } });
    expect((await put('/v1/agent/service/deregister/web')).status).toBe(200);
    expect(service.list()).toEqual([]);
  });

  it('answers errors in plain text, as Consul does, and writes nothing', async () => {
    const bad = await put('/v1/agent/service/register', { Name: 'web' });
    expect([bad.status, bad.headers.get('content-type'), await bad.text()]).toEqual([
      400,
      'text/plain; charset=utf-8',
      'body.Port: must be a port number (1-65535)',
    ]);
    const anonymous = await put('/v1/agent/service/register', { Name: 'web', Port: 1 }, {});
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([
      401,
      'Bearer realm="tributary"',
    ]);
    const foreign = await put('/v1/agent/service/register', {
      Name: 'web',
      Port: 1,
      Meta: { 'tributary-namespace': 'finance' },
    });
    expect(foreign.status).toBe(403);
    expect((await put('/v1/agent/check/pass/service:nope')).status).toBe(404);
    expect(await (await put('/v1/agent/service/deregister/nope')).text()).toBe('Unknown service ID "nope"');
    expect(service.list()).toEqual([]);
  });

  it('accepts the token as Authorization: Bearer too', async () => {
    expect(
      (
        await put(
          '/v1/agent/service/register',
          { Name: 'web', Port: 1 },
          { authorization: 'Bearer shop-secret' },
        )
      ).status,
    ).toBe(200);
  });
});
