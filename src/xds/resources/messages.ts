/**
 * The plain-object shapes the builders produce: field names exactly as in proto/ (Envoy's names), enum
 * values as names, nested google.protobuf.Any as `{ '@type': url, ...fields }` (packed bottom-up by
 * the codec). Only the fields Tributary sets are typed.
 */

/** Type URL of the HttpConnectionManager inside a Listener's api_listener. */
export const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** Type URL of the router filter's typed_config. */
export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
/** The router filter's well-known name. */
export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';
/** filter_metadata key under which endpoint and cluster labels are published. */
export const METADATA_NAMESPACE = 'tributary';

/** An empty message (AggregatedConfigSource, LocalityWeightedLbConfig, Router). */
export type EmptyMessage = Record<string, never>;

/** A ConfigSource pointing at the ADS stream the resource came on, with v3 resources (XDS.md §5 item 28). */
export interface AdsConfigSource {
  readonly ads: EmptyMessage;
  readonly resource_api_version: 'V3';
}

/** google.protobuf.Struct with string values only (protobufjs' bundled Struct names Value's fields in camelCase). */
export interface StringStruct {
  readonly fields: Readonly<Record<string, { readonly stringValue: string }>>;
}

export interface MetadataMessage {
  readonly filter_metadata: Readonly<Record<string, StringStruct>>;
}

export const LB_POLICIES = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV'] as const;
export type LbPolicy = (typeof LB_POLICIES)[number];

export interface ClusterMessage {
  readonly name: string;
  readonly type: 'EDS';
  readonly eds_cluster_config: { readonly eds_config: AdsConfigSource };
  readonly connect_timeout: { readonly seconds: number };
  readonly lb_policy: LbPolicy;
  readonly metadata?: MetadataMessage;
  readonly common_lb_config: { readonly locality_weighted_lb_config: EmptyMessage };
}

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING';

export interface LbEndpointMessage {
  readonly endpoint: {
    readonly address: { readonly socket_address: { readonly address: string; readonly port_value: number } };
  };
  readonly health_status: HealthStatus;
  readonly metadata?: MetadataMessage;
  readonly load_balancing_weight: { readonly value: number };
}

export interface LocalityLbEndpointsMessage {
  readonly locality: { readonly region: string; readonly zone: string; readonly sub_zone: string };
  readonly lb_endpoints: readonly LbEndpointMessage[];
  readonly load_balancing_weight: { readonly value: number };
  readonly priority: number;
}

export interface ClusterLoadAssignmentMessage {
  readonly cluster_name: string;
  readonly endpoints: readonly LocalityLbEndpointsMessage[];
}

export interface HttpFilterMessage {
  readonly name: string;
  readonly typed_config: { readonly '@type': string };
}

export interface HttpConnectionManagerMessage {
  readonly '@type': typeof HCM_TYPE_URL;
  readonly stat_prefix: string;
  readonly rds: { readonly config_source: AdsConfigSource; readonly route_config_name: string };
  readonly http_filters: readonly HttpFilterMessage[];
}

export interface ListenerMessage {
  readonly name: string;
  readonly api_listener: { readonly api_listener: HttpConnectionManagerMessage };
}

export interface RouteMessage {
  readonly match: { readonly prefix: string };
  readonly route: { readonly cluster: string };
}

export interface VirtualHostMessage {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly RouteMessage[];
}

export interface RouteConfigurationMessage {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHostMessage[];
}

/** An ADS config source (XDS.md §0 item 6; gRPC clients accept only `ads` or `self`). */
export function adsConfigSource(): AdsConfigSource {
  return { ads: {}, resource_api_version: 'V3' };
}

/** filter_metadata["tributary"] = labels as a Struct of strings, keys sorted (stable bytes); undefined when empty. */
export function labelMetadata(labels: Readonly<Record<string, string>>): MetadataMessage | undefined {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return undefined;
  const fields: Record<string, { stringValue: string }> = {};
  for (const key of keys) fields[key] = { stringValue: labels[key] ?? '' };
  return { filter_metadata: { [METADATA_NAMESPACE]: { fields } } };
}
