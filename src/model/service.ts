/** Service identity, ports and the per-source service record adapters emit. */
import type { Endpoint } from './endpoint.js';

export const PROTOCOLS = ['http', 'http2', 'grpc', 'https', 'tls', 'tcp', 'udp'] as const;
/** Application protocol of a service port. */
export type Protocol = (typeof PROTOCOLS)[number];

/** A port the service offers; `number` is the service port (the cluster name uses it). */
export interface ServicePort {
  readonly number: number;
  readonly name: string;
  readonly protocol: Protocol;
}

/** `(namespace, name)`: a service's identity across every registry. */
export interface ServiceKey {
  readonly namespace: string;
  readonly name: string;
}

/**
 * What one source says about one service: its ports, labels and the full endpoint set from that
 * source (replace semantics: an upsert carries every endpoint this source has for the service).
 */
export interface ServiceRecord extends ServiceKey {
  readonly ports: readonly ServicePort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly endpoints: readonly Endpoint[];
}

/** `namespace/name`, the map key used everywhere a service is indexed. */
export function serviceKeyOf(key: ServiceKey): string {
  return `${key.namespace}/${key.name}`;
}

/** `<name>.<namespace>.<domain>`, the hostname proxies see. */
export function hostnameOf(key: ServiceKey, domain: string): string {
  return `${key.name}.${key.namespace}.${domain}`;
}
