/**
 * Pure projections from a CatalogView to the JSON bodies of the REST API. Explicit projections
 * keep the wire shape stable whatever extra fields the in-memory view carries. These types are
 * also what the CLI decodes.
 */
import type {
  CatalogChange,
  CatalogEndpoint,
  CatalogService,
  CatalogView,
  SourceStatus,
} from '../catalog/view.js';
import type { Locality, Provenance } from '../model/endpoint.js';
import { catalogVersionOf } from '../model/revision.js';
import { serviceKeyOf, type ServicePort } from '../model/service.js';
import { matchesSelector, type Selector } from './selector.js';

/** An endpoint as the API shows it. */
export interface EndpointJson {
  readonly address: string;
  readonly port: number;
  readonly servicePort: number;
  readonly health: CatalogEndpoint['health'];
  readonly weight: number;
  readonly locality: Locality;
  readonly labels: Readonly<Record<string, string>>;
  readonly instanceId: string;
  readonly cluster: string;
  readonly network: string;
  readonly stale: boolean;
  readonly sourceId: string;
  readonly origins: readonly Provenance[];
}

/** `GET /v1/services/:namespace/:name`: the full service. */
export interface ServiceJson {
  readonly namespace: string;
  readonly name: string;
  readonly hostname: string;
  readonly ports: readonly ServicePort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly sources: readonly string[];
  readonly revision: number;
  readonly endpoints: readonly EndpointJson[];
}

/** One row of `GET /v1/services`: the service without its endpoints, with counts instead. */
export interface ServiceSummary extends Omit<ServiceJson, 'endpoints'> {
  readonly endpoints: number;
  readonly healthy: number;
  /** True when any endpoint is stale. */
  readonly stale: boolean;
}

/** `GET /v1/services`. */
export interface ServiceListBody {
  readonly revision: number;
  readonly version: string;
  readonly services: readonly ServiceSummary[];
}

/** `GET /v1/sources`. */
export interface SourcesBody {
  readonly revision: number;
  readonly version: string;
  readonly sources: readonly SourceStatus[];
}

/** Data of an SSE `snapshot` event. */
export interface SnapshotEventBody {
  readonly revision: number;
  readonly version: string;
  readonly services: readonly ServiceJson[];
}

/** One service of an SSE `change` event; `service` is there when it was upserted and still exists. */
export interface ServiceChangeJson {
  readonly namespace: string;
  readonly name: string;
  readonly op: 'upsert' | 'delete';
  readonly service?: ServiceJson;
}

/** Data of an SSE `change` event. */
export interface ChangeEventBody {
  readonly revision: number;
  readonly version: string;
  readonly services: readonly ServiceChangeJson[];
  readonly sources: readonly string[];
}

/** Which services `GET /v1/services` lists; absent fields do not filter. */
export interface ServiceFilter {
  readonly namespace?: string | undefined;
  readonly source?: string | undefined;
  readonly selector?: Selector | undefined;
}

function provenanceJson(origin: Provenance): Provenance {
  return {
    sourceId: origin.sourceId,
    instanceId: origin.instanceId,
    cluster: origin.cluster,
    network: origin.network,
  };
}

function endpointJson(endpoint: CatalogEndpoint): EndpointJson {
  return {
    address: endpoint.address,
    port: endpoint.port,
    servicePort: endpoint.servicePort,
    health: endpoint.health,
    weight: endpoint.weight,
    locality: endpoint.locality,
    labels: endpoint.labels,
    instanceId: endpoint.instanceId,
    cluster: endpoint.cluster,
    network: endpoint.network,
    stale: endpoint.stale,
    sourceId: endpoint.sourceId,
    origins: endpoint.origins.map(provenanceJson),
  };
}

/** The full JSON of one service. */
export function serviceJson(service: CatalogService): ServiceJson {
  const { namespace, name, hostname, ports, labels, sources, revision } = service;
  return {
    namespace,
    name,
    hostname,
    ports,
    labels,
    sources,
    revision,
    endpoints: service.endpoints.map(endpointJson),
  };
}

/** One list row: counts of endpoints, healthy endpoints, and whether any endpoint is stale. */
export function serviceSummary(service: CatalogService): ServiceSummary {
  const { namespace, name, hostname, ports, labels, sources, revision } = service;
  let healthy = 0;
  let stale = false;
  for (const endpoint of service.endpoints) {
    if (endpoint.health === 'healthy') healthy += 1;
    stale ||= endpoint.stale;
  }
  return {
    namespace,
    name,
    hostname,
    ports,
    labels,
    sources,
    endpoints: service.endpoints.length,
    healthy,
    stale,
    revision,
  };
}

function compareServices(a: CatalogService, b: CatalogService): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

/** The services of `view` that pass `filter`, sorted by namespace, then name. */
export function selectServices(view: CatalogView, filter: ServiceFilter): CatalogService[] {
  const selected: CatalogService[] = [];
  for (const service of view.services.values()) {
    if (filter.namespace !== undefined && service.namespace !== filter.namespace) continue;
    if (filter.source !== undefined && !service.sources.includes(filter.source)) continue;
    if (filter.selector !== undefined && !matchesSelector(filter.selector, service.labels)) continue;
    selected.push(service);
  }
  return selected.sort(compareServices);
}

/** The body of `GET /v1/services`. */
export function buildServiceList(view: CatalogView, filter: ServiceFilter): ServiceListBody {
  const services = selectServices(view, filter).map(serviceSummary);
  return { revision: view.revision, version: view.version, services };
}

function sourceJson(source: SourceStatus): SourceStatus {
  const { id, kind, priority, state, lastSync, lastError, recordErrors, services, endpoints, stale } = source;
  return { id, kind, priority, state, lastSync, lastError, recordErrors, services, endpoints, stale };
}

/** The body of `GET /v1/sources`, in configuration order. */
export function buildSources(view: CatalogView): SourcesBody {
  return {
    revision: view.revision,
    version: view.version,
    sources: [...view.sources.values()].map(sourceJson),
  };
}

/** The data of an SSE snapshot, optionally limited to one namespace. */
export function buildSnapshot(view: CatalogView, namespace: string | undefined): SnapshotEventBody {
  const services = selectServices(view, { namespace }).map(serviceJson);
  return { revision: view.revision, version: view.version, services };
}

/**
 * The data of an SSE change event. Upserted services carry their state in `view` (the newest,
 * which may be later than the change when it is replayed: clients converge on the latest).
 */
export function buildChange(
  view: CatalogView,
  change: CatalogChange,
  namespace: string | undefined,
): ChangeEventBody {
  const services: ServiceChangeJson[] = [];
  for (const { namespace: ns, name, op } of change.services) {
    if (namespace !== undefined && ns !== namespace) continue;
    const current = op === 'upsert' ? view.services.get(serviceKeyOf({ namespace: ns, name })) : undefined;
    services.push(
      current ? { namespace: ns, name, op, service: serviceJson(current) } : { namespace: ns, name, op },
    );
  }
  return {
    revision: change.revision,
    version: catalogVersionOf(change.epoch, change.revision),
    services,
    sources: change.sources,
  };
}
