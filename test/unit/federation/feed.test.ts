import { describe, expect, it } from '@jest/globals';
import { ExportedRecords } from '../../../src/federation/exported.js';
import { ExportSession, parseResumePoint, type ExportEvent } from '../../../src/federation/feed.js';
import { ExportPolicy } from '../../../src/federation/policy.js';
import { aCatalogEndpoint, aCatalogService, FakeCatalog } from '../../fakes/catalog.js';

const local = aCatalogEndpoint({ address: '10.0.0.1', sourceId: 'file/vms' });
const imported = aCatalogEndpoint({
  address: '10.9.0.1',
  sourceId: 'peer/cloud-c',
  origin: 'cloud-c',
  origins: [{ sourceId: 'peer/cloud-c', instanceId: 'x', cluster: '', network: '' }],
});
const cart = aCatalogService({
  namespace: 'shop',
  name: 'cart',
  endpoints: [local, imported],
  sources: ['file/vms', 'peer/cloud-c'],
});
const onlyImported = aCatalogService({
  namespace: 'shop',
  name: 'remote',
  endpoints: [imported],
  sources: ['peer/cloud-c'],
});
const denied = aCatalogService({ namespace: 'secret', name: 'vault', endpoints: [local] });

function grantFor(namespaces: string[]) {
  const result = new ExportPolicy([{ peer: 'cloud-b', namespaces, services: [] }]).grant(
    { name: 'b', scopes: new Set(['peer:cloud-b']) },
    { namespaces: [], services: [] },
  );
  if (!result.ok) throw new Error(result.message);
  return result.grant;
}

function open(catalog: FakeCatalog, resume?: { epoch: string; revision: number }) {
  const events: ExportEvent[] = [];
  const sink = { closed: false, send: (e: ExportEvent) => (events.push(e), true) };
  const session = new ExportSession(
    catalog,
    new ExportedRecords(new Set(['peer/cloud-c'])),
    grantFor(['shop']),
    sink,
    'sse',
    'test',
  );
  session.start(resume, 60_000);
  return { events, session, sink };
}

const names = (records: readonly { namespace: string; name: string }[]) =>
  records.map((r) => `${r.namespace}/${r.name}`);

describe('ExportSession', () => {
  it('snapshots only allowed services, with only local endpoints, never the imported ones', () => {
    const catalog = new FakeCatalog([cart, onlyImported, denied]);
    const { events, session } = open(catalog);
    const [snapshot, heartbeat] = events;
    if (snapshot?.type !== 'snapshot') throw new Error('no snapshot');
    expect(names(snapshot.services)).toEqual(['shop/cart']);
    expect(snapshot.services[0]!.endpoints.map((e) => e.address)).toEqual(['10.0.0.1']);
    expect(snapshot.services[0]!.endpoints[0]).not.toHaveProperty('origin');
    expect(heartbeat).toEqual({ type: 'heartbeat', epoch: snapshot.epoch, revision: 1 });
    expect(snapshot.epoch.startsWith('e1.')).toBe(true);
    session.stop();
  });

  it('sends a change per revision that touches what it selects, and nothing for unchanged exports', () => {
    const catalog = new FakeCatalog([cart]);
    const { events, session } = open(catalog);
    events.length = 0;
    catalog.apply({ upsert: [{ ...cart, endpoints: [local, { ...imported, weight: 7 }] }] }); // imported only
    catalog.apply({ upsert: [denied] });
    catalog.apply({ upsert: [{ ...cart, endpoints: [{ ...local, weight: 3 }] }] });
    catalog.apply({ remove: [{ namespace: 'shop', name: 'cart' }] });
    catalog.apply({ remove: [{ namespace: 'shop', name: 'never-sent' }] });
    expect(events.map((e) => [e.type, e.revision])).toEqual([
      ['change', 4],
      ['change', 5],
    ]);
    const [upsert, remove] = events;
    if (upsert?.type !== 'change' || remove?.type !== 'change') throw new Error('not changes');
    expect(upsert.upserts[0]!.endpoints[0]!.weight).toBe(3);
    expect(remove.deletes).toEqual([{ namespace: 'shop', name: 'cart' }]);
    session.stop();
  });

  it('resumes from a revision with one change holding every service changed since, then goes live', () => {
    const catalog = new FakeCatalog([cart]);
    const first = open(catalog);
    const epoch = first.events[0]!.epoch;
    first.session.stop();
    const orders = aCatalogService({ namespace: 'shop', name: 'orders', endpoints: [local] });
    catalog.apply({ upsert: [orders] });
    catalog.apply({ remove: [{ namespace: 'shop', name: 'cart' }] });
    const { events, session } = open(catalog, { epoch, revision: 1 });
    expect(events[0]).toMatchObject({
      type: 'change',
      epoch,
      revision: 3,
      deletes: [{ namespace: 'shop', name: 'cart' }],
    });
    if (events[0]?.type !== 'change') throw new Error('no change');
    expect(names(events[0].upserts)).toEqual(['shop/orders']);
    catalog.apply({ upsert: [{ ...orders, endpoints: [{ ...local, weight: 9 }] }] });
    expect(events.at(-1)).toMatchObject({ type: 'change', revision: 4 });
    session.stop();
  });

  it('snapshots again when the resume point is from another epoch or grant, or too old', () => {
    const catalog = new FakeCatalog([cart], undefined, { maxLog: 1 });
    expect(open(catalog, { epoch: 'other.00000000', revision: 1 }).events[0]?.type).toBe('snapshot');
    const epoch = open(catalog).events[0]!.epoch;
    catalog.apply({ upsert: [cart] });
    catalog.apply({ upsert: [cart] });
    expect(open(catalog, { epoch, revision: 1 }).events[0]?.type).toBe('snapshot');
    expect(open(catalog, { epoch, revision: 99 }).events[0]?.type).toBe('snapshot');
  });

  it('stops listening when the watcher is gone', async () => {
    const catalog = new FakeCatalog([cart]);
    const { sink } = open(catalog);
    expect(catalog.subscribers).toBe(1);
    sink.closed = true;
    catalog.apply({ upsert: [cart] });
    await catalog.untilSubscribers(0);
  });
});

describe('parseResumePoint', () => {
  it('splits <epoch>-<revision> at the last dash', () => {
    expect(parseResumePoint('ab12.cd34-17')).toEqual({ epoch: 'ab12.cd34', revision: 17 });
    expect(parseResumePoint('a-b-3')).toEqual({ epoch: 'a-b', revision: 3 });
    expect(parseResumePoint('17')).toBeUndefined();
    expect(parseResumePoint('e-x')).toBeUndefined();
  });
});
