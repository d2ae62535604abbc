/** Pure builders from the catalog view to xDS resources (re-exports only). */
export { CONNECT_TIMEOUT_SECONDS, LB_POLICY_LABEL, buildCluster, lbPolicyOf } from './cluster.js';
export {
  HEALTH_STATUS,
  MAX_WEIGHT_SUM,
  buildClusterLoadAssignment,
  capWeights,
  type ClusterLoadAssignmentOptions,
} from './endpoint.js';
export { buildListener, statPrefixOf } from './listener.js';
export { buildRouteConfiguration, isValidDomain } from './route.js';
export { buildOnDemand, isOnDemandType, type OnDemandTypeUrl } from './on-demand.js';
export * from './messages.js';
