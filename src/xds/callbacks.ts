/**
 * Observability hooks of the xDS engines (STYLE.md habit 8, after go-control-plane's `Callbacks` in
 * pkg/server/v3/server.go): metrics, logs and /debug/syncz read plain data from here and never touch
 * engine state. Hooks run synchronously on the engine's path, so they must be cheap and must not throw
 * (a throwing hook closes the stream with INTERNAL, which is loud on purpose).
 */
import type { SentRecord } from './subscription.js';
import type { ErrorDetail, TypeUrl } from './types.js';

/** Which protocol flavour a stream speaks. */
export type StreamKind = 'sotw' | 'delta';

/** How the engine classified one request (XDS.md §1.3, §1.7). */
export type RequestDisposition =
  /** First request for the type on this stream (empty nonce, or a nonce this stream never sent). */
  | 'initial'
  /** Matching nonce, no error_detail. */
  | 'ack'
  /** Matching nonce with error_detail (detection by error_detail, never by version: XDS.md §1.3). */
  | 'nack'
  /** Nonce is not the latest one sent for the type: ignored in SotW, subscription-only in delta. */
  | 'stale'
  /** Delta request without a nonce: a spontaneous subscription change. */
  | 'subscription-change'
  /** Type URL the stream does not serve: no response, the stream stays open (XDS.md §5 item 3). */
  | 'unknown-type'
  /** Empty type URL on an ADS stream: the stream is closed with INVALID_ARGUMENT (XDS.md §5 item 3). */
  | 'rejected';

/** A stream was opened by the transport; the node is not known until its first request. */
export interface StreamOpenEvent {
  readonly streamId: number;
  readonly peer: string;
  readonly kind: StreamKind;
  readonly ads: boolean;
  /** The fixed type of a per-type (non-ADS) stream, else null. */
  readonly typeUrl: TypeUrl | null;
}

/** One decoded request, after classification. */
export interface RequestEvent {
  readonly streamId: number;
  /** The node id announced on the stream so far ('' before any node arrived). */
  readonly nodeId: string;
  /** The type URL as the client sent it (may be unknown or empty). */
  readonly typeUrl: string;
  /** SotW version_info ('' for delta). */
  readonly versionInfo: string;
  readonly nonce: string;
  /** SotW resource_names, or delta resource_names_subscribe. */
  readonly names: readonly string[];
  /** Delta resource_names_unsubscribe ([] for SotW). */
  readonly unsubscribe: readonly string[];
  readonly disposition: RequestDisposition;
}

/** One response handed to the transport. */
export interface ResponseEvent {
  readonly streamId: number;
  readonly nodeId: string;
  readonly typeUrl: TypeUrl;
  /** SotW version_info, or delta system_version_info. */
  readonly version: string;
  readonly nonce: string;
  /** Names of the resources carried. */
  readonly names: readonly string[];
  /** Delta removed_resources ([] for SotW). */
  readonly removed: readonly string[];
  /** True when the transport reported its buffer full: the stream waits for drain before sending again. */
  readonly bufferFull: boolean;
}

/** A client rejected a response (XDS.md §5 item 6: logged/exported with node id, type, nonce, message). */
export interface NackEvent {
  readonly streamId: number;
  readonly nodeId: string;
  readonly typeUrl: TypeUrl;
  /** The version_info the client sent with the NACK (may be the new version: gRFC A46). */
  readonly version: string;
  readonly nonce: string;
  readonly code: number;
  readonly message: string;
}

/** Why a stream ended. */
export type StreamCloseReason = 'client' | 'server' | 'rejected' | 'internal';

/** A stream ended; emitted exactly once per stream. */
export interface StreamClosedEvent {
  readonly streamId: number;
  readonly nodeId: string;
  readonly peer: string;
  readonly kind: StreamKind;
  readonly reason: StreamCloseReason;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Hooks for metrics, logs and debug; every hook is optional. */
export interface XdsCallbacks {
  onStreamOpen?(event: StreamOpenEvent): void;
  onRequest?(event: RequestEvent): void;
  onResponse?(event: ResponseEvent): void;
  onNack?(event: NackEvent): void;
  onStreamClosed?(event: StreamClosedEvent): void;
}

/** One set of callbacks that calls each given set in order (undefined entries are skipped). */
export function combineCallbacks(...all: readonly (XdsCallbacks | undefined)[]): XdsCallbacks {
  const list = all.filter((c): c is XdsCallbacks => c !== undefined);
  return {
    onStreamOpen: (event) => list.forEach((c) => c.onStreamOpen?.(event)),
    onRequest: (event) => list.forEach((c) => c.onRequest?.(event)),
    onResponse: (event) => list.forEach((c) => c.onResponse?.(event)),
    onNack: (event) => list.forEach((c) => c.onNack?.(event)),
    onStreamClosed: (event) => list.forEach((c) => c.onStreamClosed?.(event)),
  };
}

/** The identity of a stream, as events report it. */
export interface ReportedStream {
  readonly id: number;
  /** '' until the node is known. */
  readonly nodeId: string;
  readonly peer: string;
  readonly kind: StreamKind;
}

/** Builds one stream's events and hands them to its callbacks; absent hooks cost nothing. */
export class StreamReporter {
  constructor(
    private readonly callbacks: XdsCallbacks | undefined,
    private readonly stream: ReportedStream,
  ) {}

  /** The stream opened. */
  opened(ads: boolean, typeUrl: TypeUrl | null): void {
    const { id: streamId, peer, kind } = this.stream;
    this.callbacks?.onStreamOpen?.({ streamId, peer, kind, ads, typeUrl });
  }

  /** Whether `request` reaches a hook (callers skip building the event otherwise). */
  get reportsRequests(): boolean {
    return this.callbacks?.onRequest !== undefined;
  }

  /** A request was classified. */
  request(event: Omit<RequestEvent, 'streamId' | 'nodeId'>): void {
    const hook = this.callbacks?.onRequest;
    if (hook === undefined) return;
    const { typeUrl, versionInfo, nonce, names, unsubscribe, disposition } = event;
    const { id: streamId, nodeId } = this.stream;
    hook({ streamId, nodeId, typeUrl, versionInfo, nonce, names, unsubscribe, disposition });
  }

  /** A response was handed to the transport. */
  response(typeUrl: TypeUrl, sent: SentRecord, bufferFull: boolean): void {
    const hook = this.callbacks?.onResponse;
    if (hook === undefined) return;
    const { nonce, version, removed } = sent;
    const names = sent.resources.map((r) => r.name);
    hook({
      streamId: this.stream.id,
      nodeId: this.stream.nodeId,
      typeUrl,
      version,
      nonce,
      names,
      removed,
      bufferFull,
    });
  }

  /** A NACK arrived. */
  nack(typeUrl: TypeUrl, nonce: string, version: string, detail: ErrorDetail): void {
    const { code, message } = detail;
    this.callbacks?.onNack?.({
      streamId: this.stream.id,
      nodeId: this.stream.nodeId,
      typeUrl,
      version,
      nonce,
      code,
      message,
    });
  }

  /** The stream ended. */
  closed(reason: StreamCloseReason, error: StreamClosedEvent['error']): void {
    const { id: streamId, nodeId, peer, kind } = this.stream;
    this.callbacks?.onStreamClosed?.({ streamId, nodeId, peer, kind, reason, error });
  }
}
