/**
 * Every metric of the daemon, named once (STYLE.md: `tributary_<subsystem>_<thing>_<unit>`), in
 * one prom-client Registry of its own (never the global default, so tests and embedders can
 * create several). Subsystems update the metrics through the fields of `Metrics`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CatalogView } from '../catalog/view.js';

/** The metrics registry and every metric in it. */
export interface Metrics {
  readonly registry: Registry;
  /** Current catalog revision. */
  readonly catalogRevision: Gauge;
  /** Services in the catalog. */
  readonly catalogServices: Gauge;
  /** Endpoints in the catalog, over all services. */
  readonly catalogEndpoints: Gauge;
  /** 1 when the source is synced or degraded (serving data), 0 when syncing or down. */
  readonly sourceUp: Gauge<'source'>;
  /** Records a source sent that validation rejected. */
  readonly sourceRecordsRejected: Counter<'source'>;
  /** Batches the pipeline handed to the catalog. */
  readonly pipelineBatches: Counter;
  /** Time to apply one batch to the catalog (SQLite transaction + view update). */
  readonly pipelineBatchApplySeconds: Histogram;
  /** REST requests by route pattern and status code. */
  readonly apiRequests: Counter<'route' | 'code'>;
  /** Blocking queries currently held. */
  readonly apiBlockingQueries: Gauge;
  /** Open SSE watch streams. */
  readonly apiWatchStreams: Gauge;
  /** Open xDS streams by flavour (sotw, delta). */
  readonly xdsStreams: Gauge<'kind'>;
  /** xDS requests by type and how the engine classified them (initial, ack, nack, stale, …). */
  readonly xdsRequests: Counter<'type' | 'disposition'>;
  /** xDS responses written, by type. */
  readonly xdsResponses: Counter<'type'>;
  /** NACKs received, by type. */
  readonly xdsNacks: Counter<'type'>;
  /** Resources encoded, by type (once per content version, however many streams receive it). */
  readonly xdsEncodes: Counter<'type'>;
  /** Catalog commit → response handed to a stream, for pushes of a newer revision. */
  readonly xdsPushSeconds: Histogram;
  /** Sets the catalog and source gauges from a view. */
  observeView(view: CatalogView): void;
}

function countEndpoints(view: CatalogView): number {
  let total = 0;
  for (const service of view.services.values()) total += service.endpoints.length;
  return total;
}

type MetricFields = Omit<Metrics, 'registry' | 'observeView'>;

function createCatalogMetrics(registers: Registry[]) {
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  return {
    catalogRevision: gauge('tributary_catalog_revision', 'Current catalog revision.'),
    catalogServices: gauge('tributary_catalog_services', 'Services in the catalog.'),
    catalogEndpoints: gauge('tributary_catalog_endpoints', 'Endpoints in the catalog, over all services.'),
    sourceUp: new Gauge({
      name: 'tributary_source_up',
      help: '1 when the source is synced or degraded, 0 when syncing or down.',
      labelNames: ['source'] as const,
      registers,
    }),
  };
}

function createPipelineMetrics(registers: Registry[]) {
  return {
    sourceRecordsRejected: new Counter({
      name: 'tributary_source_records_rejected_total',
      help: 'Records a source sent that validation rejected.',
      labelNames: ['source'] as const,
      registers,
    }),
    pipelineBatches: new Counter({
      name: 'tributary_pipeline_batches_total',
      help: 'Batches the pipeline handed to the catalog.',
      registers,
    }),
    pipelineBatchApplySeconds: new Histogram({
      name: 'tributary_pipeline_batch_apply_seconds',
      help: 'Time to apply one batch to the catalog.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}

function createApiMetrics(registers: Registry[]) {
  return {
    apiRequests: new Counter({
      name: 'tributary_api_requests_total',
      help: 'REST requests by route pattern and status code.',
      labelNames: ['route', 'code'] as const,
      registers,
    }),
    apiBlockingQueries: new Gauge({
      name: 'tributary_api_blocking_queries',
      help: 'Blocking queries currently held.',
      registers,
    }),
    apiWatchStreams: new Gauge({
      name: 'tributary_api_watch_streams',
      help: 'Open SSE watch streams.',
      registers,
    }),
  };
}

function createXdsMetrics(registers: Registry[]) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers });
  return {
    xdsStreams: new Gauge({
      name: 'tributary_xds_streams',
      help: 'Open xDS streams by flavour.',
      labelNames: ['kind'] as const,
      registers,
    }),
    xdsRequests: counter('tributary_xds_requests_total', 'xDS requests by type and disposition.', [
      'type',
      'disposition',
    ] as const),
    xdsResponses: counter('tributary_xds_responses_total', 'xDS responses written, by type.', [
      'type',
    ] as const),
    xdsNacks: counter('tributary_xds_nacks_total', 'NACKs received, by type.', ['type'] as const),
    xdsEncodes: counter(
      'tributary_xds_encodes_total',
      'Resources encoded, by type (once per content version).',
      ['type'] as const,
    ),
    xdsPushSeconds: new Histogram({
      name: 'tributary_xds_push_seconds',
      help: 'Catalog commit to response handed to a stream, for pushes of a newer revision.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

/** Creates a registry with the default process metrics and every Tributary metric. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const fields: MetricFields = {
    ...createCatalogMetrics(registers),
    ...createPipelineMetrics(registers),
    ...createApiMetrics(registers),
    ...createXdsMetrics(registers),
  };
  const { catalogRevision, catalogServices, catalogEndpoints, sourceUp } = fields;
  return {
    registry,
    ...fields,
    observeView(view) {
      catalogRevision.set(view.revision);
      catalogServices.set(view.services.size);
      catalogEndpoints.set(countEndpoints(view));
      sourceUp.reset();
      for (const source of view.sources.values()) {
        sourceUp.set({ source: source.id }, source.state === 'synced' || source.state === 'degraded' ? 1 : 0);
      }
    },
  };
}
