import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mergeService } from '../../../../src/catalog/union.js';
import type { SnapshotEvent, SourceEvent, StatusEvent } from '../../../../src/registry.js';
import {
  endpointSlice,
  FakeKubernetes,
  node,
  service,
  type OpenWatch,
  type RecordedRequest,
} from '../../../fakes/kubernetes/index.js';
import type { EventRecorder } from '../file/event-recorder.js';
import { endpointsOf, eventually, KubernetesHarness } from './harness.js';

let harness: KubernetesHarness;
let fake: FakeKubernetes;

const changes = (events: SourceEvent[]) => events.filter((e) => e.type !== 'status');
const isWatch = (kind: OpenWatch['kind']) => (w: OpenWatch) => w.kind === kind;
const lists = (kind: RecordedRequest['kind'], from = 0) =>
  fake.requests.slice(from).filter((r) => r.kind === kind && !r.watch);

/** Three web pods over two slices (nodes n1, n2), one api pod, their Services, and two Nodes. */
function seed(): void {
  fake.put(
    'nodes',
    node('n1', { 'topology.kubernetes.io/region': 'eu-west1', 'topology.kubernetes.io/zone': 'eu-west1-a' }),
  );
  fake.put(
    'nodes',
    node('n2', { 'topology.kubernetes.io/region': 'eu-west1', 'topology.kubernetes.io/zone': 'eu-west1-b' }),
  );
  fake.put(
    'services',
    service({
      namespace: 'shop',
      name: 'web',
      labels: { app: 'web', tier: 'front' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'grpc-api', port: 9090, targetPort: 9090 },
      ],
    }),
  );
  fake.put(
    'endpointslices',
    endpointSlice({
      namespace: 'shop',
      name: 'web-abc',
      service: 'web',
      ports: [
        { name: 'http', port: 8080 },
        { name: 'grpc-api', port: 9090 },
      ],
      endpoints: [
        { address: '10.0.0.1', nodeName: 'n1', zone: 'eu-west1-a' },
        { address: '10.0.0.2', nodeName: 'n2' },
      ],
    }),
  );
  fake.put(
    'endpointslices',
    endpointSlice({
      namespace: 'shop',
      name: 'web-def',
      service: 'web',
      ports: [
        { name: 'http', port: 8080 },
        { name: 'grpc-api', port: 9090 },
      ],
      endpoints: [{ address: '10.0.0.3', nodeName: 'n2', ready: false }],
    }),
  );
  fake.put(
    'services',
    service({ namespace: 'shop', name: 'api', ports: [{ name: 'http', port: 80, targetPort: 8000 }] }),
  );
  fake.put(
    'endpointslices',
    endpointSlice({
      namespace: 'shop',
      name: 'api-x',
      service: 'api',
      ports: [{ name: 'http', port: 8000 }],
      endpoints: [{ address: '10.0.1.1' }],
    }),
  );
}

const WEB = [
  'shop/web 10.0.0.1:8080 healthy',
  'shop/web 10.0.0.1:9090 healthy',
  'shop/web 10.0.0.2:8080 healthy',
  'shop/web 10.0.0.2:9090 healthy',
  'shop/web 10.0.0.3:8080 unhealthy',
  'shop/web 10.0.0.3:9090 unhealthy',
];

/** Puts the web-abc slice again with these endpoints. */
function setWebAbc(endpoints: Parameters<typeof endpointSlice>[0]['endpoints']): void {
  fake.put(
    'endpointslices',
    endpointSlice({
      namespace: 'shop',
      name: 'web-abc',
      service: 'web',
      ports: [
        { name: 'http', port: 8080 },
        { name: 'grpc-api', port: 9090 },
      ],
      endpoints,
    }),
  );
}

/** Waits until the source is synced and its slice watch is open. */
async function synced(recorder: EventRecorder): Promise<SnapshotEvent> {
  const snapshot = await recorder.snapshot();
  await recorder.status('synced');
  await fake.waitForWatch(isWatch('endpointslices'));
  return snapshot;
}

beforeEach(async () => {
  harness = await KubernetesHarness.start();
  fake = harness.fake;
  seed();
});

afterEach(async () => {
  await harness.close();
});

