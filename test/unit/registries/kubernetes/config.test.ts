import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { registryFactories } from '../../../../registries/index.js';
import { loadKubeConfig } from '../../../../registries/kubernetes/client.js';
import { kubernetesSourceSchema } from '../../../../registries/kubernetes/config.js';
import { checkKubernetesSource, createKubernetesRegistry } from '../../../../registries/kubernetes/watch.js';
import { endpointSlice, FakeKubernetes, kubeconfigFor, service } from '../../../fakes/kubernetes/index.js';
import { EventRecorder } from '../file/event-recorder.js';
import { endpointsOf, eventually, testConfig } from './harness.js';

const problems = (settings: Record<string, unknown>) =>
  (kubernetesSourceSchema.safeParse(settings).error?.issues ?? []).map(
    (i) => `${i.path.join('.')}: ${i.message}`,
  );

describe('kubernetes source settings', () => {
  it('is in the factory table as kind kubernetes', () => {
    expect(registryFactories.map((f) => f.kind)).toContain('kubernetes');
  });

  it('defaults to every namespace, ExternalName skipped, Nodes watched, 5 min watches', () => {
    expect(kubernetesSourceSchema.parse({})).toMatchObject({
      inCluster: false,
      network: '',
      namespaces: [],
      externalName: 'skip',
      nodes: true,
      defaultProtocol: 'tcp',
      watchTimeout: 300_000,
      pageSize: 500,
      listTimeout: 60_000,
      minInterval: 200,
      retryBase: 1000,
      retryMax: 30_000,
      locality: {
        regionLabel: 'topology.kubernetes.io/region',
        zoneLabel: 'topology.kubernetes.io/zone',
        subzoneLabel: 'topology.istio.io/subzone',
      },
    });
  });

  it('refuses inCluster with a kubeconfig, a cluster id that is not a DNS label, unknown fields', () => {
    expect(problems({ inCluster: true, kubeconfig: 'k.yaml' })).toEqual([
      'inCluster: give inCluster or kubeconfig/context, not both',
    ]);
    expect(problems({ cluster: 'East_1' })).toEqual(['cluster: must be a cluster id (a DNS label)']);
    expect(problems({ namespaces: ['Shop'] })).toEqual(['namespaces.0: must be a namespace (a DNS label)']);
    expect(problems({ watchTimeout: '2h' })).toEqual([
      expect.stringMatching(/^watchTimeout: "2h" is not a duration/),
    ]);
    expect(problems({ externalName: 'resolve' })).toHaveLength(1);
    expect(problems({ server: 'https://k8s' })).toHaveLength(1);
  });
});

describe('kubernetes source: kubeconfig', () => {
  let dir: string;
  let fake: FakeKubernetes;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trb-k8s-'));
    fake = await FakeKubernetes.start();
    fake.token = 'file-token';
  });

  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a kubeconfig file relative to the config file, with the context asked for', () => {
    writeFileSync(join(dir, 'kube.yaml'), kubeconfigFor(fake.url, 'file-token', 'east'));
    const kc = loadKubeConfig(testConfig({ kubeconfig: 'kube.yaml', context: 'east' }), dir);
    expect(kc.getCurrentCluster()?.server).toBe(fake.url);
    expect(() => loadKubeConfig(testConfig({ kubeconfig: 'kube.yaml', context: 'west' }), dir)).toThrow(
      /kubernetes: cannot use the kubeconfig .*kube\.yaml: it has no context "west"/,
    );
  });

  it('tells `tributary validate` about a kubeconfig it cannot read', async () => {
    const context = { baseDir: dir };
    expect(await checkKubernetesSource(testConfig({ kubeconfig: 'missing.yaml' }), context)).toEqual([
      expect.stringMatching(/^kubernetes: cannot use the kubeconfig .*missing\.yaml: /),
    ]);
    writeFileSync(join(dir, 'kube.yaml'), kubeconfigFor(fake.url));
    expect(await checkKubernetesSource(testConfig({ kubeconfig: 'kube.yaml' }), context)).toEqual([]);
    const saved = process.env['KUBERNETES_SERVICE_HOST'];
    delete process.env['KUBERNETES_SERVICE_HOST'];
    try {
      expect(await checkKubernetesSource(testConfig({ inCluster: true }), context)).toEqual([
        'kubernetes: cannot use the in-cluster service account: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod?)',
      ]);
    } finally {
      if (saved !== undefined) process.env['KUBERNETES_SERVICE_HOST'] = saved;
    }
  });

  it('serves a cluster through the registry the factory makes, its cluster id defaulting to the source name', async () => {
    writeFileSync(join(dir, 'kube.yaml'), kubeconfigFor(fake.url, 'file-token'));
    fake.put('services', service({ namespace: 'shop', name: 'web' }));
    fake.put(
      'endpointslices',
      endpointSlice({
        namespace: 'shop',
        name: 'web-1',
        service: 'web',
        endpoints: [{ address: '10.0.0.1' }],
      }),
    );
    const registry = createKubernetesRegistry(
      'kubernetes/prod-east',
      testConfig({ kubeconfig: 'kube.yaml' }),
      { baseDir: dir },
    );
    expect(registry).toMatchObject({ id: 'kubernetes/prod-east', kind: 'kubernetes' });
    const recorder = new EventRecorder(registry.events());
    try {
      const snapshot = await recorder.snapshot();
      expect(endpointsOf(snapshot)).toEqual(['shop/web 10.0.0.1:8080 healthy']);
      expect(snapshot.services[0]!.endpoints[0]).toMatchObject({
        cluster: 'prod-east',
        instanceId: 'prod-east/shop/web-1/10.0.0.1',
      });
      expect(fake.requests.every((r) => r.headers.authorization === 'Bearer file-token')).toBe(true);
    } finally {
      recorder.close();
    }
    await eventually(() => fake.watches.length === 0);
  });
});
