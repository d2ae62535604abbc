/** Test helpers of the kubernetes source: a fake API server, the source on it with fast timings, bounded waits. */
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesClient } from '../../../../registries/kubernetes/client.js';
import {
  kubernetesSourceSchema,
  type KubernetesSourceConfig,
} from '../../../../registries/kubernetes/config.js';
import { watchKubernetesSource } from '../../../../registries/kubernetes/watch.js';
import type { SnapshotEvent } from '../../../../src/registry.js';
import { FakeKubernetes } from '../../../fakes/kubernetes/index.js';
import { EventRecorder } from '../file/event-recorder.js';

export const TOKEN = 'test-token';

/** The source's settings for tests: timings that keep each test short, small pages. */
export function testConfig(settings: Record<string, unknown> = {}): KubernetesSourceConfig {
  return kubernetesSourceSchema.parse({
    watchTimeout: '30s',
    minInterval: '5ms',
    retryBase: '20ms',
    retryMax: '200ms',
    pageSize: 2,
    ...settings,
  });
}

/** A KubeConfig on the fake, built with loadFromOptions. */
export function kubeConfigOf(fake: FakeKubernetes, token = TOKEN): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: fake.url, skipTLSVerify: true }],
    users: [{ name: 'fake', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return kc;
}

/** One test's fake API server(s) and the recorders subscribed to sources on them; `close` ends them all. */
export class KubernetesHarness {
  private readonly recorders: EventRecorder[] = [];

  private constructor(readonly fake: FakeKubernetes) {}

  static async start(): Promise<KubernetesHarness> {
    const fake = await FakeKubernetes.start();
    fake.token = TOKEN;
    return new KubernetesHarness(fake);
  }

  /** Subscribes to a kubernetes source (cluster id `cluster`) on the fake. */
  watch(settings: Record<string, unknown> = {}, cluster = 'c1', fake = this.fake): EventRecorder {
    const recorder = new EventRecorder(
      watchKubernetesSource(
        testConfig(settings),
        cluster,
        { baseDir: '/' },
        { openClient: () => new KubernetesClient(kubeConfigOf(fake)) },
      ),
    );
    this.recorders.push(recorder);
    return recorder;
  }

  /** Unsubscribes every source, checks that the fake serves no watch any more, and stops it. */
  async close(): Promise<void> {
    for (const recorder of this.recorders) recorder.close();
    await eventually(() => this.fake.watches.length === 0);
    await this.fake.close();
  }
}

/** Polls `condition` until it holds or `ms` pass. */
export async function eventually(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `namespace/name address:port health` of every endpoint, for compact assertions. */
export function endpointsOf(snapshot: SnapshotEvent): string[] {
  return snapshot.services.flatMap((s) =>
    s.endpoints.map((e) => `${s.namespace}/${s.name} ${e.address}:${e.port} ${e.health}`),
  );
}
