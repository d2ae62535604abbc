import { afterEach, describe, expect, it } from '@jest/globals';
import type { ChangeEventBody, SnapshotEventBody } from '../../../src/api/render.js';
import { aCatalogService, aSourceStatus, FakeCatalog } from '../../fakes/catalog.js';
import { getJson, startHarness, type Harness } from './harness.js';
import { SseClient, type ReceivedEvent } from './sse-client.js';

const PAYMENTS = aCatalogService({ namespace: 'shop', name: 'payments' });
const BILLING = aCatalogService({ namespace: 'finance', name: 'billing' });

function dataOf<T>(event: ReceivedEvent | undefined): T {
  if (event?.data === undefined) throw new Error(`no data in ${JSON.stringify(event)}`);
  return JSON.parse(event.data) as T;
}

async function watchGauge(harness: Harness): Promise<number> {
  return (await harness.metrics.apiWatchStreams.get()).values[0]?.value ?? 0;
}

describe('GET /v1/watch', () => {
  let harness: Harness;
  const clients: SseClient[] = [];

  async function open(query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.open(`${harness.url}/v1/watch${query}`, headers);
    clients.push(client);
    await harness.catalog.untilSubscribers(clients.length);
    return client;
  }

  async function start(maxLog = 100, options = {}): Promise<void> {
    harness = await startHarness(
      new FakeCatalog([PAYMENTS, BILLING], undefined, { revision: 3, maxLog }),
      options,
    );
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await harness.close();
  });

  it('sends a snapshot, then one change event per revision', async () => {
    await start();
    const client = await open();
    expect(client.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(client.response.headers.get('cache-control')).toBe('no-cache');
    expect(client.response.headers.get('x-accel-buffering')).toBe('no');
    expect(client.response.headers.get('x-tributary-index')).toBe('3');

    const snapshot = await client.next();
    expect(snapshot).toMatchObject({ id: '3', event: 'snapshot' });
    const body = dataOf<SnapshotEventBody>(snapshot);
    expect(body.version).toBe('e1-3');
    expect(body.services.map((s) => s.name)).toEqual(['billing', 'payments']);
    expect(body.services[1]?.endpoints[0]).toMatchObject({ address: '10.0.0.1', sourceId: 'file/vms' });

    harness.catalog.apply({ upsert: [{ ...PAYMENTS, labels: { v: '2' } }] });
    harness.catalog.apply({ remove: [BILLING], sources: [aSourceStatus({ state: 'degraded' })] });
    const first = await client.next();
    expect(first).toMatchObject({ id: '4', event: 'change' });
    expect(dataOf<ChangeEventBody>(first)).toEqual({
      revision: 4,
      version: 'e1-4',
      services: [
        {
          namespace: 'shop',
          name: 'payments',
          op: 'upsert',
          service: expect.objectContaining({ labels: { v: '2' }, revision: 4 }),
        },
      ],
      sources: [],
    });
    const second = await client.next();
    expect(second).toMatchObject({ id: '5', event: 'change' });
    expect(dataOf<ChangeEventBody>(second)).toEqual({
      revision: 5,
      version: 'e1-5',
      services: [{ namespace: 'finance', name: 'billing', op: 'delete' }],
      sources: ['file/vms'],
    });
  });

  it('limits snapshot and changes to ?namespace=', async () => {
    await start();
    const client = await open('?namespace=shop');
    expect(dataOf<SnapshotEventBody>(await client.next()).services.map((s) => s.name)).toEqual(['payments']);
    harness.catalog.apply({ upsert: [{ ...BILLING, labels: { v: '2' } }] });
    harness.catalog.apply({ upsert: [{ ...PAYMENTS, labels: { v: '2' } }] });
    const change = await client.next();
    expect(change?.id).toBe('5');
    expect(dataOf<ChangeEventBody>(change).services.map((s) => s.name)).toEqual(['payments']);
  });

  it('replays missed changes after Last-Event-ID, which wins over ?since', async () => {
    await start();
    harness.catalog.apply({ upsert: [{ ...PAYMENTS, labels: { v: '2' } }] });
    harness.catalog.apply({ remove: [BILLING] });
    const client = await open('?since=0', { 'last-event-id': '4' });
    const replayed = await client.next();
    expect(replayed).toMatchObject({ id: '5', event: 'change' });
    expect(dataOf<ChangeEventBody>(replayed).services).toEqual([
      { namespace: 'finance', name: 'billing', op: 'delete' },
    ]);
    harness.catalog.apply({ upsert: [BILLING] });
    expect(await client.next()).toMatchObject({ id: '6', event: 'change' });
  });

  it('resumes from ?since and sends nothing when the client is current', async () => {
    await start();
    const client = await open('?since=3');
    harness.catalog.apply({ upsert: [BILLING] });
    expect(await client.next()).toMatchObject({ id: '4', event: 'change' });
  });

  it.each([
    ['older than the change log', '3'],
    ['newer than the catalog (another database)', '99'],
  ])('sends a snapshot when the resume point is %s', async (_case, lastEventId) => {
    await start(1);
    harness.catalog.apply({ upsert: [{ ...PAYMENTS, labels: { v: '2' } }] });
    harness.catalog.apply({ upsert: [{ ...PAYMENTS, labels: { v: '3' } }] });
    const client = await open('', { 'last-event-id': lastEventId });
    const snapshot = await client.next();
    expect(snapshot).toMatchObject({ id: '5', event: 'snapshot' });
    expect(dataOf<SnapshotEventBody>(snapshot).revision).toBe(5);
  });

  it('rejects a bad resume point as JSON before the stream starts', async () => {
    await start();
    const { response, body } = await getJson(harness, '/v1/watch', { headers: { 'last-event-id': 'x' } });
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'TRB_API_BAD_REQUEST', field: 'header.last-event-id' } });
    const since = await getJson(harness, '/v1/watch?since=-2');
    expect(since.body).toMatchObject({ error: { field: 'query.since' } });
  });

  it('sends keepalive comments', async () => {
    await start(100, { sseHeartbeatMs: 20 });
    const client = await open();
    expect(await client.nextItem()).toMatchObject({ event: 'snapshot' });
    expect(await client.nextItem()).toEqual({ comment: 'keepalive' });
  });

  it('releases the subscription when the client goes away', async () => {
    await start();
    const client = await open();
    await client.next();
    expect(await watchGauge(harness)).toBe(1);
    client.close();
    await harness.catalog.untilSubscribers(0);
    expect(await watchGauge(harness)).toBe(0);
  });

  it('ends open streams when the server closes', async () => {
    await start();
    const client = await open();
    await client.next();
    await harness.close();
    expect(await client.next()).toBeUndefined();
    expect(harness.catalog.subscribers).toBe(0);
  });

  it('ends the stream when the change feed completes', async () => {
    await start();
    const client = await open();
    await client.next();
    harness.catalog.complete();
    expect(await client.next()).toBeUndefined();
  });
});
