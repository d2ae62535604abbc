/** IPC between the bench driver and a proxy worker process (structured clone: typed arrays pass as copies). */

/** What one worker simulates. */
export interface FleetInit {
  /** `host:port` of the daemon's gRPC listener. */
  readonly target: string;
  /** Resource (cluster = CLA) names; a subscription is an index into this table. */
  readonly names: readonly string[];
  /** Subscriptions of stream i are subs[subOffsets[i] .. subOffsets[i + 1]). */
  readonly subs: Int32Array;
  readonly subOffsets: Int32Array;
  /** Global index of this worker's first stream (logs carry global indexes). */
  readonly streamBase: number;
  readonly nodePrefix: string;
  /** Also subscribe CDS by the same names, as a gRPC client does. */
  readonly cds: boolean;
  /** 1 = "real" (one stream per HTTP/2 connection), 100 = "dense". */
  readonly streamsPerConnection: number;
  /** Capacity of the response log and of the per-resource log. */
  readonly logCapacity: number;
  readonly resourceCapacity: number;
}

export type WorkerCommand =
  | { readonly cmd: 'init'; readonly init: FleetInit }
  | { readonly cmd: 'connect'; readonly concurrency: number; readonly timeoutMs: number }
  | { readonly cmd: 'mark' }
  | { readonly cmd: 'status' }
  | { readonly cmd: 'collect' }
  | { readonly cmd: 'close' };

export interface WorkerRequest {
  readonly id: number;
  readonly command: WorkerCommand;
}

export interface WorkerReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** A point-in-time reading of a worker: monotonic time (ms), its CPU, event-loop delay since the last mark. */
export interface Mark {
  readonly time: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  /** p99 / max of event-loop delay since the previous mark, resolution subtracted (ms). */
  readonly eldP99Ms: number;
  readonly eldMaxMs: number;
  readonly responses: number;
  readonly bytes: number;
}

export interface ConnectResult {
  readonly startMs: number;
  /** Time the last stream held every subscribed resource (ms, monotonic), or -1. */
  readonly readyMs: number;
  readonly ready: number;
  readonly streams: number;
  readonly connections: number;
  readonly errors: readonly string[];
}

/** Correctness and volume counters of one worker. */
export interface Counters {
  responses: number;
  edsResponses: number;
  cdsResponses: number;
  resources: number;
  bytes: number;
  acks: number;
  /** A response whose revision is lower than one already received on that stream for that type. */
  stale: number;
  /** A response reusing the previous nonce of the stream. */
  duplicateNonce: number;
  /** A response with another epoch than the first one seen. */
  epochChanges: number;
  /** Resource names not in the table (not subscribed by anyone). */
  unknownNames: number;
  /** Resources delivered to a stream that did not subscribe them. */
  unsubscribed: number;
  /** Streams or sessions that ended or failed while not closing. */
  resets: number;
  /** Non-OK gRPC status / HTTP status / unparsable message. */
  errors: number;
  /** Entries dropped because a log was full. */
  logOverflow: number;
  unknownTypes: number;
}

export function emptyCounters(): Counters {
  return {
    responses: 0,
    edsResponses: 0,
    cdsResponses: 0,
    resources: 0,
    bytes: 0,
    acks: 0,
    stale: 0,
    duplicateNonce: 0,
    epochChanges: 0,
    unknownNames: 0,
    unsubscribed: 0,
    resets: 0,
    errors: 0,
    logOverflow: 0,
    unknownTypes: 0,
  };
}

/** One response per entry; resources of entry i are res[resStart[i] .. resStart[i] + resCount[i]). */
export interface DeliveryLog {
  readonly length: number;
  readonly stream: Int32Array;
  /** 0 = EDS, 1 = CDS. */
  readonly type: Uint8Array;
  readonly revision: Int32Array;
  /** Receive time, ms of CLOCK_MONOTONIC (process.hrtime). */
  readonly time: Float64Array;
  /** Size of the DiscoveryResponse message (bytes, without the 5-byte gRPC prefix). */
  readonly bytes: Int32Array;
  readonly resStart: Int32Array;
  readonly resCount: Int32Array;
  readonly res: Int32Array;
}

export interface Collected {
  readonly counters: Counters;
  readonly log: DeliveryLog;
  readonly epoch: string;
  readonly errorSamples: readonly string[];
}

export const TYPE_EDS = 0;
export const TYPE_CDS = 1;

/** Monotonic milliseconds (CLOCK_MONOTONIC, comparable between processes on one host). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
