/** Test helpers of the consul source: a fake Consul, the source on it with fast timings, bounded waits. */
import { consulSourceSchema, type ConsulSourceConfig } from '../../../../registries/consul/config.js';
import { watchConsulSource } from '../../../../registries/consul/watch.js';
import type { SnapshotEvent } from '../../../../src/registry.js';
import { FakeConsul, type FakeConsulOptions } from '../../../fakes/consul/index.js';
import { EventRecorder } from '../file/event-recorder.js';

/** The source's settings for tests: the fake's address and timings that keep each test short. */
export function testConfig(fake: FakeConsul, settings: Record<string, unknown> = {}): ConsulSourceConfig {
  return consulSourceSchema.parse({
    address: fake.url,
    wait: '5s',
    minInterval: '5ms',
    retryBase: '20ms',
    retryMax: '200ms',
    requestTimeout: '2s',
    ...settings,
  });
}

/** One test's fake Consul and the recorders subscribed to sources on it; `close` ends them all. */
export class ConsulHarness {
  private readonly recorders: EventRecorder[] = [];

  private constructor(readonly fake: FakeConsul) {}

  static async start(options?: FakeConsulOptions): Promise<ConsulHarness> {
    return new ConsulHarness(await FakeConsul.start(options));
  }

  /** Subscribes to a consul source on the fake. */
  watch(settings: Record<string, unknown> = {}, baseDir = '/'): EventRecorder {
    const recorder = new EventRecorder(watchConsulSource(testConfig(this.fake, settings), { baseDir }));
    this.recorders.push(recorder);
    return recorder;
  }

  /** Unsubscribes every source, checks that the fake sees no connection left, and stops it. */
  async close(): Promise<void> {
    for (const recorder of this.recorders) recorder.close();
    await eventually(() => this.fake.openConnections === 0 && this.fake.held.length === 0);
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