describe('kubernetes source: initial sync and mapping', () => {
  it('lists Services, EndpointSlices (paginated) and Nodes into one snapshot, then synced', async () => {
    const recorder = harness.watch();
    expect((await recorder.next((e): e is StatusEvent => e.type === 'status')).state).toBe('syncing');
    const snapshot = await synced(recorder);
    expect(endpointsOf(snapshot)).toEqual(['shop/api 10.0.1.1:8000 healthy', ...WEB]);
    const web = snapshot.services[1]!;
    expect(web.ports).toEqual([
      { number: 80, name: 'http', protocol: 'http' },
      { number: 9090, name: 'grpc-api', protocol: 'grpc' },
    ]);
    expect(web.labels).toEqual({ app: 'web', tier: 'front' });
    expect(web.endpoints[0]).toMatchObject({
      servicePort: 80,
      instanceId: 'c1/shop/web-abc/10.0.0.1',
      cluster: 'c1',
      network: '',
      locality: { region: 'eu-west1', zone: 'eu-west1-a', subzone: '' },
    });
    // the slice gives no zone for 10.0.0.2: its Node's label does
    expect(web.endpoints[2]!.locality).toEqual({ region: 'eu-west1', zone: 'eu-west1-b', subzone: '' });
    // three slices with pageSize 2: the list went on with `continue`
    expect(lists('endpointslices').map((r) => r.query.get('continue'))).toEqual([
      null,
      expect.stringMatching(/.+/),
    ]);
    const watch = await fake.waitForWatch(isWatch('endpointslices'));
    expect(watch.bookmarks).toBe(true);
    expect(Number(watch.resourceVersion)).toBeGreaterThan(100);
  });

  it('holds a slice whose Service does not exist until the Service arrives', async () => {
    fake.put(
      'endpointslices',
      endpointSlice({
        namespace: 'shop',
        name: 'late-1',
        service: 'late',
        endpoints: [{ address: '10.0.2.1' }],
      }),
    );
    const recorder = harness.watch();
    const snapshot = await synced(recorder);
    expect(snapshot.services.map((s) => s.name)).toEqual(['api', 'web']);
    fake.put('services', service({ namespace: 'shop', name: 'late' }));
    expect(endpointsOf(await recorder.changed())).toContain('shop/late 10.0.2.1:8080 healthy');
  });

  it('reads only the namespaces listed and the Services matching the label selector', async () => {
    fake.put('services', service({ namespace: 'other', name: 'web' }));
    fake.put(
      'endpointslices',
      endpointSlice({
        namespace: 'other',
        name: 'web-1',
        service: 'web',
        endpoints: [{ address: '10.9.0.1' }],
      }),
    );
    const recorder = harness.watch({ namespaces: ['shop'], labelSelector: 'tier=front' });
    const snapshot = await synced(recorder);
    expect(snapshot.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['shop/web']);
    expect(
      fake.requests
        .filter((r) => r.kind === 'services')
        .every((r) => r.path === '/api/v1/namespaces/shop/services'),
    ).toBe(true);
    expect(fake.requests.find((r) => r.kind === 'services')?.query.get('labelSelector')).toBe('tier=front');
  });
});

