/**
 * A protocol-level xDS client for conformance tests: raw @grpc/grpc-js bidi calls on the ADS method
 * paths with passthrough (Buffer) serializers; requests are encoded and responses decoded with
 * src/xds/codec. It sends exactly what a test asks for, including what real clients never send
 * (empty or unknown type URLs, stale nonces, malformed bytes). Every wait is bounded.
 */
import * as grpc from '@grpc/grpc-js';
import {
  decodeDeltaResponse,
  decodeSotwResponse,
  encodeDeltaRequest,
  encodeSotwRequest,
  toJson,
  type DecodedDeltaResponse,
  type DecodedResource,
  type DecodedSotwResponse,
} from '../../../src/xds/codec/index.js';
import { TYPE_URLS, type ErrorDetail, type NodeInfo } from '../../../src/xds/types.js';

export { TYPE_URLS };
export type { DecodedDeltaResponse, DecodedResource, DecodedSotwResponse };

const ADS = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
/** gRPC paths of the two ADS methods. */
export const ADS_PATHS = {
  sotw: `/${ADS}/StreamAggregatedResources`,
  delta: `/${ADS}/DeltaAggregatedResources`,
} as const;

const DEFAULT_WAIT_MS = 5_000;
/** Default window of `expectNone`: long enough for a request-driven answer on loopback, short for the suite. */
const DEFAULT_QUIET_MS = 300;

const passthrough = (bytes: Buffer): Buffer => bytes;

/** The node every stream announces in its first request unless told otherwise. */
export function testNode(id = 'protocol-test'): NodeInfo {
  return {
    id,
    cluster: 'test',
    userAgent: 'tributary-protocol-client/1.0',
    clientFeatures: [],
    locality: { region: 'eu-west-1', zone: 'eu-west-1a', subZone: '' },
  };
}

/** The final gRPC status of a stream, as the client saw it. */
export interface FinalStatus {
  readonly code: grpc.status;
  readonly details: string;
}

/** A SotW request; omitted fields are empty. `node` is added to the first request unless given (null = none). */
export interface SotwInput {
  readonly typeUrl: string;
  readonly resourceNames?: readonly string[];
  readonly versionInfo?: string;
  readonly responseNonce?: string;
  readonly errorDetail?: ErrorDetail;
  readonly node?: NodeInfo | null;
}

/** A delta request; omitted fields are empty. `node` is added to the first request unless given (null = none). */
export interface DeltaInput {
  readonly typeUrl: string;
  readonly subscribe?: readonly string[];
  readonly unsubscribe?: readonly string[];
  readonly initialResourceVersions?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  readonly responseNonce?: string;
  readonly errorDetail?: ErrorDetail;
  readonly node?: NodeInfo | null;
}

export interface StreamOptions {
  /** The node of the first request (default `testNode()`). */
  readonly node?: NodeInfo;
}

/** One bidi xDS stream: `send` requests, `next` responses in order, `status` when the server ends it. */
export abstract class ProtocolStream<In extends { readonly node?: NodeInfo | null }, Res> {
  private readonly queue: Res[] = [];
  private readonly waiters = new Set<() => void>();
  private final: FinalStatus | undefined;
  private decodeError: Error | undefined;
  private nodeSent = false;
  private closeHook: (() => void) | undefined;
  /** Responses received so far (consumed or not). */
  received = 0;

  constructor(
    readonly call: grpc.ClientDuplexStream<Buffer, Buffer>,
    private readonly decode: (bytes: Buffer) => Res,
    protected readonly node: NodeInfo,
  ) {
    call.on('data', (bytes: Buffer) => {
      this.received += 1;
      try {
        this.queue.push(this.decode(bytes));
      } catch (error) {
        this.decodeError ??= error as Error;
      }
      this.wake();
    });
    call.on('status', (status: grpc.StatusObject) => {
      this.final ??= { code: status.code, details: status.details };
      this.wake();
    });
    // Non-OK statuses are also emitted as errors; `status` carries them to the tests.
    call.on('error', () => undefined);
  }

  /** Encodes one request (the node added to the first one); a Buffer is written as is. */
  protected abstract encode(request: In): Buffer;

  /** Sends a request, or raw bytes (which need not be a valid message). */
  send(request: In | Buffer): void {
    if (Buffer.isBuffer(request)) {
      this.call.write(request);
      return;
    }
    const withNode = request.node === undefined && !this.nodeSent ? { ...request, node: this.node } : request;
    if (withNode.node) this.nodeSent = true;
    this.call.write(this.encode(withNode));
  }

