/**
 * EDS: the ClusterLoadAssignment of one service port, shaped so both gRPC clients accept it
 * (XDS.md §3.1 and §5 items 17, 26-28). Pure.
 */
import type { CatalogEndpoint, CatalogService } from '../../catalog/view.js';
import { endpointAddressOf } from '../../model/endpoint.js';
import type { Health } from '../../model/endpoint.js';
import { clusterName } from '../naming.js';
import { labelMetadata } from './messages.js';
import type {
  ClusterLoadAssignmentMessage,
  HealthStatus,
  LbEndpointMessage,
  LocalityLbEndpointsMessage,
} from './messages.js';

/** The largest sum of weights one locality or one priority may carry (uint32, XDS.md §3.1). */
export const MAX_WEIGHT_SUM = 0xffff_ffff;

/** Catalog health → Envoy HealthStatus; gRPC uses HEALTHY and UNKNOWN endpoints only (XDS.md §5 item 27). */
export const HEALTH_STATUS: Readonly<Record<Health, HealthStatus>> = {
  healthy: 'HEALTHY',
  unhealthy: 'UNHEALTHY',
  draining: 'DRAINING',
  unknown: 'UNKNOWN',
};

export interface ClusterLoadAssignmentOptions {
  /**
   * The priority an endpoint asks for (lower is preferred). Local endpoints are 0; peers' imports
   * will ask for 1 (ARCHITECTURE.md §4). Any numbers may be returned: they are renumbered 0, 1, 2, …
   */
  readonly priorityOf?: (endpoint: CatalogEndpoint) => number;
}

interface Placed {
  readonly endpoint: CatalogEndpoint;
  readonly priority: number;
}

/**
 * The CLA of one service port, named like its cluster. Endpoints are grouped by (priority, locality)
 * into LocalityLbEndpoints, each with its locality always set (empty strings allowed) and a non-zero
 * load_balancing_weight (the sum of its endpoints' weights, scaled down when a priority would exceed
 * uint32); priorities are contiguous from 0; groups and endpoints are sorted, so equal input gives
 * equal bytes; each address:port appears once (its most preferred placement wins). No endpoints gives
 * `endpoints: []`, the CLA that withdraws them (omitting it would leave clients on stale endpoints).
 * Endpoint labels become filter_metadata["tributary"]; which registry said so is never published.
 */
export function buildClusterLoadAssignment(
  service: CatalogService,
  port: number,
  options: ClusterLoadAssignmentOptions = {},
): ClusterLoadAssignmentMessage {
  const priorityOf = options.priorityOf ?? (() => 0);
  const placed = service.endpoints
    .filter((endpoint) => endpoint.servicePort === port)
    .map((endpoint) => ({ endpoint, priority: priorityOf(endpoint) }))
    .sort(comparePlaced);
  return {
    cluster_name: clusterName(port, service.hostname),
    endpoints: buildLocalities(uniqueAddresses(placed)),
  };
}

function buildLocalities(placed: readonly Placed[]): LocalityLbEndpointsMessage[] {
  const groups: Placed[][] = [];
  for (const entry of placed) {
    const last = groups.at(-1);
    if (last !== undefined && sameGroup(last[0]!, entry)) last.push(entry);
    else groups.push([entry]);
  }
  const priorities = [...new Set(groups.map((group) => group[0]!.priority))];
  const localities: LocalityLbEndpointsMessage[] = [];
  priorities.forEach((priority, renumbered) => {
    const inPriority = groups.filter((group) => group[0]!.priority === priority);
    const lbEndpoints = inPriority.map((group) => buildLbEndpoints(group.map((p) => p.endpoint)));
    const weights = capWeights(lbEndpoints.map(sumWeights));
    inPriority.forEach((group, i) => {
      const { region, zone, subzone } = group[0]!.endpoint.locality;
      localities.push({
        locality: { region, zone, sub_zone: subzone },
        lb_endpoints: lbEndpoints[i]!,
        load_balancing_weight: { value: weights[i]! },
        priority: renumbered,
      });
    });
  });
  return localities;
}

function buildLbEndpoints(endpoints: readonly CatalogEndpoint[]): LbEndpointMessage[] {
  const weights = capWeights(endpoints.map((endpoint) => endpoint.weight));
  return endpoints.map((endpoint, i) => {
    const metadata = labelMetadata(endpoint.labels);
    return {
      endpoint: { address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } },
      health_status: HEALTH_STATUS[endpoint.health],
      ...(metadata === undefined ? {} : { metadata }),
      load_balancing_weight: { value: weights[i]! },
    };
  });
}

/**
 * Weights of at least 1 whose sum fits in uint32: unchanged when they already fit, else scaled down
 * proportionally (each kept ≥ 1) and trimmed from the largest until they fit.
 */
export function capWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= MAX_WEIGHT_SUM) return weights.map((weight) => Math.max(1, weight));
  const scaled = weights.map((weight) => Math.max(1, Math.floor((weight * MAX_WEIGHT_SUM) / total)));
  let excess = scaled.reduce((sum, weight) => sum + weight, 0) - MAX_WEIGHT_SUM;
  const largestFirst = scaled.map((_, i) => i).sort((a, b) => scaled[b]! - scaled[a]!);
  for (const i of largestFirst) {
    if (excess <= 0) break;
    const cut = Math.min(excess, scaled[i]! - 1);
    scaled[i]! -= cut;
    excess -= cut;
  }
  return scaled;
}

function sumWeights(endpoints: readonly LbEndpointMessage[]): number {
  return endpoints.reduce((sum, endpoint) => sum + endpoint.load_balancing_weight.value, 0);
}

/** Drops repeats of an address:port (gRPC NACKs duplicates: XDS.md §3.1); the first, most preferred, wins. */
function uniqueAddresses(placed: readonly Placed[]): Placed[] {
  const seen = new Set<string>();
  return placed.filter(({ endpoint }) => {
    const address = endpointAddressOf(endpoint);
    if (seen.has(address)) return false;
    seen.add(address);
    return true;
  });
}

/** Same priority and locality: one LocalityLbEndpoints. */
function sameGroup(a: Placed, b: Placed): boolean {
  const left = a.endpoint.locality;
  const right = b.endpoint.locality;
  return (
    a.priority === b.priority &&
    left.region === right.region &&
    left.zone === right.zone &&
    left.subzone === right.subzone
  );
}

function comparePlaced(a: Placed, b: Placed): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const left = a.endpoint;
  const right = b.endpoint;
  return (
    compareStrings(left.locality.region, right.locality.region) ||
    compareStrings(left.locality.zone, right.locality.zone) ||
    compareStrings(left.locality.subzone, right.locality.subzone) ||
    compareStrings(left.address, right.address) ||
    left.port - right.port
  );
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
