/**
 * Liveness, readiness and metrics: `GET /healthz`, `GET /readyz`, `GET /metrics`.
 * Readiness is the catalog's: every source synced once, or state loaded from disk at start.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SourceState } from '../../registry.js';
import type { ApiContext } from '../context.js';

/** The body of `GET /readyz` (200 when ready, 503 when not). */
export interface ReadinessBody {
  readonly ready: boolean;
  readonly revision: number;
  readonly sources: readonly { readonly id: string; readonly state: SourceState }[];
}

/** A handler of this module. */
export type HealthHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** The health and metrics handlers, bound to one context. */
export interface HealthHandlers {
  readonly healthz: HealthHandler;
  readonly readyz: HealthHandler;
  readonly metrics: HealthHandler;
}

/** Builds the health and metrics handlers. */
export function createHealthHandlers(ctx: ApiContext): HealthHandlers {
  return {
    async healthz(_request, reply) {
      return reply.send({ status: 'ok' });
    },

    async readyz(_request, reply) {
      const view = ctx.catalog.view();
      const ready = ctx.catalog.ready();
      const sources = [...view.sources.values()].map(({ id, state }) => ({ id, state }));
      const body: ReadinessBody = { ready, revision: view.revision, sources };
      return reply.code(ready ? 200 : 503).send(body);
    },

    async metrics(_request, reply) {
      ctx.metrics.observeView(ctx.catalog.view());
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  };
}
