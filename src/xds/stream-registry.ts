/**
 * Live xDS streams, for /debug/syncz (after Istio's syncz): who is connected, what each stream
 * subscribes to, what it was last sent and what it ACKed or NACKed. Reads engine state on demand;
 * everything returned is plain JSON-able data.
 */
import type { StreamKind } from './callbacks.js';
import type { SubscriptionStatus } from './subscription.js';

/** JSON-able view of one stream. */
export interface StreamSnapshot {
  readonly streamId: number;
  /** '' until the first request carrying a node arrives. */
  readonly nodeId: string;
  readonly userAgent: string;
  readonly peer: string;
  readonly kind: StreamKind;
  readonly ads: boolean;
  /** The fixed type of a per-type stream, else null. */
  readonly typeUrl: string | null;
  /** ISO timestamp. */
  readonly openedAt: string;
  readonly types: readonly SubscriptionStatus[];
}

/** A stream that can describe itself. */
export interface RegisteredStream {
  readonly id: number;
  /** '' until the node is known. */
  readonly nodeId: string;
  /** `detailed` adds per-resource versions. */
  status(detailed: boolean): StreamSnapshot;
}

/** The set of live streams. */
export class StreamRegistry {
  private readonly streams = new Map<number, RegisteredStream>();

  /** Number of live streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Track a stream (engines call this when they open). */
  add(stream: RegisteredStream): void {
    this.streams.set(stream.id, stream);
  }

  /** Stop tracking a stream (engines call this when they close). */
  remove(stream: RegisteredStream): void {
    this.streams.delete(stream.id);
  }

  /** Every live stream, without per-resource versions, ordered by stream id. */
  snapshot(): StreamSnapshot[] {
    return [...this.streams.values()].map((s) => s.status(false));
  }

  /** The live streams of one node (a node may hold several, e.g. per-type streams), with versions. */
  find(nodeId: string): StreamSnapshot[] {
    return [...this.streams.values()].filter((s) => s.nodeId === nodeId).map((s) => s.status(true));
  }
}
