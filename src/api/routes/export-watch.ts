/**
 * `GET /v1/catalog/watch`: the federation export feed as Server-Sent Events, the same events as the
 * gRPC `tributary.catalog.v1.CatalogWatch/Watch` (proto/tributary/catalog/v1/catalog.proto) in JSON:
 * `event: snapshot | change | heartbeat`, `id: <epoch>-<revision>`, data `{epoch, revision, …}`.
 * Authenticated by a peer token (`Authorization: Bearer`); resumed by `Last-Event-ID`, or
 * `?epoch=&revision=`; narrowed by repeatable `namespace` and `service` (`namespace/name`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TributaryError } from '../../errors.js';
import type { Exporter } from '../../federation/exporter.js';
import {
  parseResumePoint,
  type ExportEvent,
  type ExportSession,
  type ResumePoint,
} from '../../federation/feed.js';
import { presentedSecret } from '../auth.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../query.js';
import { SseStream } from '../sse.js';

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const exportQuerySchema = z.object({
  namespace: list,
  service: list,
  epoch: z.string({ error: 'must be given once' }).optional(),
  revision: z
    .string({ error: 'must be given once' })
    .regex(/^\d{1,15}$/, 'must be a non-negative integer')
    .transform(Number)
    .optional(),
});

const exportHeadersSchema = z.object({
  'last-event-id': z
    .string({ error: 'must be given once' })
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return undefined;
      const point = parseResumePoint(text);
      if (point === undefined) ctx.addIssue('must be <epoch>-<revision>, the id of an event of this feed');
      return point;
    }),
});

/** The JSON of one event: its fields without the type, which is the SSE event name. */
function dataOf(event: ExportEvent): string {
  const { type: _type, ...data } = event;
  return JSON.stringify(data);
}

function resumeOf(
  header: ResumePoint | undefined,
  query: z.output<typeof exportQuerySchema>,
): ResumePoint | undefined {
  if (header !== undefined) return header;
  if (query.epoch === undefined || query.revision === undefined || query.revision === 0) return undefined;
  return { epoch: query.epoch, revision: query.revision };
}

/** Builds the handler. Refusals answer as problem JSON (401, 403, 400) before the stream starts. */
export function createExportWatchHandler(
  ctx: ApiContext,
  exporter: Exporter,
): (request: FastifyRequest, reply: FastifyReply) => void {
  return (request, reply) => {
    const query = parseInput(exportQuerySchema, request.query, 'query');
    const headers = parseInput(exportHeadersSchema, request.headers, 'header');
    const filter = { namespaces: query.namespace, services: query.service };
    const granted = exporter.authorize(presentedSecret(request.headers), filter);
    if (!granted.ok) {
      if (granted.reason === 'unauthenticated') reply.header('www-authenticate', 'Bearer realm="tributary"');
      const code =
        granted.reason === 'unauthenticated'
          ? 'TRB_API_UNAUTHORIZED'
          : granted.reason === 'forbidden'
            ? 'TRB_API_FORBIDDEN'
            : 'TRB_API_BAD_REQUEST';
      throw new TributaryError(code, granted.message);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'close',
    });
    res.flushHeaders();
    ctx.metrics.apiRequests.inc({ route: '/v1/catalog/watch', code: '200' });
    // The stream may close while the session sends its first events (overflow): close it then.
    const opened: { session?: ExportSession } = {};
    const stream = new SseStream(res, ctx.sse, (reason) => {
      if (opened.session !== undefined) exporter.close(opened.session);
      ctx.closing.removeEventListener('abort', onServerClose);
      request.log.debug({ reason, reqId: request.id, peer: granted.grant.peer }, 'export stream closed');
    });
    const onServerClose = (): void => stream.close();
    ctx.closing.addEventListener('abort', onServerClose, { once: true });
    const sink = {
      get closed() {
        return stream.closed;
      },
      send: (event: ExportEvent) =>
        stream.send({ id: `${event.epoch}-${event.revision}`, event: event.type, data: dataOf(event) }),
    };
    const remote = `${request.socket.remoteAddress ?? ''}:${request.socket.remotePort ?? ''}`;
    const session = exporter.start(
      granted.grant,
      { resume: resumeOf(headers['last-event-id'], query), transport: 'sse', remote },
      sink,
    );
    opened.session = session;
    if (stream.closed) exporter.close(session);
    if (ctx.closing.aborted) stream.close();
  };
}
