/**
 * Engine test kit: a recording duplex with switchable backpressure, recording callbacks, request
 * builders in the shapes the transport decodes, and one-call stream setup.
 */
import type {
  NackEvent,
  RequestEvent,
  ResponseEvent,
  StreamClosedEvent,
  StreamOpenEvent,
  XdsCallbacks,
} from '../../../../src/xds/callbacks.js';
import { DeltaStream } from '../../../../src/xds/delta-stream.js';
import type { EngineOptions, XdsCloseError, XdsDuplex } from '../../../../src/xds/duplex.js';
import { PushScheduler } from '../../../../src/xds/push-scheduler.js';
import { SotwStream } from '../../../../src/xds/sotw-stream.js';
import { StreamRegistry } from '../../../../src/xds/stream-registry.js';
import type {
  DeltaRequest,
  DeltaResponse,
  NodeInfo,
  SotwRequest,
  SotwResponse,
  TypeUrl,
} from '../../../../src/xds/types.js';
import { TYPE_URLS } from '../../../../src/xds/types.js';
import { FakeResourceSource } from '../../../fakes/resource-source.js';

export const CDS = TYPE_URLS.cluster;
export const EDS = TYPE_URLS.endpoint;
export const LDS = TYPE_URLS.listener;
export const RDS = TYPE_URLS.route;

/** Records every response; `setFull(true)` makes `send` report a full buffer until `setFull(false)`. */
export class FakeDuplex<Res> implements XdsDuplex<Res> {
  readonly sent: Res[] = [];
  closed = false;
  closeError: XdsCloseError | undefined;
  private full = false;
  private readonly drainListeners: (() => void)[] = [];

  constructor(readonly peer = '127.0.0.1:50000') {}

  send(response: Res): boolean {
    if (this.closed) throw new Error('send after close');
    this.sent.push(response);
    return !this.full;
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  close(error?: XdsCloseError): void {
    this.closed = true;
    this.closeError = error;
  }

  /** Switch backpressure; switching it off emits drain. */
  setFull(full: boolean): void {
    this.full = full;
    if (!full) for (const listener of this.drainListeners) listener();
  }

  /** The responses sent since the last call. */
  take(): Res[] {
    return this.sent.splice(0);
  }

  /** The only response sent since the last take (fails otherwise). */
  takeOne(): Res {
    const all = this.take();
    if (all.length !== 1) throw new Error(`expected exactly one response, got ${all.length}`);
    return all[0]!;
  }
}

/** Callbacks that record every event. */
export class RecordingCallbacks implements XdsCallbacks {
  readonly opened: StreamOpenEvent[] = [];
  readonly requests: RequestEvent[] = [];
  readonly responses: ResponseEvent[] = [];
  readonly nacks: NackEvent[] = [];
  readonly closed: StreamClosedEvent[] = [];
  onStreamOpen = (e: StreamOpenEvent): void => void this.opened.push(e);
  onRequest = (e: RequestEvent): void => void this.requests.push(e);
  onResponse = (e: ResponseEvent): void => void this.responses.push(e);
  onNack = (e: NackEvent): void => void this.nacks.push(e);
  onStreamClosed = (e: StreamClosedEvent): void => void this.closed.push(e);
}

/** A node as grpc-js announces it. */
export function aNode(overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id: 'node-1',
    cluster: 'shop',
    userAgent: 'grpc-node-js',
    clientFeatures: ['envoy.lb.does_not_support_overprovisioning'],
    locality: { region: 'eu-west-1', zone: 'eu-west-1a', subZone: '' },
    ...overrides,
  };
}

/** A SotW request (initial by default: empty nonce, no node). */
export function sotw(
  typeUrl: string,
  names: readonly string[],
  overrides: Partial<SotwRequest> = {},
): SotwRequest {
  return {
    versionInfo: '',
    node: undefined,
    resourceNames: names,
    typeUrl,
    responseNonce: '',
    errorDetail: undefined,
    ...overrides,
  };
}

/** The ACK of `response`, with `names` as the (possibly new) subscription. */
export function ackOf(response: SotwResponse, names: readonly string[]): SotwRequest {
  return sotw(response.typeUrl, names, { versionInfo: response.versionInfo, responseNonce: response.nonce });
}

