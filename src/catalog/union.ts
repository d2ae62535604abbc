/**
 * Pure merge of one service across sources (ARCHITECTURE.md §3): the same (namespace, name) from
 * several sources is one service; the same address:port (on one network) for one service port is one
 * endpoint whose
 * fields come from the highest-priority source, with every origin kept for `explain`.
 */
import type { Provenance } from '../model/endpoint.js';
import { hostnameOf, type ServicePort, type ServiceRecord } from '../model/service.js';
import type { CatalogEndpoint, CatalogService } from './view.js';

/** One source's record with what the merge needs to rank it. */
export interface RankedRecord {
  readonly sourceId: string;
  readonly priority: number;
  readonly stale: boolean;
  readonly record: ServiceRecord;
}

/** Higher priority first; ties broken by source id so the outcome never depends on arrival order. */
export function compareRanked(a: RankedRecord, b: RankedRecord): number {
  return b.priority - a.priority || (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0);
}

function mergePorts(ranked: readonly RankedRecord[]): ServicePort[] {
  const byNumber = new Map<number, ServicePort>();
  const names = new Set<string>();
  for (const { record } of ranked) {
    for (const port of record.ports) {
      if (byNumber.has(port.number)) continue;
      // A lower-priority source may reuse a name the winner gave another port: keep names unique.
      const name = names.has(port.name) ? `port-${port.number}` : port.name;
      byNumber.set(port.number, name === port.name ? port : { ...port, name });
      names.add(name);
    }
  }
  return [...byNumber.values()].sort((a, b) => a.number - b.number);
}

function mergeLabels(ranked: readonly RankedRecord[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = ranked.length - 1; i >= 0; i--) Object.assign(labels, ranked[i]!.record.labels);
  return sortKeys(labels);
}

function sortKeys(map: Readonly<Record<string, string>>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) sorted[key] = map[key]!;
  return sorted;
}

function compareEndpoints(a: CatalogEndpoint, b: CatalogEndpoint): number {
  return (
    a.servicePort - b.servicePort ||
    (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) ||
    a.port - b.port
  );
}

function mergeEndpoints(ranked: readonly RankedRecord[]): CatalogEndpoint[] {
  const merged = new Map<string, { endpoint: CatalogEndpoint; origins: Provenance[] }>();
  for (const { sourceId, stale, record } of ranked) {
    for (const e of record.endpoints) {
      const key = `${e.servicePort}|${e.network}|${e.address}|${e.port}`;
      const origin: Provenance = {
        sourceId,
        instanceId: e.instanceId,
        cluster: e.cluster,
        network: e.network,
      };
      const existing = merged.get(key);
      if (existing) existing.origins.push(origin);
      else
        merged.set(key, {
          endpoint: { ...e, labels: sortKeys(e.labels), sourceId, origins: [], stale },
          origins: [origin],
        });
    }
  }
  return [...merged.values()]
    .map(({ endpoint, origins }) => ({ ...endpoint, origins }))
    .sort(compareEndpoints);
}

/** Merges every source's record of one service; `records` must be non-empty and share one key. */
export function mergeService(
  records: readonly RankedRecord[],
  domain: string,
  revision: number,
): CatalogService {
  const ranked = [...records].sort(compareRanked);
  const first = ranked[0]!.record;
  return {
    namespace: first.namespace,
    name: first.name,
    hostname: hostnameOf(first, domain),
    ports: mergePorts(ranked),
    labels: mergeLabels(ranked),
    endpoints: mergeEndpoints(ranked),
    sources: ranked.map((r) => r.sourceId),
    revision,
  };
}