describe('kubernetes source: changes', () => {
  it('scales up and down as slice endpoints are added and removed', async () => {
    const recorder = harness.watch();
    await synced(recorder);
    const from = recorder.position;
    setWebAbc([
      { address: '10.0.0.1', nodeName: 'n1' },
      { address: '10.0.0.2', nodeName: 'n2' },
      { address: '10.0.0.4' },
    ]);
    expect(endpointsOf(await recorder.changed())).toContain('shop/web 10.0.0.4:8080 healthy');
    setWebAbc([{ address: '10.0.0.4' }]);
    const state = await recorder.changed();
    expect(endpointsOf(state).filter((e) => e.includes(':8080'))).toEqual([
      'shop/web 10.0.0.4:8080 healthy', // c1/shop/web-abc/… sorts before c1/shop/web-def/…
      'shop/web 10.0.0.3:8080 unhealthy',
    ]);
    expect(changes(recorder.since(from)).map((e) => e.type)).toEqual(['upsert', 'upsert']);
  });

  it('flips readiness and drains terminating pods', async () => {
    const recorder = harness.watch();
    await synced(recorder);
    setWebAbc([
      { address: '10.0.0.1', nodeName: 'n1', ready: false },
      { address: '10.0.0.2', nodeName: 'n2', ready: false, serving: true, terminating: true },
    ]);
    const state = await recorder.changed();
    expect(endpointsOf(state).filter((e) => e.includes(':8080'))).toEqual([
      'shop/web 10.0.0.1:8080 unhealthy',
      'shop/web 10.0.0.2:8080 draining',
      'shop/web 10.0.0.3:8080 unhealthy',
    ]);
  });

  it('deletes a deleted Service, while its slices are kept for when it comes back', async () => {
    const recorder = harness.watch();
    await synced(recorder);
    fake.remove('services', 'shop', 'api');
    expect(await recorder.next((e) => e.type === 'delete')).toEqual({
      type: 'delete',
      namespace: 'shop',
      name: 'api',
    });
    fake.put(
      'services',
      service({ namespace: 'shop', name: 'api', ports: [{ name: 'http', port: 80, targetPort: 8000 }] }),
    );
    expect(endpointsOf(await recorder.changed())).toContain('shop/api 10.0.1.1:8000 healthy');
  });

  it('advances its resourceVersion on bookmarks: a watch resumed after compaction needs no relist', async () => {
    const recorder = harness.watch();
    await synced(recorder);
    const first = await fake.waitForWatch(isWatch('endpointslices'));
    fake.put('nodes', node('n3')); // history moves on without a slice change
    fake.compactAt(fake.resourceVersion); // and everything before now is compacted away
    const seen = fake.requests.length;
    const reopened = fake.waitFor<OpenWatch>('watch', (w) => w.kind === 'endpointslices');
    fake.bookmark('endpointslices');
    fake.endWatches('endpointslices'); // as timeoutSeconds ends it: the client resumes from the bookmark
    const watch = await reopened;
    expect(Number(watch.resourceVersion)).toBe(fake.resourceVersion);
    expect(Number(watch.resourceVersion)).toBeGreaterThan(Number(first.resourceVersion));
    expect(lists('endpointslices', seen)).toEqual([]);
    const from = recorder.position;
    fake.remove('endpointslices', 'shop', 'web-def');
    expect(endpointsOf(await recorder.changed())).not.toContain('shop/web 10.0.0.3:8080 unhealthy');
    expect(changes(recorder.since(from))).toHaveLength(1);
  });
});

