/**
 * CDS: one EDS cluster per service port (XDS.md §0 item 6, §5 items 25 and 28). Pure.
 */
import type { CatalogService } from '../../catalog/view.js';
import { clusterName } from '../naming.js';
import { LB_POLICIES, adsConfigSource, labelMetadata } from './messages.js';
import type { ClusterMessage, LbPolicy } from './messages.js';

/** Service label choosing the cluster's lb_policy; invalid values fall back to ROUND_ROBIN. */
export const LB_POLICY_LABEL = 'tributary.io/lb-policy';
/** Envoy's connect timeout for every cluster (gRPC clients ignore it). */
export const CONNECT_TIMEOUT_SECONDS = 5;

/**
 * The Cluster of one service port: type EDS with `eds_config.ads` and v3 resources; an empty
 * service_name, so the EDS resource name is the cluster name; ROUND_ROBIN unless the service's
 * `tributary.io/lb-policy` label names another policy (gRPC clients NACK all but ROUND_ROBIN and
 * RING_HASH: XDS.md §3.1); locality-weighted balancing so Envoy honours locality weights (§2.3);
 * the service's labels as filter_metadata["tributary"].
 */
export function buildCluster(service: CatalogService, port: number): ClusterMessage {
  const metadata = labelMetadata(service.labels);
  return {
    name: clusterName(port, service.hostname),
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource() },
    connect_timeout: { seconds: CONNECT_TIMEOUT_SECONDS },
    lb_policy: lbPolicyOf(service.labels),
    ...(metadata === undefined ? {} : { metadata }),
    common_lb_config: { locality_weighted_lb_config: {} },
  };
}

/** The lb_policy a service's labels ask for (case-insensitive), or ROUND_ROBIN. */
export function lbPolicyOf(labels: Readonly<Record<string, string>>): LbPolicy {
  const wanted = labels[LB_POLICY_LABEL]?.trim().toUpperCase();
  return LB_POLICIES.find((policy) => policy === wanted) ?? 'ROUND_ROBIN';
}
