/**
 * The REST catalog server (ARCHITECTURE.md §2): the fastify instance and its route table, nothing
 * else. Handlers live in routes/, error shapes in problem.ts. Reads come from the catalog's
 * in-memory view and cached serialized bodies; nothing here touches SQLite.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CatalogReader } from '../catalog/view.js';
import type { Metrics } from '../observability/metrics.js';
import { BodyCache, DEFAULT_BODY_CACHE_ENTRIES } from './body-cache.js';
import type { ApiContext } from './context.js';
import { installProblemHandlers, problemOf, sendProblem } from './problem.js';
import { createCatalogHandlers, type ServiceParams } from './routes/catalog.js';
import { createHealthHandlers } from './routes/health.js';
import { createWatchHandler } from './routes/watch.js';
import { createDebugHandlers } from './routes/debug.js';
import type { XdsDebug } from '../xds/debug.js';
import { RegistrationWriter } from '../registration/writer.js';
import type { RegistrationService } from '../registration/service.js';
import { guardRead, type ApiAuth } from './auth.js';
import type { ConsulMapping } from './consul-agent-body.js';
import { registerConsulAgentRoutes } from './routes/consul-agent.js';
import { registerRegistrationRoutes } from './routes/registration.js';
import type { Exporter } from '../federation/exporter.js';
import type { PeerBoard } from '../federation/peer-board.js';
import { createExportWatchHandler } from './routes/export-watch.js';
import { createPeersHandler } from './routes/peers.js';

/** What the server needs; durations in milliseconds. */
export interface ApiServerOptions {
  readonly catalog: CatalogReader;
  readonly metrics: Metrics;
  /** Used as is (bind `{ component: 'api' }` before passing it); request lines go out at debug level. */
  readonly logger: Logger;
  /** Upper bound of a blocking query's `wait` (before jitter). Default 10 minutes. */
  readonly maxWaitMs?: number;
  /** `wait` of a blocking query that gives `index` only. Default 5 minutes. */
  readonly defaultWaitMs?: number;
  /** Interval of SSE `: keepalive` comments. Default 15 s. */
  readonly sseHeartbeatMs?: number;
  /** A watch stream is closed when more bytes than this wait in its write buffer. Default 8 MiB. */
  readonly sseMaxBufferedBytes?: number;
  /** A watch stream is closed when its write buffer stays full this long. Default 60 s. */
  readonly sseStallMs?: number;
  /** Serialized bodies kept per catalog version. Default 1000. */
  readonly bodyCacheEntries?: number;
  /** xDS debug reads for /debug/syncz and /debug/config_dump; the routes exist only when given. */
  readonly xdsDebug?: XdsDebug;
  /** Tokens, scopes and rate limits; without it every read is open and there are no write routes. */
  readonly auth?: ApiAuth;
  /** VM registration (native and Consul-agent API); the routes exist only when given (and `auth` is). */
  readonly registrations?: {
    readonly service: RegistrationService;
    /** Writes: write-through to Consul first when configured; by default the service alone. */
    readonly writer?: RegistrationWriter;
    readonly consul: ConsulMapping;
  };
  /** Federation: the export feed (`/v1/catalog/watch`) and `/v1/peers`; the routes exist only when given. */
  readonly federation?: { readonly exporter: Exporter; readonly board: PeerBoard };
}

/** A started-on-demand HTTP server; `close` answers held requests, ends streams and stops listening. */
export interface ApiServer {
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

function createContext(options: ApiServerOptions, closing: AbortSignal): ApiContext {
  return {
    catalog: options.catalog,
    metrics: options.metrics,
    cache: new BodyCache(options.bodyCacheEntries ?? DEFAULT_BODY_CACHE_ENTRIES),
    blocking: { maxWaitMs: options.maxWaitMs ?? 600_000, defaultWaitMs: options.defaultWaitMs ?? 300_000 },
    sse: {
      heartbeatMs: options.sseHeartbeatMs ?? 15_000,
      maxBufferedBytes: options.sseMaxBufferedBytes ?? 8 * 1024 * 1024,
      stallMs: options.sseStallMs ?? 60_000,
    },
    closing,
  };
}

/**
 * Counts every answered request by route pattern and status, and logs it at debug level. A plain
 * (callback) hook with one shared label object per route and status: no promise, no label object
 * and no status string per request.
 */
function installRequestObserver(app: FastifyInstance, metrics: Metrics, logger: Logger): void {
  const labels = new Map<string, Map<number, { route: string; code: string }>>();
  const labelsOf = (route: string, status: number): { route: string; code: string } => {
    let byStatus = labels.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      labels.set(route, byStatus);
    }
    let found = byStatus.get(status);
    if (found === undefined) {
      found = { route, code: String(status) };
      byStatus.set(status, found);
    }
    return found;
  };
  app.addHook('onResponse', (request, reply, done) => {
    metrics.apiRequests.inc(labelsOf(request.routeOptions.url ?? 'unmatched', reply.statusCode));
    if (logger.isLevelEnabled('debug')) {
      logger.debug(
        { reqId: request.id, method: request.method, url: request.url, status: reply.statusCode },
        'request done',
      );
    }
    done();
  });
}

