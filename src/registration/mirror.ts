/**
 * A write-through store for registrations (`registrationStore: consul`): every register, heartbeat
 * and deregister is written to it before it is committed locally, so replicas that watch the same
 * store serve the registration too. A write that fails there fails the API call (503) and nothing is
 * committed locally.
 */
import type { Registration } from '../model/registration.js';

export interface RegistrationMirror {
  /** Where it writes, for messages (`consul http://127.0.0.1:8500`). */
  readonly description: string;
  /** Creates or replaces the registration there, with its current status and note. */
  put(registration: Registration): Promise<void>;
  /** Passes a heartbeat on (status and note); re-creates the registration there if it was lost. */
  heartbeat(registration: Registration): Promise<void>;
  /** Removes it there; a registration already gone is not an error. */
  remove(registration: Registration): Promise<void>;
  /** Releases sockets. */
  close(): void;
}

/** One Consul agent service registration (agent API body fields, as the `consul` client names them). */
export interface ConsulServiceWrite {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  /** The TTL check; absent for a registration without TTL. */
  readonly check?: {
    readonly checkid: string;
    readonly name: string;
    readonly ttl: string;
    readonly deregistercriticalserviceafter: string;
    readonly status: Registration['status'];
    readonly notes: string;
  };
}

/** Consul meta keys: letters, digits, `_` and `-`, at most 128 characters (values at most 512). */
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const META_VALUE_MAX = 512;
/** Consul allows at most 64 meta pairs per service. */
const META_MAX = 64;

export interface ConsulMapping {
  /** Meta key carrying the Tributary namespace (the rest source's consulNamespaceMetaKey). */
  readonly namespaceMetaKey: string;
}

/**
 * The Consul services of a registration: one per port (a Consul service has one port), its id the
 * registration id for a single port and `<id>:<port name>` otherwise; the check id is the
 * registration's for a single port and `<check id>:<port name>` otherwise. Labels that are valid
 * Consul meta become meta; the namespace, the port's protocol and name, and its service port when it
 * is not the target port ride in meta too (the consul source reads them back: protocolMetaKey,
 * portNameMetaKey, servicePortMetaKey). `skipped` lists the labels Consul cannot hold.
 */
export function consulServicesOf(
  registration: Registration,
  mapping: ConsulMapping,
): { services: ConsulServiceWrite[]; skipped: string[] } {
  const single = registration.ports.length === 1;
  const skipped: string[] = [];
  const shared: Record<string, string> = {};
  for (const [key, value] of Object.entries(registration.labels)) {
    const fits = Object.keys(shared).length < META_MAX - 4; // Room for namespace, protocol, port name and number.
    if (fits && META_KEY.test(key) && value.length <= META_VALUE_MAX) shared[key] = value;
    else skipped.push(key);
  }
  shared[mapping.namespaceMetaKey] = registration.namespace;
  const services = registration.ports.map((port): ConsulServiceWrite => {
    const meta: Record<string, string> = {
      ...shared,
      protocol: port.protocol,
      'tributary-port-name': port.name,
      ...(port.servicePort !== port.number && { 'tributary-service-port': String(port.servicePort) }),
    };
    const id = single ? registration.id : `${registration.id}:${port.name}`;
    const base = {
      id,
      name: registration.service,
      address: registration.address,
      port: port.number,
      tags: registration.tags,
      meta,
    };
    if (registration.ttlMs === null) return base;
    return {
      ...base,
      check: {
        checkid: single ? registration.checkId : `${registration.checkId}:${port.name}`,
        name: `Tributary TTL of ${registration.id}`,
        ttl: `${registration.ttlMs}ms`,
        deregistercriticalserviceafter: `${registration.graceMs}ms`,
        status: registration.status,
        notes: registration.note,
      },
    };
  });
  return { services, skipped };
}
