/** The progress every peer source reports (PeerProgressSink), kept for `GET /v1/peers`. */
import type { PeerProgress, PeerProgressSink } from '../model/peer.js';

export class PeerBoard implements PeerProgressSink {
  private readonly peers = new Map<string, PeerProgress>();

  report(progress: PeerProgress): void {
    this.peers.set(progress.sourceId, progress);
  }

  forget(sourceId: string): void {
    this.peers.delete(sourceId);
  }

  /** The last progress of each peer source, by source id. */
  get(sourceId: string): PeerProgress | undefined {
    return this.peers.get(sourceId);
  }
}
