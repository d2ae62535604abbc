/** Endpoints: one address:port serving one service port, with health, weight, locality, labels, origin. */

export const HEALTH_STATES = ['healthy', 'unhealthy', 'draining', 'unknown'] as const;
/** Endpoint health in the catalog; xDS maps it onto Envoy's HealthStatus. */
export type Health = (typeof HEALTH_STATES)[number];

/** Where an endpoint runs; empty strings mean "not known". */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subzone: string;
}

/** An instance as one source reports it. `servicePort` names the ServicePort.number it serves. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly servicePort: number;
  readonly health: Health;
  readonly weight: number;
  readonly locality: Locality;
  readonly labels: Readonly<Record<string, string>>;
  /** The registry's own id for the instance (VM name, Consul node+service id, pod uid, …). */
  readonly instanceId: string;
  /** Cluster, datacenter or region of the registry that reported it; '' when not applicable. */
  readonly cluster: string;
  /** Network the address is reachable on; '' is the default network. */
  readonly network: string;
  /**
   * The peer Tributary (another cloud) this endpoint was imported from; absent or '' for endpoints of
   * this cloud's own registries. Imported endpoints are never exported again (loop-free federation)
   * and are served at the imported priority in EDS.
   */
  readonly origin?: string;
}

/** One origin of a merged endpoint: which source said it, under which native id. */
export interface Provenance {
  readonly sourceId: string;
  readonly instanceId: string;
  readonly cluster: string;
  readonly network: string;
}

export const DEFAULT_WEIGHT = 1;
export const EMPTY_LOCALITY: Locality = Object.freeze({ region: '', zone: '', subzone: '' });

/** `address:port` (IPv6 in brackets): the identity of an endpoint within one service port. */
export function endpointAddressOf(endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  return endpoint.address.includes(':')
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}
