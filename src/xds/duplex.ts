/**
 * The abstract duplex stream a transport adapts (STYLE.md habit 7: only transport.ts knows gRPC), and
 * `EngineStream`, the plumbing the SotW and delta engines share on top of it: the node, type
 * resolution, subscriptions, the latest-wins pending slot, backpressure, the change feed (through the
 * shared change router, which hands a stream only the changes of names it covers), Envoy warming,
 * callbacks, the registry and closing. Engines add only request rules and response building.
 */
import {
  StreamReporter,
  type RequestDisposition,
  type StreamCloseReason,
  type StreamKind,
  type XdsCallbacks,
} from './callbacks.js';
import { ChangeRouter, type RoutedStream } from './change-router.js';
import { PendingSlot, type PendingWork, type PushScheduler, type PushTarget } from './push-scheduler.js';
import type { RegisteredStream, StreamRegistry, StreamSnapshot } from './stream-registry.js';
import { Subscription, wildcardNamesOf, type SentRecord, type SubscriptionUpdate } from './subscription.js';
import {
  PUSH_ORDER,
  TYPE_URLS,
  type EncodedResource,
  type ErrorDetail,
  type NodeInfo,
  type ResourceSource,
  type TypeUrl,
} from './types.js';

/** The gRPC status an engine closes a stream with. */
export interface XdsCloseError {
  readonly code: 'INVALID_ARGUMENT' | 'INTERNAL';
  readonly message: string;
}

/** One bidirectional xDS stream as the engines see it; the transport feeds requests to the engine. */
export interface XdsDuplex<Res> {
  /** Hand one response to the transport. False = its buffer is full (the response was still taken). */
  send(response: Res): boolean;
  /** Register a listener called every time the buffer drains after `send` returned false. */
  onDrain(listener: () => void): void;
  /** End the stream: OK without `error`, else with that gRPC status. */
  close(error?: XdsCloseError): void;
  readonly closed: boolean;
  /** The remote address, for logs and /debug/syncz. */
  readonly peer: string;
}

/** Options of both engines. */
export interface EngineOptions {
  readonly scheduler: PushScheduler;
  readonly callbacks?: XdsCallbacks;
  /** Aggregated stream (any type) or per-type stream (`fixedTypeUrl` only). */
  readonly ads: boolean;
  /** The type of a per-type stream; required when `ads` is false. */
  readonly fixedTypeUrl?: TypeUrl;
  /** Registers the stream for /debug/syncz while it is open. */
  readonly registry?: StreamRegistry;
  /** Clock for NACK timestamps and openedAt. */
  readonly now?: () => Date;
}

/** Fields both request flavours share. */
export interface RequestHead {
  readonly node: NodeInfo | undefined;
  readonly typeUrl: string;
  readonly responseNonce: string;
}

/** The request fields callbacks report, per flavour. */
export interface RequestSummary {
  readonly versionInfo: string;
  readonly names: readonly string[];
  readonly unsubscribe: readonly string[];
}

/** A response an engine built, with what it carries (recorded into the subscription when sent). */
export interface Outgoing<Res> {
  readonly response: Res;
  readonly record: SentRecord;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(TYPE_URLS));
let lastStreamId = 0;

function isTypeUrl(value: string): value is TypeUrl {
  return KNOWN_TYPES.has(value);
}

