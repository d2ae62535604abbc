/**
 * `GET /v1/peers`: federation at a glance. `imports`: each peer source (what the catalog knows of it
 * plus its progress in the peer's feed: epoch, revision, head, lag); `exports`: each peer the export
 * policy names, with its open watch streams.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Exporter } from '../../federation/exporter.js';
import type { PeerBoard } from '../../federation/peer-board.js';
import type { ApiContext } from '../context.js';

/** One peer source as `/v1/peers` lists it. */
export interface PeerImportJson {
  readonly source: string;
  readonly peer: string;
  readonly address: string;
  readonly state: string;
  readonly stale: boolean;
  readonly connected: boolean;
  readonly epoch: string;
  readonly revision: number;
  readonly headRevision: number;
  /** Revisions the peer has that are not applied here yet. */
  readonly lagRevisions: number;
  /** Milliseconds since the last event from the peer; null before the first. */
  readonly lastEventAgoMs: number | null;
  readonly services: number;
  readonly endpoints: number;
  readonly lastError: string | null;
}

export interface PeersJson {
  readonly imports: readonly PeerImportJson[];
  readonly exports: readonly {
    readonly peer: string;
    readonly streams: ReturnType<Exporter['list']>;
  }[];
}

/** The body of `/v1/peers` now. */
export function buildPeers(ctx: ApiContext, board: PeerBoard, exporter: Exporter, now: number): PeersJson {
  const imports: PeerImportJson[] = [];
  for (const source of ctx.catalog.view().sources.values()) {
    const progress = board.get(source.id);
    if (progress === undefined) continue;
    imports.push({
      source: source.id,
      peer: progress.peer,
      address: progress.address,
      state: source.state,
      stale: source.stale,
      connected: progress.connected,
      epoch: progress.epoch,
      revision: progress.revision,
      headRevision: progress.headRevision,
      lagRevisions: Math.max(0, progress.headRevision - progress.revision),
      lastEventAgoMs:
        progress.lastEventAt === null ? null : Math.max(0, now - Date.parse(progress.lastEventAt)),
      services: source.services,
      endpoints: source.endpoints,
      lastError: source.lastError,
    });
  }
  const streams = exporter.list();
  const peers = [...new Set([...exporter.peers, ...streams.map((s) => s.peer)])];
  return {
    imports,
    exports: peers.map((peer) => ({ peer, streams: streams.filter((s) => s.peer === peer) })),
  };
}

export function createPeersHandler(
  ctx: ApiContext,
  board: PeerBoard,
  exporter: Exporter,
): (request: FastifyRequest, reply: FastifyReply) => Promise<PeersJson> {
  return async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return buildPeers(ctx, board, exporter, Date.now());
  };
}