describe('kubernetes source: 410 Gone, drops, restarts, RBAC', () => {
  /**
   * Folds every event after `from` and checks that no state along the way lacked an endpoint in
   * `kept` (which exist throughout): a relist must never show a partial list.
   */
  function neverMissing(recorder: EventRecorder, from: number, kept: readonly string[]): void {
    const all = recorder.events;
    expect(all.length).toBeGreaterThan(from);
    // rebuild the state at `from`, then walk forward event by event
    const walk = new Map<string, SnapshotEvent['services'][number]>();
    for (const e of all.slice(0, from)) fold(walk, e);
    for (const e of all.slice(from)) {
      fold(walk, e);
      const now = endpointsOf({ type: 'snapshot', services: [...walk.values()] });
      for (const endpoint of kept) expect(now).toContain(endpoint);
    }
  }

  for (const mode of ['event', 'http'] as const) {
    it(`relists after a 410 (${mode === 'event' ? 'ERROR event' : 'HTTP 410'}) and swaps state only once the list is complete`, async () => {
      fake.expiryMode = mode;
      const recorder = harness.watch();
      await synced(recorder);
      const from = recorder.position;
      const seen = fake.requests.length;
      fake.pauseLists();
      const held = fake.waitFor<RecordedRequest>('list-held', (r) => r.kind === 'endpointslices');
      fake.expire();
      await held;
      // while the relist is under way: a pod added, one removed, a Service gone
      setWebAbc([
        { address: '10.0.0.1', nodeName: 'n1', zone: 'eu-west1-a' },
        { address: '10.0.0.5', nodeName: 'n1' },
      ]);
      fake.remove('services', 'shop', 'api');
      fake.resume();
      await until(
        recorder,
        (now) => now.includes('shop/web 10.0.0.5:8080 healthy') && !now.some((e) => e.startsWith('shop/api')),
      );
      const state = endpointsOf(recorder.state());
      expect(state).toContain('shop/web 10.0.0.5:8080 healthy');
      expect(state).not.toContain('shop/web 10.0.0.2:8080 healthy');
      expect(state.some((e) => e.startsWith('shop/api'))).toBe(false);
      // the endpoints that existed throughout never vanished from what the source said
      neverMissing(recorder, from, ['shop/web 10.0.0.1:8080 healthy', 'shop/web 10.0.0.3:8080 unhealthy']);
      expect(changes(recorder.since(from)).filter((e) => e.type === 'snapshot')).toEqual([]);
      // the relist paginated and then resumed watching from the new list
      expect(lists('endpointslices', seen).length).toBeGreaterThanOrEqual(2);
      if (mode === 'http') {
        expect(fake.requests.slice(seen).some((r) => r.kind === 'endpointslices' && r.watch)).toBe(true);
      }
    });
  }

  it('starts the list over when a continue token expires mid-list', async () => {
    fake.pauseLists();
    const recorder = harness.watch();
    await fake.waitFor<RecordedRequest>('list-held', (r) => r.kind === 'endpointslices');
    fake.expireContinues();
    fake.resume();
    const seen = fake.requests.length;
    fake.expireContinues();
    const snapshot = await recorder.snapshot();
    expect(endpointsOf(snapshot)).toEqual(['shop/api 10.0.1.1:8000 healthy', ...WEB]);
    expect(seen).toBeGreaterThan(0);
  });

  it('resumes a dropped watch from its last resourceVersion, with nothing lost', async () => {
    const recorder = harness.watch();
    await synced(recorder);
    setWebAbc([
      { address: '10.0.0.1', nodeName: 'n1', zone: 'eu-west1-a' },
      { address: '10.0.0.2', nodeName: 'n2' },
      { address: '10.0.0.6' },
    ]);
    await recorder.changed();
    const rv = fake.get('endpointslices', 'shop', 'web-abc')!.metadata.resourceVersion;
    const seen = fake.requests.length;
    const reopened = fake.waitFor<OpenWatch>('watch', (w) => w.kind === 'endpointslices');
    fake.dropWatches();
    expect((await reopened).resourceVersion).toBe(rv);
    expect(lists('endpointslices', seen)).toEqual([]);
    fake.remove('endpointslices', 'shop', 'web-def');
    expect(endpointsOf(await recorder.changed())).not.toContain('shop/web 10.0.0.3:8080 unhealthy');
  });

  it('keeps every endpoint (stale) while the API server is down, then resumes after its restart', async () => {
    const recorder = harness.watch();
    const before = endpointsOf(await synced(recorder));
    const from = recorder.position;
    await fake.down();
    const degraded = await recorder.status('degraded');
    expect(degraded).toMatchObject({ stale: true, error: expect.stringMatching(/unreachable/) });
    setWebAbc([{ address: '10.0.0.1', nodeName: 'n1', zone: 'eu-west1-a' }]); // changed while unreachable
    await fake.up();
    await recorder.changed();
    await eventually(() => lastStatus(recorder)?.state === 'synced');
    expect(changes(recorder.since(from)).map((e) => e.type)).toEqual(['upsert']);
    const after = endpointsOf(recorder.state());
    expect(after).toEqual(before.filter((e) => !e.startsWith('shop/web 10.0.0.2:')));
  });

  it('shows an RBAC denial as a status naming the permission to grant, and recovers once granted', async () => {
    fake.deny('endpointslices');
    const recorder = harness.watch();
    const status = await recorder.status('degraded');
    expect(status.error).toContain(
      'list/watch endpointslices.discovery.k8s.io in all namespaces: HTTP 403 Forbidden',
    );
    expect(status.error).toContain(
      'apiGroups ["discovery.k8s.io"], resources ["endpointslices"], verbs ["list", "watch"]',
    );
    expect(status.stale).toBe(true);
    fake.allow('endpointslices');
    expect(endpointsOf(await recorder.snapshot())).toEqual(['shop/api 10.0.1.1:8000 healthy', ...WEB]);
    await recorder.status('synced');
  });

  it('shows rejected credentials (401) as a status saying to check them', async () => {
    fake.token = 'another-token';
    const recorder = harness.watch();
    const status = await recorder.status('degraded');
    expect(status.error).toMatch(/HTTP 401 Unauthorized: the API server rejected the credentials/);
  });

  it('aborts a list in flight when unsubscribed, and gives up a list the API server never answers', async () => {
    fake.pauseLists();
    const first = harness.watch();
    await fake.waitFor<RecordedRequest>('list-held', () => true);
    await eventually(() => fake.openConnections > 0);
    first.close();
    await eventually(() => fake.openConnections === 0);
    const slow = harness.watch({ listTimeout: '1s' });
    expect((await slow.status('degraded')).error).toContain('the list got no reply within 1000 ms');
    fake.resume();
    expect(endpointsOf(await slow.snapshot())).toEqual(['shop/api 10.0.1.1:8000 healthy', ...WEB]);
  });

  it('closes its watch connections and timers when unsubscribed', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const before = timers();
    const recorder = harness.watch();
    await synced(recorder);
    await eventually(() => fake.watches.length === 3);
    const closed = fake.waitFor<OpenWatch>('watch-closed', isWatch('endpointslices'));
    recorder.close();
    await closed;
    await eventually(() => fake.watches.length === 0 && fake.openConnections === 0);
    await eventually(() => timers() <= before);
  });
});

