/** Test helpers of the peer source: a fake peer, the source on it with fast timings, a recording progress sink. */
import type { PeerProgress, PeerProgressSink } from '../../../../src/model/peer.js';
import type { ServiceRecord } from '../../../../src/model/service.js';
import type { SourceState, StatusEvent } from '../../../../src/registry.js';
import { peerSourceSchema, type PeerSourceConfig } from '../../../../registries/peer/config.js';
import { watchPeerSource } from '../../../../registries/peer/watch.js';
import { aServiceRecord, anEndpoint } from '../../../support/builders.js';
import { FakePeer, type FakePeerOptions } from '../../../fakes/peer/index.js';
import { EventRecorder } from '../file/event-recorder.js';
import { eventually } from '../consul/harness.js';

export { eventually };

/** The source's settings for tests: the fake's address, its token and timings that keep each test short. */
export function testConfig(fake: FakePeer, settings: Record<string, unknown> = {}): PeerSourceConfig {
  return peerSourceSchema.parse({
    address: fake.url,
    token: 'peer-token',
    heartbeatTimeout: '300ms',
    retryBase: '20ms',
    retryMax: '100ms',
    connectTimeout: '1s',
    ...settings,
  });
}

/** Every progress report and forget, in order. */
export class RecordingPeerSink implements PeerProgressSink {
  readonly reports: PeerProgress[] = [];
  readonly forgotten: string[] = [];

  report(progress: PeerProgress): void {
    this.reports.push(progress);
  }

  forget(sourceId: string): void {
    this.forgotten.push(sourceId);
  }

  get last(): PeerProgress | undefined {
    return this.reports.at(-1);
  }
}

/** One test's fake peer and the sources subscribed to it; `close` ends them all and checks no socket is left. */
export class PeerHarness {
  private readonly recorders: EventRecorder[] = [];
  readonly sink = new RecordingPeerSink();

  private constructor(readonly fake: FakePeer) {}

  static async start(options: FakePeerOptions = { heartbeatMs: 100 }): Promise<PeerHarness> {
    return new PeerHarness(await FakePeer.start(options));
  }

  /** Subscribes to the source `peer/west` on the fake. */
  watch(settings: Record<string, unknown> = {}, baseDir = '/'): EventRecorder {
    const config = testConfig(this.fake, settings);
    const recorder = new EventRecorder(watchPeerSource('peer/west', config, { baseDir, peers: this.sink }));
    this.recorders.push(recorder);
    return recorder;
  }

  /** Subscribes and waits for the first snapshot and `synced`. */
  async synced(settings: Record<string, unknown> = {}): Promise<EventRecorder> {
    const recorder = this.watch(settings);
    await recorder.snapshot();
    await recorder.status('synced');
    return recorder;
  }

  async close(): Promise<void> {
    for (const recorder of this.recorders) recorder.close();
    await eventually(() => this.fake.openConnections === 0);
    await this.fake.close();
  }
}

/** The next status in `state` whose error matches `pattern`. */
export function statusMatching(
  recorder: EventRecorder,
  state: SourceState,
  pattern: RegExp,
): Promise<StatusEvent> {
  return recorder.next(
    (e): e is StatusEvent => e.type === 'status' && e.state === state && pattern.test(e.error ?? ''),
  );
}

/** A service of the peer with endpoints at `addresses` on port 8080. */
export function peerService(name: string, addresses: readonly string[], namespace = 'shop'): ServiceRecord {
  return aServiceRecord({
    namespace,
    name,
    endpoints: addresses.map((address) => anEndpoint({ address, instanceId: `vm-${address}` })),
  });
}

/** `namespace/name address:port` of every endpoint, for compact assertions. */
export function endpointsOf(services: readonly ServiceRecord[]): string[] {
  return services.flatMap((s) => s.endpoints.map((e) => `${s.namespace}/${s.name} ${e.address}:${e.port}`));
}