/** Shared engine plumbing; `SotwStream` and `DeltaStream` implement `process` and `build`. */
export abstract class EngineStream<Req extends RequestHead, Res>
  implements PushTarget, RoutedStream, RegisteredStream
{
  /** Unique within the process. */
  readonly id = ++lastStreamId;
  protected readonly subscriptions = new Map<TypeUrl, Subscription>();
  protected readonly slot = new PendingSlot();
  protected readonly report: StreamReporter;
  private nodeInfo: NodeInfo | undefined;
  private awaitingDrain = false;
  private nonces = 0;
  private ended = false;
  private readonly openedAt: Date;
  /** Hands this stream the changes of the names it subscribes (one feed subscription for all streams). */
  private readonly router: ChangeRouter;

  protected constructor(
    readonly kind: StreamKind,
    protected readonly source: ResourceSource,
    protected readonly duplex: XdsDuplex<Res>,
    protected readonly options: EngineOptions,
  ) {
    if (!options.ads && options.fixedTypeUrl === undefined) {
      throw new TypeError('a per-type xDS stream needs fixedTypeUrl');
    }
    this.openedAt = this.now();
    this.report = new StreamReporter(options.callbacks, this);
    duplex.onDrain(() => this.drained());
    options.registry?.add(this);
    this.report.opened(options.ads, this.fixedType);
    this.router = ChangeRouter.of(source);
    this.router.attach(this);
  }

  /** True once the stream ended (either side). */
  get closed(): boolean {
    return this.ended;
  }

  /** The node of the first request that carried one (XDS.md §1.2). */
  get node(): NodeInfo | undefined {
    return this.nodeInfo;
  }

  /** The node id, '' until known. */
  get nodeId(): string {
    return this.nodeInfo?.id ?? '';
  }

  /** The remote address. */
  get peer(): string {
    return this.duplex.peer;
  }

  /** The type of a per-type stream, null on ADS. */
  get fixedType(): TypeUrl | null {
    return this.options.ads ? null : (this.options.fixedTypeUrl ?? null);
  }

  /** The transport decoded a request. Errors close the stream with INTERNAL. */
  handleRequest(request: Req): void {
    if (this.ended) return;
    try {
      this.process(request);
    } catch (error) {
      this.fail(error);
    }
  }

  /** The transport saw the stream end (client half-close, cancel or transport error). */
  handleClose(): void {
    this.end('client', null);
  }

  /** End the stream from the server side, with a status when `error` is given. */
  close(error?: XdsCloseError): void {
    if (this.ended) return;
    if (!this.duplex.closed) this.duplex.close(error);
    const reason: StreamCloseReason =
      error === undefined ? 'server' : error.code === 'INVALID_ARGUMENT' ? 'rejected' : 'internal';
    this.end(reason, error ?? null);
  }

  /** Something threw on this stream's path: close it with INTERNAL. */
  fail(error: unknown): void {
    this.close({ code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
  }

  /**
   * The change router found changed names this stream covers: owe them and queue a push. SotW
   * wildcards rebuild the full set, so they need no per-name marks.
   */
  routeChange(typeUrl: TypeUrl, names: readonly string[], wildcard: boolean): void {
    if (this.ended) return;
    this.slot.markChanged(typeUrl, names, wildcard, this.kind === 'sotw');
    this.options.scheduler.schedule(this);
  }

  /** Build and send what the slot holds, in PUSH_ORDER, until the transport's buffer is full. */
  flush(): number {
    if (this.ended || this.awaitingDrain || this.duplex.closed) return 0;
    let sent = 0;
    for (const typeUrl of PUSH_ORDER) {
      if (this.awaitingDrain || this.slot.empty) break;
      const work = this.slot.take(typeUrl);
      const sub = this.subscriptions.get(typeUrl);
      if (work === undefined || sub === undefined) continue;
      const outgoing = this.build(sub, work);
      if (outgoing === undefined) continue;
      this.transmit(sub, outgoing);
      sent += 1;
    }
    return sent;
  }

  /** JSON-able view for /debug/syncz. */
  status(detailed: boolean): StreamSnapshot {
    return {
      streamId: this.id,
      nodeId: this.nodeId,
      userAgent: this.nodeInfo?.userAgent ?? '',
      peer: this.peer,
      kind: this.kind,
      ads: this.options.ads,
      typeUrl: this.fixedType,
      openedAt: this.openedAt.toISOString(),
      types: [...this.subscriptions.values()].map((s) => s.status(detailed)),
    };
  }

  /** Apply one request's rules. */
  protected abstract process(request: Req): void;
  /** The response `work` calls for, or undefined when nothing is due. */
  protected abstract build(sub: Subscription, work: PendingWork): Outgoing<Res> | undefined;
  /** The request fields callbacks report. */
  protected abstract describe(request: Req): RequestSummary;

  /**
   * Adopt the first node (XDS.md §1.2) and resolve the type (XDS.md §5 item 3): an empty type URL on
   * ADS closes the stream with INVALID_ARGUMENT; an unknown type, or another type on a per-type stream,
   * is logged and ignored. Returns undefined when the request must be dropped.
   */
  protected resolve(request: Req): TypeUrl | undefined {
    if (this.nodeInfo === undefined && request.node !== undefined) this.nodeInfo = request.node;
    const { ads, fixedTypeUrl } = this.options;
    if (ads && request.typeUrl === '') {
      this.logRequest(request, 'rejected');
      this.close({ code: 'INVALID_ARGUMENT', message: 'type_url is required on an aggregated stream' });
      return undefined;
    }
    const typeUrl = ads || request.typeUrl !== '' ? request.typeUrl : (fixedTypeUrl ?? '');
    if (!isTypeUrl(typeUrl) || (!ads && typeUrl !== fixedTypeUrl)) {
      this.logRequest(request, 'unknown-type');
      return undefined;
    }
    return typeUrl;
  }

  /** The subscription of `typeUrl`, created on first use. */
  protected subscriptionFor(typeUrl: TypeUrl): Subscription {
    let sub = this.subscriptions.get(typeUrl);
    if (sub === undefined) {
      sub = new Subscription(typeUrl);
      this.subscriptions.set(typeUrl, sub);
    }
    return sub;
  }

  /**
   * Keep the change router's index in step with `sub` (call right after every subscription update,
   * before anything else can run: a change emitted later reaches the stream, and names the update
   * added are sent at their current version by the engines anyway).
   */
  protected track(sub: Subscription, update: SubscriptionUpdate): void {
    this.router.track(this, sub.typeUrl, update);
  }

  /** Report a classified request. */
  protected logRequest(request: Req, disposition: RequestDisposition): void {
    if (!this.report.reportsRequests) return;
    const { typeUrl, responseNonce: nonce } = request;
    const { versionInfo, names, unsubscribe } = this.describe(request);
    this.report.request({ typeUrl, nonce, disposition, versionInfo, names, unsubscribe });
  }

  /** Record and report a NACK (XDS.md §5 item 6). */
  protected recordNack(sub: Subscription, nonce: string, version: string, detail: ErrorDetail): void {
    sub.recordNack({
      nonce,
      version,
      code: detail.code,
      message: detail.message,
      at: this.now().toISOString(),
    });
    this.report.nack(sub.typeUrl, nonce, version, detail);
  }

  /** Send what a request made due, now (unless the transport's buffer is full). */
  protected pushNow(): void {
    if (!this.slot.empty) this.options.scheduler.flushNow(this);
  }

  /** A nonce unique within the stream (XDS.md §5 item 4). */
  protected nextNonce(): string {
    this.nonces += 1;
    return String(this.nonces);
  }

  /** Names of the wildcard set of `typeUrl`. */
  protected wildcardNames(typeUrl: TypeUrl): ReadonlySet<string> {
    return wildcardNamesOf(this.source, typeUrl);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private transmit(sub: Subscription, { response, record }: Outgoing<Res>): void {
    if (sub.typeUrl === TYPE_URLS.cluster) this.warmEndpoints(sub, record.resources);
    sub.recordSent(record);
    const accepted = this.duplex.send(response);
    if (!accepted) this.awaitingDrain = true;
    this.report.response(sub.typeUrl, record, !accepted);
  }

  /**
   * XDS.md §1.10 and §5 item 20: Envoy keeps a new or updated cluster warming until a CLA for it
   * arrives, even an unchanged one; so every cluster this response changes gets its CLA resent (EDS
   * name = cluster name), after it in PUSH_ORDER.
   */
  private warmEndpoints(cds: Subscription, clusters: readonly EncodedResource[]): void {
    const eds = this.subscriptions.get(TYPE_URLS.endpoint);
    if (eds === undefined) return;
    const warming = clusters
      .filter((c) => eds.names.has(c.name) && cds.sentVersion(c.name) !== c.version)
      .map((c) => c.name);
    if (warming.length > 0) this.slot.markForced(TYPE_URLS.endpoint, warming);
  }

  private drained(): void {
    this.awaitingDrain = false;
    if (!this.ended && !this.slot.empty) this.options.scheduler.schedule(this);
  }

  private end(reason: StreamCloseReason, error: XdsCloseError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.router.drop(this, this.subscriptions.values());
    this.slot.clear();
    this.options.scheduler.cancel(this);
    this.options.registry?.remove(this);
    this.report.closed(reason, error);
  }
}