  /** The next response, waiting at most `timeoutMs`; rejects when the stream ended first. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<Res> {
    const response = await this.poll(timeoutMs);
    if (response === undefined) throw new Error(`no response within ${timeoutMs} ms`);
    return response;
  }

  /** The next response if one arrives within `ms`, else undefined; rejects when the stream ended. */
  async poll(ms = DEFAULT_QUIET_MS): Promise<Res | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      this.throwIfUndecodable();
      const head = this.queue.shift();
      if (head !== undefined) return head;
      if (this.final !== undefined) {
        throw new Error(`stream ended (${describeStatus(this.final)}) while a response was awaited`);
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await this.wait(left);
    }
  }

  /** Asserts that no response arrives (and the stream stays open) for `ms`; a queued response fails at once. */
  async expectNone(ms = DEFAULT_QUIET_MS): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      this.throwIfUndecodable();
      const head = this.queue[0];
      if (head !== undefined) {
        throw new Error(`expected no response, got ${JSON.stringify(summarize(head))}`);
      }
      if (this.final !== undefined) {
        throw new Error(`expected the stream to stay open, it ended (${describeStatus(this.final)})`);
      }
      const left = deadline - Date.now();
      if (left <= 0) return;
      await this.wait(left);
    }
  }

  /** The final status once the server ends the stream, waiting at most `timeoutMs`. */
  async status(timeoutMs = DEFAULT_WAIT_MS): Promise<FinalStatus> {
    const deadline = Date.now() + timeoutMs;
    while (this.final === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the stream did not end within ${timeoutMs} ms`);
      await this.wait(left);
    }
    return this.final;
  }

  /** True once a final status arrived. */
  get ended(): boolean {
    return this.final !== undefined;
  }

  /** Responses received but not yet consumed by `next`. */
  get pending(): number {
    return this.queue.length;
  }

  /** Stop consuming responses (HTTP/2 flow control then pushes back on the server). */
  pause(): void {
    this.call.pause();
  }

  /** Consume responses again. */
  resume(): void {
    this.call.resume();
  }

  /** Cancels the call unless the server already ended it. Idempotent. */
  close(): void {
    if (this.final === undefined) this.call.cancel();
    const hook = this.closeHook;
    this.closeHook = undefined;
    hook?.();
  }

  /** Runs `hook` on close (a stream opened with its own channel closes the channel). */
  onClose(hook: () => void): void {
    this.closeHook = hook;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private throwIfUndecodable(): void {
    if (this.decodeError !== undefined) {
      throw new Error(`the server sent an undecodable response: ${this.decodeError.message}`);
    }
  }
}

/** A SotW ADS stream. Remembers the names last requested per type, for `ack` and `nack`. */
export class SotwStream extends ProtocolStream<SotwInput, DecodedSotwResponse> {
  private readonly names = new Map<string, readonly string[]>();

  constructor(call: grpc.ClientDuplexStream<Buffer, Buffer>, node: NodeInfo) {
    super(call, decodeSotwResponse, node);
  }

  protected encode(request: SotwInput): Buffer {
    this.names.set(request.typeUrl, request.resourceNames ?? []);
    return encodeSotwRequest({
      versionInfo: request.versionInfo ?? '',
      node: request.node ?? undefined,
      resourceNames: request.resourceNames ?? [],
      typeUrl: request.typeUrl,
      responseNonce: request.responseNonce ?? '',
      errorDetail: request.errorDetail,
    });
  }

  /** Requests `names` of `typeUrl`, reacting to `after` (its nonce and version) when given. */
  request(typeUrl: string, names: readonly string[], after?: DecodedSotwResponse): void {
    this.send({
      typeUrl,
      resourceNames: names,
      responseNonce: after?.nonce ?? '',
      versionInfo: after?.versionInfo ?? '',
    });
  }

  /** ACKs `response` with the names last requested for its type. */
  ack(response: DecodedSotwResponse): void {
    this.request(response.typeUrl, this.names.get(response.typeUrl) ?? [], response);
  }

  /** NACKs `response` (error_detail set) with the names last requested for its type. */
  nack(response: DecodedSotwResponse, message = 'rejected by the protocol test'): void {
    this.send({
      typeUrl: response.typeUrl,
      resourceNames: this.names.get(response.typeUrl) ?? [],
      responseNonce: response.nonce,
      versionInfo: response.versionInfo,
      errorDetail: { code: grpc.status.INVALID_ARGUMENT, message },
    });
  }
}

/** A delta ADS stream. */
export class DeltaStream extends ProtocolStream<DeltaInput, DecodedDeltaResponse> {
  constructor(call: grpc.ClientDuplexStream<Buffer, Buffer>, node: NodeInfo) {
    super(call, decodeDeltaResponse, node);
  }

  protected encode(request: DeltaInput): Buffer {
    const versions = request.initialResourceVersions ?? new Map<string, string>();
    return encodeDeltaRequest({
      node: request.node ?? undefined,
      typeUrl: request.typeUrl,
      subscribe: request.subscribe ?? [],
      unsubscribe: request.unsubscribe ?? [],
      initialResourceVersions: versions instanceof Map ? versions : new Map(Object.entries(versions)),
      responseNonce: request.responseNonce ?? '',
      errorDetail: request.errorDetail,
    });
  }

  /** ACKs `response`. */
  ack(response: DecodedDeltaResponse): void {
    this.send({ typeUrl: response.typeUrl, responseNonce: response.nonce });
  }

  /** NACKs `response` (error_detail set). */
  nack(response: DecodedDeltaResponse, message = 'rejected by the protocol test'): void {
    this.send({
      typeUrl: response.typeUrl,
      responseNonce: response.nonce,
      errorDetail: { code: grpc.status.INVALID_ARGUMENT, message },
    });
  }
}

export interface ChannelOptions {
  /**
   * Own TCP connection instead of grpc-js' process-wide subchannel pool (default true), so streams of
   * different channels never share HTTP/2 flow-control windows.
   */
  readonly ownConnection?: boolean;
}

/** One grpc-js Client (one channel); any number of ADS streams may share it. */
export class XdsChannel {
  readonly client: grpc.Client;
  private readonly streams = new Set<{ close(): void }>();

  constructor(port: number, options: ChannelOptions = {}) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      ...(options.ownConnection === false ? {} : { 'grpc.use_local_subchannel_pool': 1 }),
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  /** Opens an ADS stream: SotW (StreamAggregatedResources) or delta (DeltaAggregatedResources). */
  openAds(options?: StreamOptions & { delta?: false }): SotwStream;
  openAds(options: StreamOptions & { delta: true }): DeltaStream;
  openAds(options: StreamOptions & { delta?: boolean } = {}): SotwStream | DeltaStream {
    const node = options.node ?? testNode();
    const path = options.delta ? ADS_PATHS.delta : ADS_PATHS.sotw;
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(path, passthrough, passthrough);
    const stream = options.delta ? new DeltaStream(call, node) : new SotwStream(call, node);
    this.streams.add(stream);
    return stream;
  }

  /** Cancels every stream and closes the channel. */
  close(): void {
    const streams = [...this.streams];
    this.streams.clear();
    for (const stream of streams) stream.close();
    this.client.close();
  }
}

/** Opens an ADS stream on a channel of its own; closing the stream closes the channel. */
export function openAds(port: number, options?: StreamOptions & { delta?: false }): SotwStream;
export function openAds(port: number, options: StreamOptions & { delta: true }): DeltaStream;
export function openAds(
  port: number,
  options: StreamOptions & { delta?: boolean } = {},
): SotwStream | DeltaStream {
  const channel = new XdsChannel(port);
  const stream = options.delta
    ? channel.openAds({ ...options, delta: true })
    : channel.openAds({ ...options, delta: false });
  stream.onClose(() => channel.close());
  return stream;
}

/** Names of a response's resources, in order. */
export function namesOf(response: { readonly resources: readonly DecodedResource[] }): string[] {
  return response.resources.map((r) => r.name);
}

/** The decoded message of one resource (field names as in proto/). */
export function messageOf<T = Record<string, unknown>>(resource: DecodedResource): T {
  return toJson(resource.typeUrl, resource.value) as T;
}

/** Ports of every endpoint in a ClusterLoadAssignment resource, sorted. */
export function endpointPorts(resource: DecodedResource): number[] {
  interface Cla {
    endpoints?: {
      lb_endpoints?: { endpoint?: { address?: { socket_address?: { port_value?: number } } } }[];
    }[];
  }
  const cla = messageOf<Cla>(resource);
  const ports: number[] = [];
  for (const locality of cla.endpoints ?? []) {
    for (const lb of locality.lb_endpoints ?? []) {
      const port = lb.endpoint?.address?.socket_address?.port_value;
      if (port !== undefined) ports.push(port);
    }
  }
  return ports.sort((a, b) => a - b);
}

function describeStatus(status: FinalStatus): string {
  return `${grpc.status[status.code] ?? status.code}: ${status.details}`;
}

function summarize(response: unknown): unknown {
  const r = response as Partial<DecodedSotwResponse & DecodedDeltaResponse>;
  return {
    typeUrl: r.typeUrl,
    nonce: r.nonce,
    version: r.versionInfo ?? r.systemVersionInfo,
    names: (r.resources ?? []).map((x) => x.name),
    removed: r.removedResources,
  };
}

/**
 * Waits until the daemon on `port` serves the ClusterLoadAssignment `clusterName` with exactly these
 * endpoint ports, through a short-lived SotW stream of its own (bounded by `timeoutMs`).
 */
export async function waitForEndpoints(
  port: number,
  clusterName: string,
  ports: readonly number[],
  timeoutMs = 10_000,
): Promise<void> {
  const want = [...ports].sort((a, b) => a - b).join(',');
  const probe = openAds(port, { node: testNode('protocol-probe') });
  const deadline = Date.now() + timeoutMs;
  let seen = 'nothing';
  try {
    probe.request(TYPE_URLS.endpoint, [clusterName]);
    while (Date.now() < deadline) {
      const response = await probe.next(Math.max(1, deadline - Date.now()));
      const cla = response.resources.find((r) => r.name === clusterName);
      if (cla !== undefined) seen = endpointPorts(cla).join(',');
      if (seen === want) return;
      probe.ack(response);
    }
  } catch (error) {
    throw new Error(
      `${clusterName}: wanted ports [${want}], last saw [${seen}]: ${(error as Error).message}`,
    );
  } finally {
    probe.close();
  }
  throw new Error(`${clusterName}: wanted ports [${want}], last saw [${seen}] within ${timeoutMs} ms`);
}