/** The NACK of `response` (grpc-js style: code 14), keeping `version` as the client's version_info. */
export function nackOf(response: SotwResponse, names: readonly string[], version = ''): SotwRequest {
  return sotw(response.typeUrl, names, {
    versionInfo: version,
    responseNonce: response.nonce,
    errorDetail: { code: 14, message: 'resource invalid' },
  });
}

/** A delta request. */
export function delta(typeUrl: string, overrides: Partial<DeltaRequest> = {}): DeltaRequest {
  return {
    node: undefined,
    typeUrl,
    subscribe: [],
    unsubscribe: [],
    initialResourceVersions: new Map(),
    responseNonce: '',
    errorDetail: undefined,
    ...overrides,
  };
}

/** Resource names of a response, in order. */
export function namesOf(response: { readonly resources: readonly { readonly name: string }[] }): string[] {
  return response.resources.map((r) => r.name);
}

/** One engine test world: a source, a scheduler, a registry and recording callbacks. */
export class World {
  readonly source = new FakeResourceSource();
  readonly scheduler: PushScheduler;
  readonly registry = new StreamRegistry();
  readonly callbacks = new RecordingCallbacks();
  private readonly streams: { close(): void }[] = [];

  constructor(chunkSize?: number) {
    this.scheduler = new PushScheduler({ chunkSize });
  }

  /** A world whose source holds clusters and CLAs `a` and `b`, listener `echo.test` and route `echo-route`. */
  static withResources(): World {
    const world = new World();
    world.source.apply({
      put: [
        [CDS, 'a'],
        [CDS, 'b'],
        [EDS, 'a'],
        [EDS, 'b'],
        [LDS, 'echo.test'],
        [RDS, 'echo-route'],
      ],
    });
    return world;
  }

  /** An ADS SotW stream (node `node-1`) that subscribed `names` of `typeUrl` and ACKed the answer. */
  subscribedSotw(
    typeUrl: TypeUrl,
    names: readonly string[],
  ): { stream: SotwStream; duplex: FakeDuplex<SotwResponse>; last: SotwResponse } {
    const { stream, duplex } = this.sotw();
    stream.handleRequest(sotw(typeUrl, names, { node: aNode() }));
    const last = duplex.takeOne();
    stream.handleRequest(ackOf(last, names));
    const unexpected = duplex.take();
    if (unexpected.length > 0) throw new Error(`ACK was answered: ${JSON.stringify(unexpected)}`);
    return { stream, duplex, last };
  }

  /** Open a SotW stream (ADS by default). */
  sotw(options: Partial<EngineOptions> = {}): { stream: SotwStream; duplex: FakeDuplex<SotwResponse> } {
    const duplex = new FakeDuplex<SotwResponse>();
    const stream = new SotwStream(this.source, duplex, this.options(options));
    this.streams.push(stream);
    return { stream, duplex };
  }

  /** Open a delta stream (ADS by default). */
  delta(options: Partial<EngineOptions> = {}): { stream: DeltaStream; duplex: FakeDuplex<DeltaResponse> } {
    const duplex = new FakeDuplex<DeltaResponse>();
    const stream = new DeltaStream(this.source, duplex, this.options(options));
    this.streams.push(stream);
    return { stream, duplex };
  }

  /** Let every scheduled push run. */
  async settle(): Promise<void> {
    await this.scheduler.whenIdle();
  }

  /** Close every stream and stop the scheduler. */
  close(): void {
    for (const stream of this.streams.splice(0)) stream.close();
    this.scheduler.stop();
  }

  private options(options: Partial<EngineOptions>): EngineOptions {
    return {
      scheduler: this.scheduler,
      callbacks: this.callbacks,
      registry: this.registry,
      ads: true,
      now: () => new Date('2024-01-01T00:00:00.000Z'),
      ...options,
    };
  }
}

/** A per-type stream's options. */
export function perType(typeUrl: TypeUrl): Partial<EngineOptions> {
  return { ads: false, fixedTypeUrl: typeUrl };
}
