/**
 * Catalog reads: `GET /v1/services`, `GET /v1/services/:namespace/:name`, `GET /v1/sources`.
 * Each supports blocking queries (`?index=&wait=`), answers from cached serialized bodies of the
 * current view, and carries `X-Tributary-Index` / `X-Tributary-Epoch`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { CatalogChange, CatalogView } from '../../catalog/view.js';
import { TributaryError } from '../../errors.js';
import { serviceKeyOf } from '../../model/service.js';
import { awaitBlockingQuery, mustHold, type BlockingRequest } from '../blocking.js';
import type { ApiContext } from '../context.js';
import { blockingQuerySchema, parseQuery, servicesQuerySchema, type BlockingQuery } from '../query.js';
import { buildServiceList, buildSources, serviceJson } from '../render.js';
import { formatSelector } from '../selector.js';

/** Path parameters of the service detail route. */
export interface ServiceParams {
  readonly namespace: string;
  readonly name: string;
}

/**
 * A route handler of this module: it answers synchronously (and returns nothing) unless the request
 * is a blocking query that must wait, in which case it returns the promise of the answer.
 */
export type CatalogHandler<P = unknown> = (
  request: FastifyRequest<{ Params: P }>,
  reply: FastifyReply,
) => Promise<FastifyReply> | undefined;

/** The catalog read handlers, bound to one context. */
export interface CatalogHandlers {
  readonly listServices: CatalogHandler;
  readonly getService: CatalogHandler<ServiceParams>;
  readonly listSources: CatalogHandler;
}

type ServicesQuery = z.output<typeof servicesQuerySchema>;

const JSON_TYPE = 'application/json; charset=utf-8';
const anyChange = (): boolean => true;

/**
 * True when the request must wait (it gave the index the catalog is at). Checked before anything is
 * allocated for the wait: only such a request pays for closures, listeners and a promise.
 */
function mustWait(ctx: ApiContext, query: BlockingQuery): boolean {
  return (
    query.index !== undefined &&
    mustHold(ctx.catalog, { index: query.index, waitMs: query.wait, relevant: anyChange })
  );
}

/** Holds a blocking request until it may be answered; a closed connection releases it. */
async function hold(
  ctx: ApiContext,
  reply: FastifyReply,
  query: BlockingQuery,
  relevant: (change: CatalogChange) => boolean,
): Promise<void> {
  const request: BlockingRequest = { index: query.index, waitMs: query.wait, relevant };
  if (!mustHold(ctx.catalog, request)) return;
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  reply.raw.once('close', onClose);
  ctx.metrics.apiBlockingQueries.inc();
  try {
    await awaitBlockingQuery(ctx.catalog, request, ctx.blocking, [gone.signal, ctx.closing]);
  } finally {
    ctx.metrics.apiBlockingQueries.dec();
    reply.raw.off('close', onClose);
  }
}

/** Sets the catalog headers of `view`; called before anything that may fail, so errors carry them too. */
function setIndexHeaders(reply: FastifyReply, view: CatalogView): void {
  reply.header('x-tributary-index', String(view.revision)).header('x-tributary-epoch', view.epoch);
}

function sendCached(
  ctx: ApiContext,
  reply: FastifyReply,
  view: CatalogView,
  key: string,
  build: () => unknown,
) {
  return reply.type(JSON_TYPE).send(ctx.cache.get(view, key, build));
}

function touchesNamespace(namespace: string | undefined): (change: CatalogChange) => boolean {
  if (namespace === undefined) return anyChange;
  return (change) => change.sources.length > 0 || change.services.some((s) => s.namespace === namespace);
}

function touchesService(key: ServiceParams): (change: CatalogChange) => boolean {
  return (change) =>
    change.sources.length > 0 ||
    change.services.some((s) => s.namespace === key.namespace && s.name === key.name);
}

/**
 * Builds the handlers of the catalog read routes. Each parses its query (no zod without one), then
 * either answers at once, synchronously (the common case: no promise, no closure per request), or
 * holds a blocking query first and answers from the view current when it wakes.
 */
export function createCatalogHandlers(ctx: ApiContext): CatalogHandlers {
  const serviceList = (reply: FastifyReply, query: ServicesQuery): FastifyReply => {
    const view = ctx.catalog.view();
    setIndexHeaders(reply, view);
    const selector = query.selector ? formatSelector(query.selector) : '';
    const key = `services?${JSON.stringify([query.namespace ?? '', query.source ?? '', selector])}`;
    return sendCached(ctx, reply, view, key, () => buildServiceList(view, query));
  };

  const service = (reply: FastifyReply, { namespace, name }: ServiceParams): FastifyReply => {
    const view = ctx.catalog.view();
    setIndexHeaders(reply, view);
    const key = serviceKeyOf({ namespace, name });
    const found = view.services.get(key);
    if (found === undefined) {
      throw new TributaryError('TRB_API_NOT_FOUND', `service "${key}" not found`);
    }
    // One body per service object: kept across revisions that leave this service alone.
    return reply.type(JSON_TYPE).send(ctx.cache.getFor(found, () => serviceJson(found)));
  };

  const sources = (reply: FastifyReply): FastifyReply => {
    const view = ctx.catalog.view();
    setIndexHeaders(reply, view);
    return sendCached(ctx, reply, view, 'sources', () => buildSources(view));
  };

  return {
    listServices(request, reply) {
      const query = parseQuery(servicesQuerySchema, request.query);
      if (!mustWait(ctx, query)) {
        serviceList(reply, query);
        return undefined;
      }
      return hold(ctx, reply, query, touchesNamespace(query.namespace)).then(() => serviceList(reply, query));
    },

    getService(request, reply) {
      const query = parseQuery(blockingQuerySchema, request.query);
      const params = request.params;
      if (!mustWait(ctx, query)) {
        service(reply, params);
        return undefined;
      }
      return hold(ctx, reply, query, touchesService(params)).then(() => service(reply, params));
    },

    listSources(request, reply) {
      const query = parseQuery(blockingQuerySchema, request.query);
      if (!mustWait(ctx, query)) {
        sources(reply);
        return undefined;
      }
      return hold(ctx, reply, query, anyChange).then(() => sources(reply));
    },
  };
}
