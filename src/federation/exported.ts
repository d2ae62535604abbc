/**
 * What a service looks like to a peer: the endpoints this cloud's own registries report, never the
 * ones imported from other peers (so federation is loop-free by origin, even in a ring). Pure.
 */
import type { CatalogEndpoint, CatalogService } from '../catalog/view.js';
import type { Endpoint } from '../model/endpoint.js';
import type { ServiceRecord } from '../model/service.js';

function exportedEndpoint(e: CatalogEndpoint): Endpoint {
  return {
    address: e.address,
    port: e.port,
    servicePort: e.servicePort,
    health: e.health,
    weight: e.weight,
    locality: e.locality,
    labels: e.labels,
    instanceId: e.instanceId,
    cluster: e.cluster,
    network: e.network,
  };
}

/**
 * Builds exported records, memoized per (immutable) catalog service object. `imported` holds the ids
 * of the sources that import from peers: a service only they report is not exported, and an endpoint
 * only they report is left out.
 */
export class ExportedRecords {
  private memo = new WeakMap<CatalogService, ServiceRecord | null>();

  constructor(private readonly imported: ReadonlySet<string>) {}

  /** The record a peer gets for `service`, or undefined when it is not this cloud's to export. */
  of(service: CatalogService | undefined): ServiceRecord | undefined {
    if (service === undefined) return undefined;
    let record = this.memo.get(service);
    if (record === undefined) {
      record = this.build(service);
      this.memo.set(service, record);
    }
    return record ?? undefined;
  }

  private build(service: CatalogService): ServiceRecord | null {
    const imported = this.imported;
    if (!service.sources.some((s) => !imported.has(s))) return null;
    const endpoints =
      imported.size === 0
        ? service.endpoints
        : service.endpoints.filter((e) => e.origins.some((o) => !imported.has(o.sourceId)));
    return {
      namespace: service.namespace,
      name: service.name,
      ports: service.ports.map((p) => ({ number: p.number, name: p.name, protocol: p.protocol })),
      labels: service.labels,
      endpoints: endpoints.map(exportedEndpoint),
    };
  }
}
