import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { aCatalogService, FakeCatalog } from '../../fakes/catalog.js';
import { getJson, startHarness, type Harness } from './harness.js';

const PAYMENTS = aCatalogService({ namespace: 'shop', name: 'payments' });

async function blockingGauge(harness: Harness): Promise<number> {
  const metric = await harness.metrics.apiBlockingQueries.get();
  return metric.values[0]?.value ?? 0;
}

describe('blocking queries', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(new FakeCatalog([PAYMENTS], undefined, { revision: 5 }));
  });
  afterEach(async () => {
    await harness.close();
  });

  it('answers at once when the index is older than the revision', async () => {
    const { response } = await getJson(harness, '/v1/services?index=3&wait=5m');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tributary-index')).toBe('5');
  });

  it('answers at once when the index is newer than the revision, so the client resets', async () => {
    const { response } = await getJson(harness, '/v1/sources?index=99&wait=5m');
    expect(response.headers.get('x-tributary-index')).toBe('5');
  });

  it('holds until the next change and returns the new index', async () => {
    const pending = getJson(harness, '/v1/services?index=5&wait=5m');
    await harness.catalog.untilSubscribers(1);
    expect(await blockingGauge(harness)).toBe(1);
    harness.catalog.apply({ upsert: [aCatalogService({ namespace: 'shop', name: 'cart' })] });
    const { response, body } = await pending;
    expect(response.headers.get('x-tributary-index')).toBe('6');
    expect(body).toMatchObject({ revision: 6, services: [{ name: 'cart' }, { name: 'payments' }] });
    await harness.catalog.untilSubscribers(0);
    expect(await blockingGauge(harness)).toBe(0);
  });

  it('returns after the wait with the same index when nothing changed', async () => {
    const { response } = await getJson(harness, '/v1/services?index=5&wait=200ms');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tributary-index')).toBe('5');
    expect(harness.catalog.subscribers).toBe(0);
  });

  it('wakes a service query only for changes to that service', async () => {
    const pending = getJson(harness, '/v1/services/shop/payments?index=5&wait=5m');
    await harness.catalog.untilSubscribers(1);
    harness.catalog.apply({ upsert: [aCatalogService({ namespace: 'shop', name: 'cart' })] });
    expect(harness.catalog.subscribers).toBe(1);
    harness.catalog.apply({ upsert: [{ ...PAYMENTS, labels: { v: '2' } }] });
    const { response, body } = await pending;
    expect(response.headers.get('x-tributary-index')).toBe('7');
    expect(body).toMatchObject({ name: 'payments', labels: { v: '2' }, revision: 7 });
  });

  it('holds on a missing service and answers 404 with the index when the wait ends', async () => {
    const { response, body } = await getJson(harness, '/v1/services/shop/nope?index=5&wait=0.2');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-tributary-index')).toBe('5');
    expect(body).toMatchObject({ error: { code: 'TRB_API_NOT_FOUND' } });
  });

  it('rejects a bad wait with 400 naming query.wait', async () => {
    const { response, body } = await getJson(harness, '/v1/services?index=5&wait=forever');
    expect(response.status).toBe(400);
    expect(body).toEqual({
      error: {
        code: 'TRB_API_BAD_REQUEST',
        message: 'query.wait: must be a duration like 10s, 5m or 1500ms, or a number of seconds',
        field: 'query.wait',
      },
    });
  });

  it('rejects a bad index with 400 naming query.index', async () => {
    const { body } = await getJson(harness, '/v1/services/shop/payments?index=abc');
    expect(body).toEqual({
      error: {
        code: 'TRB_API_BAD_REQUEST',
        message: 'query.index: must be a non-negative integer',
        field: 'query.index',
      },
    });
  });

  it('releases the subscription and timer when the client goes away', async () => {
    const abort = new AbortController();
    const pending = fetch(`${harness.url}/v1/sources?index=5&wait=10m`, { signal: abort.signal });
    await harness.catalog.untilSubscribers(1);
    abort.abort();
    await expect(pending).rejects.toThrow();
    await harness.catalog.untilSubscribers(0);
    expect(await blockingGauge(harness)).toBe(0);
  });

  it('answers held queries when the server closes', async () => {
    const pending = getJson(harness, '/v1/services?index=5&wait=10m');
    await harness.catalog.untilSubscribers(1);
    const closed = harness.close();
    const { response } = await pending;
    expect(response.headers.get('x-tributary-index')).toBe('5');
    await closed;
    expect(harness.catalog.subscribers).toBe(0);
  });
});
