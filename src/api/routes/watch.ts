/**
 * `GET /v1/watch?since=<revision>&namespace=<ns>`: the catalog change feed as Server-Sent Events.
 * Resume point: the `Last-Event-ID` header, else `?since`. Missed changes are replayed from
 * `catalog.since()`; with no resume point, a resume point the change log no longer reaches, or one
 * from another database, the stream starts with an `event: snapshot`. Then one `event: change`
 * per committed revision, `id:` being the revision, and a `: keepalive` comment every heartbeat.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Subscription } from 'rxjs';
import type { CatalogChange, CatalogView } from '../../catalog/view.js';
import type { ApiContext } from '../context.js';
import { parseInput, watchHeadersSchema, watchQuerySchema } from '../query.js';
import { buildChange, buildSnapshot } from '../render.js';
import { SseStream } from '../sse.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  // The stream owns its connection: closing it after the response lets server shutdown finish at once.
  connection: 'close',
} as const;

/** One client's feed: what it has been sent, and how to send the next change. */
class WatchSession {
  #epoch = '';
  #lastSent = -1;

  constructor(
    private readonly ctx: ApiContext,
    private readonly stream: SseStream,
    private readonly namespace: string | undefined,
  ) {}

  /** Sends the replay or the snapshot that brings the client to the current view. */
  start(resumeFrom: number | undefined): void {
    const view = this.ctx.catalog.view();
    const replay =
      resumeFrom !== undefined && resumeFrom <= view.revision
        ? this.ctx.catalog.since(resumeFrom)
        : undefined;
    if (replay === undefined) {
      this.#sendSnapshot(view);
      return;
    }
    this.#epoch = view.epoch;
    this.#lastSent = resumeFrom ?? -1;
    for (const change of replay) this.onChange(change);
  }

  /** Sends one change, or a fresh snapshot when the catalog's epoch changed under the client. */
  onChange(change: CatalogChange): void {
    if (this.stream.closed) return;
    const view = this.ctx.catalog.view();
    if (change.epoch !== this.#epoch) {
      this.#sendSnapshot(view);
      return;
    }
    if (change.revision <= this.#lastSent) return;
    this.#lastSent = change.revision;
    if (!this.#concerns(change)) return;
    const key = `watch-change?${change.revision}&${this.namespace ?? ''}`;
    const data = this.ctx.cache.get(view, key, () => buildChange(view, change, this.namespace));
    this.stream.send({ id: change.revision, event: 'change', data });
  }

  /** A namespace-limited stream skips changes that touch neither its namespace nor a source. */
  #concerns(change: CatalogChange): boolean {
    const namespace = this.namespace;
    if (namespace === undefined || change.sources.length > 0) return true;
    return change.services.some((service) => service.namespace === namespace);
  }

  #sendSnapshot(view: CatalogView): void {
    const key = `watch-snapshot?${this.namespace ?? ''}`;
    const data = this.ctx.cache.get(view, key, () => buildSnapshot(view, this.namespace));
    this.#epoch = view.epoch;
    this.#lastSent = view.revision;
    this.stream.send({ id: view.revision, event: 'snapshot', data });
  }
}

/** Builds the `GET /v1/watch` handler. Validation errors answer as JSON before the stream starts. */
export function createWatchHandler(ctx: ApiContext): (request: FastifyRequest, reply: FastifyReply) => void {
  return (request, reply) => {
    const query = parseInput(watchQuerySchema, request.query, 'query');
    const headers = parseInput(watchHeadersSchema, request.headers, 'header');
    const resumeFrom = headers['last-event-id'] ?? query.since;

    reply.hijack();
    const res = reply.raw;
    const view = ctx.catalog.view();
    res.writeHead(200, {
      ...SSE_HEADERS,
      'x-tributary-index': String(view.revision),
      'x-tributary-epoch': view.epoch,
    });
    res.flushHeaders();
    ctx.metrics.apiRequests.inc({ route: '/v1/watch', code: '200' });
    ctx.metrics.apiWatchStreams.inc();

    const subscriptions = new Subscription();
    const stream = new SseStream(res, ctx.sse, (reason) => {
      subscriptions.unsubscribe();
      ctx.closing.removeEventListener('abort', onServerClose);
      ctx.metrics.apiWatchStreams.dec();
      request.log.debug({ reason, reqId: request.id }, 'watch stream closed');
    });
    const onServerClose = (): void => stream.close();
    ctx.closing.addEventListener('abort', onServerClose, { once: true });
    const session = new WatchSession(ctx, stream, query.namespace);
    subscriptions.add(
      ctx.catalog.changes().subscribe({
        next: (change) => session.onChange(change),
        error: () => stream.close(),
        complete: () => stream.close(),
      }),
    );
    if (!stream.closed) session.start(resumeFrom);
    if (ctx.closing.aborted) stream.close();
  };
}
