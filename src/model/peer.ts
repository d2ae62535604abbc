/**
 * Federation between Tributaries (ARCHITECTURE.md §6): what a peer source reports about its import
 * beside its SourceEvents, so `GET /v1/peers` and `tributary peers` can show each peer's revision
 * and lag. The daemon gives a sink to every factory; only the `peer` kind writes to it.
 */

/** Where one peer source stands in the peer's export feed. */
export interface PeerProgress {
  /** The peer source id (`peer/<name>`). */
  readonly sourceId: string;
  /** The peer's name: the origin stamped on every endpoint imported from it. */
  readonly peer: string;
  /** The peer's export address, as configured. */
  readonly address: string;
  /** True while the export stream is open. */
  readonly connected: boolean;
  /** The peer's catalog epoch last seen; '' before the first event. */
  readonly epoch: string;
  /** The peer revision whose state is applied here (0 before the first snapshot). */
  readonly revision: number;
  /** The newest revision the peer announced (a heartbeat carries its head). */
  readonly headRevision: number;
  /** ISO time of the last event (snapshot, change or heartbeat) from the peer; null before the first. */
  readonly lastEventAt: string | null;
  /** Services and endpoints imported now. */
  readonly services: number;
  readonly endpoints: number;
}

/** Receives each peer source's progress as it changes; `forget` when the source stops. */
export interface PeerProgressSink {
  report(progress: PeerProgress): void;
  forget(sourceId: string): void;
}
