import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ServiceListBody } from '../../../src/api/render.js';
import { aCatalogEndpoint, aCatalogService, aSourceStatus, FakeCatalog } from '../../fakes/catalog.js';
import { getJson, startHarness, type Harness } from './harness.js';

const k8s = aSourceStatus({ id: 'kubernetes/east', kind: 'kubernetes', priority: 10 });
const vms = aSourceStatus({ id: 'file/vms', kind: 'file', state: 'down', stale: true });

function seedCatalog(): FakeCatalog {
  return new FakeCatalog(
    [
      aCatalogService({
        namespace: 'shop',
        name: 'payments',
        labels: { team: 'pay', tier: 'backend' },
        sources: ['kubernetes/east', 'file/vms'],
        endpoints: [
          aCatalogEndpoint({ address: '10.0.0.1', sourceId: 'kubernetes/east' }),
          aCatalogEndpoint({ address: '10.0.0.2', health: 'unhealthy', sourceId: 'file/vms', stale: true }),
        ],
      }),
      aCatalogService({
        namespace: 'shop',
        name: 'cart',
        labels: { team: 'web' },
        sources: ['kubernetes/east'],
      }),
      aCatalogService({ namespace: 'a', name: 'zeta', labels: {}, sources: ['file/vms'] }),
      aCatalogService({
        namespace: 'a-b',
        name: 'alpha',
        labels: { tier: 'frontend' },
        sources: ['file/vms'],
      }),
    ],
    [k8s, vms],
    { epoch: 'e1', revision: 7 },
  );
}

function names(body: unknown): string[] {
  return (body as ServiceListBody).services.map((s) => `${s.namespace}/${s.name}`);
}

describe('catalog routes', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(seedCatalog());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('lists services sorted by namespace then name, with counts and index headers', async () => {
    const { response, body } = await getJson(harness, '/v1/services');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-tributary-index')).toBe('7');
    expect(response.headers.get('x-tributary-epoch')).toBe('e1');
    expect(names(body)).toEqual(['a/zeta', 'a-b/alpha', 'shop/cart', 'shop/payments']);
    const list = body as ServiceListBody;
    expect(list.revision).toBe(7);
    expect(list.version).toBe('e1-7');
    expect(list.services[3]).toEqual({
      namespace: 'shop',
      name: 'payments',
      hostname: 'payments.shop.svc.cluster.local',
      ports: [{ number: 8080, name: 'http', protocol: 'http' }],
      labels: { team: 'pay', tier: 'backend' },
      sources: ['kubernetes/east', 'file/vms'],
      endpoints: 2,
      healthy: 1,
      stale: true,
      revision: 1,
    });
    expect(list.services[2]?.stale).toBe(false);
  });

  it.each([
    ['namespace=shop', ['shop/cart', 'shop/payments']],
    ['source=kubernetes%2Feast', ['shop/cart', 'shop/payments']],
    ['selector=team', ['shop/cart', 'shop/payments']],
    ['selector=tier%20in%20(backend%2Cfrontend)', ['a-b/alpha', 'shop/payments']],
    ['selector=!team', ['a/zeta', 'a-b/alpha']],
    ['selector=team!%3Dpay', ['a/zeta', 'a-b/alpha', 'shop/cart']],
    ['namespace=shop&selector=team%3Dpay', ['shop/payments']],
    ['namespace=', ['a/zeta', 'a-b/alpha', 'shop/cart', 'shop/payments']],
    ['source=consul%2Fdc1', []],
  ])('filters with ?%s', async (query, expected) => {
    const { response, body } = await getJson(harness, `/v1/services?${query}`);
    expect(response.status).toBe(200);
    expect(names(body)).toEqual(expected);
  });

  it('rejects a bad selector with 400 naming query.selector', async () => {
    const { response, body } = await getJson(harness, '/v1/services?selector=tier%20in%20(a');
    expect(response.status).toBe(400);
    expect(body).toEqual({
      error: {
        code: 'TRB_API_BAD_REQUEST',
        message: 'query.selector: expected "," or ")" in the value list, found the end of the selector',
        field: 'query.selector',
      },
    });
  });

  it('rejects a repeated parameter naming it', async () => {
    const { response, body } = await getJson(harness, '/v1/services?namespace=a&namespace=b');
    expect(response.status).toBe(400);
    expect(body).toMatchObject({
      error: { field: 'query.namespace', message: 'query.namespace: must be given once' },
    });
  });

  it('returns the full service with every endpoint field and its origins', async () => {
    const { response, body } = await getJson(harness, '/v1/services/shop/payments');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tributary-index')).toBe('7');
    expect(body).toEqual({
      namespace: 'shop',
      name: 'payments',
      hostname: 'payments.shop.svc.cluster.local',
      ports: [{ number: 8080, name: 'http', protocol: 'http' }],
      labels: { team: 'pay', tier: 'backend' },
      sources: ['kubernetes/east', 'file/vms'],
      revision: 1,
      endpoints: [
        expect.objectContaining({
          address: '10.0.0.1',
          health: 'healthy',
          stale: false,
          sourceId: 'kubernetes/east',
        }),
        {
          address: '10.0.0.2',
          port: 8080,
          servicePort: 8080,
          health: 'unhealthy',
          weight: 1,
          locality: { region: 'eu-west-1', zone: 'eu-west-1a', subzone: '' },
          labels: {},
          instanceId: '10.0.0.2',
          cluster: '',
          network: '',
          stale: true,
          sourceId: 'file/vms',
          origins: [{ sourceId: 'file/vms', instanceId: '10.0.0.2', cluster: '', network: '' }],
        },
      ],
    });
  });

  it('answers a missing service with a 404 problem naming it, index headers included', async () => {
    const { response, body } = await getJson(harness, '/v1/services/shop/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-tributary-index')).toBe('7');
    expect(body).toEqual({ error: { code: 'TRB_API_NOT_FOUND', message: 'service "shop/nope" not found' } });
  });

  it('lists sources in configuration order', async () => {
    const { response, body } = await getJson(harness, '/v1/sources');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tributary-index')).toBe('7');
    expect(body).toEqual({ revision: 7, version: 'e1-7', sources: [k8s, vms] });
  });

  it('answers an unknown route with a 404 problem', async () => {
    const { response, body } = await getJson(harness, '/v2/nothing?x=1');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(body).toEqual({ error: { code: 'TRB_API_NOT_FOUND', message: 'no route for GET /v2/nothing' } });
  });

  it('serves identical bytes at one revision and new bytes after a change', async () => {
    const first = await getJson(harness, '/v1/services?namespace=shop');
    const second = await getJson(harness, '/v1/services?namespace=shop');
    expect(second.text).toBe(first.text);

    harness.catalog.apply({ upsert: [aCatalogService({ namespace: 'shop', name: 'orders' })] });
    const third = await getJson(harness, '/v1/services?namespace=shop');
    expect(third.response.headers.get('x-tributary-index')).toBe('8');
    expect(third.text).not.toBe(first.text);
    expect(names(third.body)).toEqual(['shop/cart', 'shop/orders', 'shop/payments']);
  });
});
