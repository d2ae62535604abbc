/**
 * Pure merge of one service across sources (ARCHITECTURE.md §3): the same (namespace, name) from
 * several sources is one service; the same address:port (on one network) for one service port is one
 * endpoint whose
 * fields come from the highest-priority source, with every origin kept for `explain`.
 */
import type { Endpoint, Provenance } from '../model/endpoint.js';
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

function mergeLabels(ranked: readonly RankedRecord[]): Readonly<Record<string, string>> {
  if (ranked.length === 1) return sortedLabels(ranked[0]!.record.labels);
  const labels: Record<string, string> = {};
  for (let i = ranked.length - 1; i >= 0; i--) Object.assign(labels, ranked[i]!.record.labels);
  return sortKeys(labels);
}

function sortKeys(map: Readonly<Record<string, string>>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) sorted[key] = map[key]!;
  return sorted;
}

/** `labels` itself when its keys already iterate in sorted order (the usual case), else a sorted copy. */
function sortedLabels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let previous: string | undefined;
  for (const key in labels) {
    if (!Object.hasOwn(labels, key) || (previous !== undefined && key < previous)) return sortKeys(labels);
    previous = key;
  }
  return labels;
}

function compareEndpoints(a: CatalogEndpoint, b: CatalogEndpoint): number {
  return (
    a.servicePort - b.servicePort ||
    (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) ||
    a.port - b.port
  );
}

/** One object literal, one shape for every merged endpoint (an object spread here costs 5x more). */
function catalogEndpoint(
  e: Endpoint,
  sourceId: string,
  stale: boolean,
  origins: readonly Provenance[],
): CatalogEndpoint {
  return {
    address: e.address,
    port: e.port,
    servicePort: e.servicePort,
    health: e.health,
    weight: e.weight,
    locality: e.locality,
    labels: sortedLabels(e.labels),
    instanceId: e.instanceId,
    cluster: e.cluster,
    network: e.network,
    sourceId,
    origins,
    stale,
    origin: e.origin ?? '',
  };
}

function originOf(sourceId: string, e: Endpoint): Provenance {
  return { sourceId, instanceId: e.instanceId, cluster: e.cluster, network: e.network };
}

/**
 * One source (the usual case, and every service at a warm start): one object per endpoint, no keys.
 * Undefined when the record lists one address:port twice for a service port (the general merge folds it).
 */
function singleSourceEndpoints({ sourceId, stale, record }: RankedRecord): CatalogEndpoint[] | undefined {
  const endpoints = record.endpoints.map((e) => catalogEndpoint(e, sourceId, stale, [originOf(sourceId, e)]));
  endpoints.sort(compareEndpoints);
  // Equal (servicePort, address, port) sort next to each other; only those can share a merge key.
  for (let i = 1; i < endpoints.length; i++)
    if (compareEndpoints(endpoints[i - 1]!, endpoints[i]!) === 0) return undefined;
  return endpoints;
}

function mergeEndpoints(ranked: readonly RankedRecord[]): CatalogEndpoint[] {
  if (ranked.length === 1) {
    const single = singleSourceEndpoints(ranked[0]!);
    if (single !== undefined) return single;
  }
  const merged = new Map<
    string,
    { first: Endpoint; sourceId: string; stale: boolean; origins: Provenance[] }
  >();
  for (const { sourceId, stale, record } of ranked) {
    for (const e of record.endpoints) {
      const key = `${e.servicePort}|${e.network}|${e.address}|${e.port}`;
      const origin = originOf(sourceId, e);
      const existing = merged.get(key);
      if (existing) existing.origins.push(origin);
      else merged.set(key, { first: e, sourceId, stale, origins: [origin] });
    }
  }
  const endpoints: CatalogEndpoint[] = [];
  for (const { first, sourceId, stale, origins } of merged.values())
    endpoints.push(catalogEndpoint(first, sourceId, stale, origins));
  return endpoints.sort(compareEndpoints);
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