/**
 * Tracks connections that never carried a request, so close() can drop them: node's server.close()
 * closes idle keep-alive connections that have served a request (closeIdleConnections), but would
 * otherwise wait for a connection a client opened ahead of use (undici does so) until that client
 * gives up. A connection leaves the set at its first request, for good: after that node's own idle
 * tracking covers it. So the per-request cost is one Set.delete, with no listener or closure.
 */
function trackIdleConnections(server: Server): () => void {
  const fresh = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    fresh.add(socket);
    socket.once('close', () => fresh.delete(socket));
  });
  server.on('request', (request: IncomingMessage) => {
    fresh.delete(request.socket);
  });
  return () => {
    for (const socket of fresh) socket.destroy();
  };
}

function registerRoutes(app: FastifyInstance, ctx: ApiContext, options: ApiServerOptions): void {
  const catalog = createCatalogHandlers(ctx);
  const health = createHealthHandlers(ctx);
  const guard = guardRead(options.auth, true);
  const read = guard === undefined ? {} : { onRequest: guard };
  app.get<{ Params: unknown }>('/v1/services', read, catalog.listServices);
  app.get<{ Params: ServiceParams }>('/v1/services/:namespace/:name', read, catalog.getService);
  app.get<{ Params: unknown }>('/v1/sources', read, catalog.listSources);
  app.get('/v1/watch', read, createWatchHandler(ctx));
  app.get('/healthz', health.healthz);
  app.get('/readyz', health.readyz);
  app.get('/metrics', health.metrics);
  if (options.federation) {
    const { exporter, board } = options.federation;
    // The export feed authenticates its peer itself: a peer token, whatever readAuth says.
    app.get('/v1/catalog/watch', createExportWatchHandler(ctx, exporter));
    app.get('/v1/peers', read, createPeersHandler(ctx, board, exporter));
  }
  if (options.xdsDebug) {
    const debug = createDebugHandlers(options.xdsDebug);
    app.get('/debug/syncz', read, debug.syncz);
    app.get('/debug/config_dump', read, debug.configDump);
  }
  if (options.registrations && options.auth) {
    const { service, consul } = options.registrations;
    const writer = options.registrations.writer ?? new RegistrationWriter(service, undefined, options.logger);
    registerRegistrationRoutes(app, service, writer, options.auth);
    registerConsulAgentRoutes(app, service, writer, options.auth, consul);
  }
}

/** Builds the REST server: catalog reads, blocking queries, SSE watch, health and metrics. */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const closing = new AbortController();
  const ctx = createContext(options, closing.signal);
  // Typed as fastify's logger interface so the instance has fastify's default type parameters.
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // Request-scoped lines name the request themselves (reqId): no pino child logger per request.
    childLoggerFactory: (parent) => parent,
    // Errors raised before routing (a malformed URL) get the same problem shape as the rest.
    frameworkErrors: (error, _request, reply) => {
      sendProblem(reply, problemOf(error));
    },
  });
  installProblemHandlers(app);
  installRequestObserver(app, options.metrics, options.logger);
  const destroyIdleConnections = trackIdleConnections(app.server);
  app.addHook('preClose', async () => {
    closing.abort();
    destroyIdleConnections();
  });
  registerRoutes(app, ctx, options);
  return {
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address() as AddressInfo;
      return { host: address.address, port: address.port };
    },
    async close() {
      await app.close();
    },
  };
}
