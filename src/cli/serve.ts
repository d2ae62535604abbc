/**
 * The composition root: config → registries → pipeline → catalog → servers. Nothing else wires
 * modules together. `stop()` stops the sources, commits the last batch, closes servers and the
 * database, in that order.
 */
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import { registryFactories } from '../../registries/index.js';
import { restRegistryFactory, type RestSourceConfig } from '../../registries/rest/index.js';
import { restSourceSchema } from '../../registries/rest/config.js';
import type { ApiAuth } from '../api/auth.js';
import { TokenBuckets } from '../auth/rate-limit.js';
import { loadTokens } from '../auth/tokens.js';
import { RegistrationService } from '../registration/service.js';
import { RegistrationStore } from '../registration/store.js';
import { RegistrationWriter } from '../registration/writer.js';
import { ConsulMirror } from '../registration/consul-mirror.js';
import { createApiServer, type ApiServer } from '../api/server.js';
import { Catalog } from '../catalog/catalog.js';
import { CatalogStore } from '../catalog/store.js';
import type { Config } from '../config/load.js';
import { describeError } from '../errors.js';
import { createMetrics } from '../observability/metrics.js';
import { runPipeline } from '../pipeline/merge.js';
import type { RegistrationFeed } from '../model/registration.js';
import type { Registry } from '../registry.js';
import { createXdsDebug } from '../xds/debug.js';
import { observeXds } from '../xds/observe.js';
import { PushScheduler } from '../xds/push-scheduler.js';
import { ResourceCache } from '../xds/resource-cache.js';
import { StreamRegistry } from '../xds/stream-registry.js';
import { XdsServer } from '../xds/transport.js';
import { TYPE_URLS, type TypeUrl } from '../xds/types.js';
import { shortType } from '../xds/observe.js';
import { Exporter } from '../federation/exporter.js';
import { PeerBoard } from '../federation/peer-board.js';
import { ExportPolicy } from '../federation/policy.js';

/** A running daemon. */
export interface Daemon {
  readonly catalog: Catalog;
  readonly httpAddress: { host: string; port: number };
  readonly grpcAddress: { host: string; port: number };
  /** Resolves once the pipeline has flushed and everything is closed. */
  stop(): Promise<void>;
}

function createRegistries(
  config: Config,
  registrations: RegistrationFeed | undefined,
  peers: PeerBoard,
): Registry[] {
  const factories = new Map(registryFactories.map((f) => [f.kind, f]));
  return config.sources.map((source) => {
    const factory = factories.get(source.kind)!;
    return factory.create(source.id, source.settings, {
      baseDir: config.baseDir,
      peers,
      ...(registrations ? { registrations } : {}),
    });
  });
}

/** The ids of the configured sources that import from peers (never exported again). */
function importedSourceIds(config: Config): Set<string> {
  const importing = new Set(registryFactories.filter((f) => f.imports === true).map((f) => f.kind));
  return new Set(config.sources.filter((s) => importing.has(s.kind)).map((s) => s.id));
}

/** The registration store and service when a `rest` source is configured (one at most). */
function openRegistrations(
  config: Config,
  dbPath: string,
  logger: Logger,
):
  | {
      service: RegistrationService;
      store: RegistrationStore;
      writer: RegistrationWriter;
      settings: RestSourceConfig;
    }
  | undefined {
  const source = config.sources.find((s) => s.kind === restRegistryFactory.kind);
  if (source === undefined) return undefined;
  const settings = source.settings as RestSourceConfig;
  const store = RegistrationStore.open(dbPath);
  const service = new RegistrationService(store, {
    defaultTtlMs: settings.ttl,
    defaultGraceMs: settings.grace,
    maxRegistrations: settings.maxRegistrations,
    logger: logger.child({ component: 'registration', source: source.id }),
  });
  service.start();
  const log = logger.child({ component: 'registration', source: source.id });
  const mirror =
    settings.registrationStore === 'consul'
      ? new ConsulMirror(
          settings.consul ?? restSourceSchema.shape.consul.unwrap().parse({}),
          { namespaceMetaKey: settings.consulNamespaceMetaKey },
          log,
          config.baseDir,
        )
      : undefined;
  const writer = new RegistrationWriter(service, mirror, log);
  logger.info(
    { source: source.id, registrations: store.size, writeThrough: writer.store },
    'registration store opened',
  );
  if (mirror) void writer.resync();
  return { service, store, writer, settings };
}

