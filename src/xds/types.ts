/**
 * The xDS seams (STYLE.md habits 6-8): resources are built and encoded once per content version by
 * the resource cache; engines only choose what to send on each stream; only transport.ts knows gRPC.
 */
import type { Observable } from 'rxjs';

/** v3 type URLs of the resources Tributary serves. */
export const TYPE_URLS = {
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

export type TypeUrl = (typeof TYPE_URLS)[keyof typeof TYPE_URLS];

/** Make-before-break push order on one ADS stream (XDS.md §1.10): CDS, EDS, LDS, RDS. */
export const PUSH_ORDER: readonly TypeUrl[] = [
  TYPE_URLS.cluster,
  TYPE_URLS.endpoint,
  TYPE_URLS.listener,
  TYPE_URLS.route,
];

/** Types whose SotW responses carry the full subscribed set, and which support wildcard (XDS.md §1.4-1.5). */
export const FULL_STATE_TYPES: ReadonlySet<string> = new Set([TYPE_URLS.cluster, TYPE_URLS.listener]);

export const RESOURCE_WRAPPER_TYPE_URL = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

/** One resource encoded once at one content version; the bytes are shared by every stream. */
export interface EncodedResource {
  readonly typeUrl: TypeUrl;
  readonly name: string;
  /** Content hash of `value`: stable across restarts and replicas for the same content. */
  readonly version: string;
  /** The encoded inner message (Cluster, ClusterLoadAssignment, …). */
  readonly value: Uint8Array;
  /** The encoded google.protobuf.Any {type_url, value}: what SotW responses carry. */
  readonly any: Uint8Array;
  /** The decoded message as plain JSON-able data, for /debug/config_dump. */
  readonly json: unknown;
}

/** Which resources changed at one catalog revision (after the xDS debounce). */
export interface ResourceChange {
  /** `<epoch>-<revision>`: the type version every response built after this change carries. */
  readonly version: string;
  /** Per type, the names whose content changed, appeared or disappeared. */
  readonly changed: ReadonlyMap<TypeUrl, ReadonlySet<string>>;
}

/**
 * What engines read (go-control-plane's ConfigWatcher, reduced): current resources by name, the
 * wildcard set of a type, and a feed of changed names. LDS and RDS names are resolved on demand
 * (a listener named `payments.shop:8080` exists when that service port exists).
 */
export interface ResourceSource {
  /** The current type version, `<epoch>-<revision>`. */
  version(): string;
  /** The resource, or undefined when it does not exist (now). */
  get(typeUrl: TypeUrl, name: string): EncodedResource | undefined;
  /** Every resource of a wildcard type (CDS: every cluster; LDS: none are served to wildcard). */
  wildcard(typeUrl: TypeUrl): readonly EncodedResource[];
  /** Emits after every applied catalog change whose resources changed. */
  changes(): Observable<ResourceChange>;
}

/** The node a stream announced in its first request. */
export interface NodeInfo {
  readonly id: string;
  readonly cluster: string;
  readonly userAgent: string;
  readonly clientFeatures: readonly string[];
  readonly locality: { readonly region: string; readonly zone: string; readonly subZone: string };
}

/** google.rpc.Status as a client sends it in a NACK. */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** A decoded SotW DiscoveryRequest. */
export interface SotwRequest {
  readonly versionInfo: string;
  readonly node: NodeInfo | undefined;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

/** A decoded DeltaDiscoveryRequest. */
export interface DeltaRequest {
  readonly node: NodeInfo | undefined;
  readonly typeUrl: string;
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialResourceVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

/** A SotW response before encoding: the transport splices the cached Any bytes into a DiscoveryResponse. */
export interface SotwResponse {
  readonly typeUrl: TypeUrl;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
  /** Wrap each resource in envoy.service.discovery.v3.Resource (only for clients that advertise it). */
  readonly wrapInResource: boolean;
}

/** A delta response before encoding. */
export interface DeltaResponse {
  readonly typeUrl: TypeUrl;
  readonly systemVersionInfo: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
  readonly removedResources: readonly string[];
}