describe('kubernetes source: several clusters', () => {
  it('two clusters with the same (namespace, name) merge into one service with both clusters’ endpoints', async () => {
    const other = await FakeKubernetes.start();
    other.token = fake.token;
    try {
      other.put(
        'services',
        service({ namespace: 'shop', name: 'api', ports: [{ name: 'http', port: 80, targetPort: 8000 }] }),
      );
      other.put(
        'endpointslices',
        endpointSlice({
          namespace: 'shop',
          name: 'api-y',
          service: 'api',
          ports: [{ name: 'http', port: 8000 }],
          endpoints: [{ address: '10.0.1.1' }, { address: '10.0.1.2' }],
        }),
      );
      const east = harness.watch({ network: 'east-net' }, 'east');
      const west = harness.watch({ network: 'west-net' }, 'west', other);
      const a = (await east.snapshot()).services.find((s) => s.name === 'api')!;
      const b = (await west.snapshot()).services.find((s) => s.name === 'api')!;
      const merged = mergeService(
        [
          { sourceId: 'kubernetes/east', priority: 0, stale: false, record: a },
          { sourceId: 'kubernetes/west', priority: 0, stale: false, record: b },
        ],
        'svc.local',
        1,
      );
      expect(merged.sources).toEqual(['kubernetes/east', 'kubernetes/west']);
      // the same pod IP in both clusters stays two endpoints: they are on different networks
      expect(merged.endpoints.map((e) => `${e.address} ${e.network} ${e.sourceId}`).sort()).toEqual([
        '10.0.1.1 east-net kubernetes/east',
        '10.0.1.1 west-net kubernetes/west',
        '10.0.1.2 west-net kubernetes/west',
      ]);
      expect(b.endpoints.map((e) => e.instanceId)).toEqual([
        'west/shop/api-y/10.0.1.1',
        'west/shop/api-y/10.0.1.2',
      ]);
      east.close();
      west.close();
      await eventually(() => other.watches.length === 0);
    } finally {
      await other.close();
    }
  });
});

/** The last status the source sent. */
function lastStatus(recorder: EventRecorder): StatusEvent | undefined {
  return recorder.events.filter((e): e is StatusEvent => e.type === 'status').at(-1);
}

/** Awaits changes until the folded state satisfies `done` (at most 10 changes). */
async function until(recorder: EventRecorder, done: (endpoints: string[]) => boolean): Promise<void> {
  for (let i = 0; i < 10 && !done(endpointsOf(recorder.state())); i++) await recorder.changed();
  expect(done(endpointsOf(recorder.state()))).toBe(true);
}

function fold(state: Map<string, SnapshotEvent['services'][number]>, e: SourceEvent): void {
  if (e.type === 'snapshot') {
    state.clear();
    for (const s of e.services) state.set(`${s.namespace}/${s.name}`, s);
  } else if (e.type === 'upsert') state.set(`${e.service.namespace}/${e.service.name}`, e.service);
  else if (e.type === 'delete') state.delete(`${e.namespace}/${e.name}`);
}