/** Starts the daemon: warm catalog first, then the HTTP server, then the sources. */
export async function startDaemon(config: Config, logger: Logger): Promise<Daemon> {
  const dbPath = join(config.dataDir, 'tributary.db');
  const catalog = new Catalog(CatalogStore.open(dbPath), {
    domain: config.domain,
    sources: config.sources.map((s) => ({ id: s.id, kind: s.kind, priority: s.priority })),
    changeLogSize: config.catalog.changeLogSize,
  });
  const initial = catalog.view();
  logger.info(
    {
      db: dbPath,
      epoch: initial.epoch,
      revision: initial.revision,
      services: initial.services.size,
      warm: catalog.warmStarted,
    },
    catalog.warmStarted
      ? 'catalog loaded from disk; serving it as stale until sources sync'
      : 'catalog opened',
  );
  const tokens = await loadTokens(config.auth, config.baseDir);
  const auth: ApiAuth = {
    tokens,
    buckets: new TokenBuckets(config.auth.rateLimit),
    readAuth: config.auth.readAuth,
  };
  const registrations = openRegistrations(config, dbPath, logger);
  if (tokens.size === 0 && (registrations !== undefined || auth.readAuth === 'token')) {
    logger.warn(
      { readAuth: auth.readAuth },
      'no API tokens configured (auth.tokens, auth.tokensFile): every request that needs a token is refused',
    );
  }
  const metrics = createMetrics();
  // The catalog gauges are set when /metrics is scraped (observeView there), not per batch: a batch
  // must not cost a walk over every service.
  const subscriptions: Subscription[] = [];

  const xdsLog = logger.child({ component: 'xds' });
  const resources = new ResourceCache(catalog, {
    domain: config.domain,
    debounceMs: config.xds.debounce,
    maxDelayMs: config.xds.maxDelay,
    onError: (error, service) =>
      xdsLog.error({ service, error: describeError(error) }, 'xds resources of a service could not be built'),
    // Cold start: listen first; a read encodes what it asks for, warmUp() encodes the rest after listen.
    initialBuild: 'on-demand',
    // Endpoints imported from peers (other clouds) fail over behind local ones (ARCHITECTURE.md §4).
    endpointPriority: { priorityOf: (e) => (e.origin === '' ? 0 : config.federation.importedPriority) },
  });
  resources.start();
  const syncEncodes = trackEncodes(resources, metrics);
  subscriptions.push(resources.changes().subscribe(syncEncodes));
  // On-demand listeners and routes are encoded outside the change feed: mirror the counts every second.
  const encodeTimer = setInterval(syncEncodes, 1000).unref();
  const scheduler = new PushScheduler();
  const streams = new StreamRegistry();
  const observed = observeXds(metrics, xdsLog, catalog.changes());
  const peers = new PeerBoard();
  const exporter = new Exporter({
    catalog,
    policy: new ExportPolicy(config.federation.exports),
    tokens,
    importedSources: importedSourceIds(config),
    heartbeatMs: config.federation.heartbeat,
  });
  const xds = new XdsServer({
    exporter,
    source: resources,
    scheduler,
    callbacks: observed.callbacks,
    registry: streams,
    keepaliveMs: config.xds.keepalive,
  });

  const api: ApiServer = createApiServer({
    xdsDebug: createXdsDebug(streams, resources),
    catalog,
    metrics,
    logger: logger.child({ component: 'api' }),
    maxWaitMs: config.api.maxWait,
    defaultWaitMs: config.api.defaultWait,
    auth,
    federation: { exporter, board: peers },
    ...(registrations
      ? {
          registrations: {
            service: registrations.service,
            writer: registrations.writer,
            consul: {
              defaultNamespace: registrations.settings.consulDefaultNamespace,
              namespaceMetaKey: registrations.settings.consulNamespaceMetaKey,
            },
          },
        }
      : {}),
  });
  let httpAddress: { host: string; port: number };
  let grpcAddress: { host: string; port: number };
  try {
    httpAddress = await api.listen(config.http.host, config.http.port);
    grpcAddress = await xds.listen(config.grpc.host, config.grpc.port);
  } catch (error) {
    await api.close();
    await xds.close();
    resources.stop();
    observed.stop();
    registrations?.service.stop();
    await registrations?.writer.close();
    registrations?.store.close();
    catalog.close();
    throw error;
  }

  const warmStarted = process.hrtime.bigint();
  resources.warmUp(() =>
    xdsLog.info(
      {
        clusters: resources.encodes[TYPE_URLS.cluster],
        endpoints: resources.encodes[TYPE_URLS.endpoint],
        ms: Math.round(Number(process.hrtime.bigint() - warmStarted) / 1e6),
      },
      'xds resources encoded',
    ),
  );

  const stop$ = new Subject<void>();
  const pipelineLog = logger.child({ component: 'pipeline' });
  const flushed = new Promise<void>((resolvePipeline) => {
    subscriptions.push(
      runPipeline(createRegistries(config, registrations?.service, peers), {
        windowMs: config.pipeline.window,
        backoff: { baseMs: config.pipeline.retryBase, maxMs: config.pipeline.retryMax },
        stop$,
        onSourceError: (source, error, retryInMs) =>
          pipelineLog.warn({ source, error: describeError(error), retryInMs }, 'source failed; restarting'),
      }).subscribe({
        next: (batch) => {
          const started = process.hrtime.bigint();
          try {
            const change = catalog.apply(batch);
            metrics.pipelineBatches.inc();
            metrics.pipelineBatchApplySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
            if (change)
              pipelineLog.debug(
                { revision: change.revision, services: change.services.length },
                'batch applied',
              );
          } catch (error) {
            pipelineLog.error(
              { error: describeError(error) },
              'batch could not be committed; sources will resend on their next change',
            );
          }
        },
        error: (error: unknown) => {
          pipelineLog.error({ error: describeError(error) }, 'pipeline failed');
          resolvePipeline();
        },
        complete: () => resolvePipeline(),
      }),
    );
  });
  logger.info(
    {
      http: `http://${httpAddress.host}:${httpAddress.port}`,
      grpc: `${grpcAddress.host}:${grpcAddress.port}`,
      sources: config.sources.map((s) => s.id),
    },
    'listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stop$.next();
      stop$.complete();
      await flushed;
      exporter.stop();
      await api.close();
      await xds.close();
      clearInterval(encodeTimer);
      scheduler.stop();
      resources.stop();
      observed.stop();
      for (const s of subscriptions) s.unsubscribe();
      registrations?.service.stop();
      await registrations?.writer.close();
      registrations?.store.close();
      catalog.close();
      logger.info({ revision: catalog.view().revision }, 'stopped');
    })());
  return { catalog, httpAddress, grpcAddress, stop };
}

/** Feeds the cache's encode counts into the metrics counter (it counts; the metric mirrors it). */
function trackEncodes(resources: ResourceCache, metrics: ReturnType<typeof createMetrics>): () => void {
  const seen = new Map<TypeUrl, number>();
  const sync = (): void => {
    for (const [typeUrl, count] of Object.entries(resources.encodes) as [TypeUrl, number][]) {
      const delta = count - (seen.get(typeUrl) ?? 0);
      if (delta > 0) metrics.xdsEncodes.inc({ type: shortType(typeUrl) }, delta);
      seen.set(typeUrl, count);
    }
  };
  sync();
  return sync;
}
