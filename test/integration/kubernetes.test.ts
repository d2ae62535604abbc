/**
 * The daemon beside two Kubernetes clusters, as a user runs it: two kubernetes sources, each on a
 * fake API server through a kubeconfig file (with a context), both holding `shop/payments`, merge
 * into one service with both clusters' endpoints; an xDS client subscribed to its EDS resource sees
 * every change (scale up and down, readiness, terminating pods, a 410 relist, a deleted Service), and
 * an RBAC denial shows on /v1/sources with the permission to grant.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  endpointSlice,
  FakeKubernetes,
  kubeconfigFor,
  service,
  type SliceEndpointInput,
} from '../fakes/kubernetes/index.js';

import { getJson, waitForCatalog, Workspace, type DaemonProcess } from './support/daemon.js';
import { clusterOf, EdsWatch, startDaemon } from './support/registration.js';

interface ServiceJson {
  sources: string[];
  endpoints: { address: string; port: number; health: string; sourceId: string; cluster?: string }[];
}
interface SourcesJson {
  sources: { id: string; state: string; lastError: string | null; stale: boolean }[];
}

const PAYMENTS = service({
  namespace: 'shop',
  name: 'payments',
  ports: [{ name: 'http', port: 8080, targetPort: 9000 }],
});

/** The payments slice of one cluster with these endpoints. */
const slice = (name: string, endpoints: SliceEndpointInput[]) =>
  endpointSlice({
    namespace: 'shop',
    name,
    service: 'payments',
    ports: [{ name: 'http', port: 9000 }],
    endpoints,
  });

describe('kubernetes sources in the daemon', () => {
  let ws: Workspace;
  let east: FakeKubernetes;
  let west: FakeKubernetes;
  let daemon: DaemonProcess | undefined;
  let eds: EdsWatch | undefined;

  beforeEach(async () => {
    ws = new Workspace();
    east = await FakeKubernetes.start();
    west = await FakeKubernetes.start();
    east.token = 'east-token';
    west.token = 'west-token';
    for (const fake of [east, west]) fake.put('services', PAYMENTS);
    east.put('endpointslices', slice('payments-e1', [{ address: '10.1.0.1' }, { address: '10.1.0.2' }]));
    west.put('endpointslices', slice('payments-w1', [{ address: '10.2.0.1' }]));
  });

  afterEach(async () => {
    eds?.close();
    eds = undefined;
    await daemon?.stop();
    daemon = undefined;
    await east.close();
    await west.close();
    ws.cleanup();
  });

  async function start(): Promise<{ url: string; xdsPort: number }> {
    // a kubeconfig file per cluster; the east source names its context, west uses current-context
    ws.write('kube/east.yaml', kubeconfigFor(east.url, 'east-token', 'east'));
    ws.write('kube/west.yaml', kubeconfigFor(west.url, 'west-token', 'west'));
    const timings = `    watchTimeout: 30s
    minInterval: 10ms
    retryBase: 50ms
    retryMax: 300ms
`;
    const config = ws.config(`  - kind: kubernetes
    name: east
    kubeconfig: kube/east.yaml
    context: east
    namespaces: [shop]
${timings}  - kind: kubernetes
    name: west
    kubeconfig: kube/west.yaml
    cluster: us-west
${timings}`);
    const started = await startDaemon(config, ws.dir);
    daemon = started.daemon;
    return started;
  }

  it('merges both clusters’ endpoints into one service and pushes every change to xDS', async () => {
    const { url, xdsPort } = await start();
    const merged = await waitForCatalog<ServiceJson>(
      `${url}/v1/services/shop/payments`,
      (s) => s.endpoints?.length === 3,
    );
    expect(merged.body.sources).toEqual(['kubernetes/east', 'kubernetes/west']);
    expect(merged.body.endpoints.map((e) => `${e.address}:${e.port} ${e.sourceId}`)).toEqual([
      '10.1.0.1:9000 kubernetes/east',
      '10.1.0.2:9000 kubernetes/east',
      '10.2.0.1:9000 kubernetes/west',
    ]);

    eds = new EdsWatch(xdsPort, clusterOf('shop', 'payments', 8080));
    await eds.until(['10.1.0.1:9000 HEALTHY', '10.1.0.2:9000 HEALTHY', '10.2.0.1:9000 HEALTHY']);

    // scale up in east
    east.put(
      'endpointslices',
      slice('payments-e1', [{ address: '10.1.0.1' }, { address: '10.1.0.2' }, { address: '10.1.0.3' }]),
    );
    await eds.until([
      '10.1.0.1:9000 HEALTHY',
      '10.1.0.2:9000 HEALTHY',
      '10.1.0.3:9000 HEALTHY',
      '10.2.0.1:9000 HEALTHY',
    ]);

    // readiness flip and a terminating pod
    east.put(
      'endpointslices',
      slice('payments-e1', [
        { address: '10.1.0.1', ready: false },
        { address: '10.1.0.2', ready: false, serving: true, terminating: true },
        { address: '10.1.0.3' },
      ]),
    );
    await eds.until([
      '10.1.0.1:9000 UNHEALTHY',
      '10.1.0.2:9000 DRAINING',
      '10.1.0.3:9000 HEALTHY',
      '10.2.0.1:9000 HEALTHY',
    ]);

    // scale down
    east.put('endpointslices', slice('payments-e1', [{ address: '10.1.0.3' }]));
    await eds.until(['10.1.0.3:9000 HEALTHY', '10.2.0.1:9000 HEALTHY']);

    // 410 Gone in west while a pod is added there: relisted, nothing lost
    west.pauseLists();
    const relisting = west.waitFor('list-held', () => true);
    west.expire();
    await relisting;
    west.put('endpointslices', slice('payments-w1', [{ address: '10.2.0.1' }, { address: '10.2.0.2' }]));
    west.resume();
    await eds.until(['10.1.0.3:9000 HEALTHY', '10.2.0.1:9000 HEALTHY', '10.2.0.2:9000 HEALTHY']);

    // the Service deleted in west: only east's endpoints are left
    west.remove('services', 'shop', 'payments');
    await eds.until(['10.1.0.3:9000 HEALTHY']);
    const after = await getJson<ServiceJson>(`${url}/v1/services/shop/payments`);
    expect(after.body.sources).toEqual(['kubernetes/east']);
  });

  it('shows an RBAC denial on /v1/sources with the permission to grant, and syncs once granted', async () => {
    west.deny('endpointslices');
    const { url } = await start();
    const denied = await waitForCatalog<SourcesJson>(`${url}/v1/sources`, (b) =>
      b.sources.some((s) => s.id === 'kubernetes/west' && s.lastError !== null),
    );
    expect(denied.body.sources.find((s) => s.id === 'kubernetes/west')?.lastError).toContain(
      'list/watch endpointslices.discovery.k8s.io in all namespaces: HTTP 403 Forbidden',
    );
    west.allow('endpointslices');
    await waitForCatalog<SourcesJson>(`${url}/v1/sources`, (b) =>
      b.sources.some((s) => s.id === 'kubernetes/west' && s.state === 'synced'),
    );
    await waitForCatalog<ServiceJson>(`${url}/v1/services/shop/payments`, (s) => s.endpoints?.length === 3);
  });
});
