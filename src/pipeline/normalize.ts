/**
 * Pure canonical forms, so that the same content always serializes to the same bytes (the
 * catalog's unchanged-check and every downstream cache depend on it).
 */
import type { Endpoint } from '../model/endpoint.js';
import type { ServiceRecord } from '../model/service.js';

/** Lowercase, compressed IPv6; IPv4 unchanged. */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key]!;
  return out;
}

function canonicalEndpoint(e: Endpoint): Endpoint {
  return {
    address: canonicalAddress(e.address),
    port: e.port,
    servicePort: e.servicePort,
    health: e.health,
    weight: e.weight,
    locality: { region: e.locality.region, zone: e.locality.zone, subzone: e.locality.subzone },
    labels: sortedMap(e.labels),
    instanceId: e.instanceId,
    cluster: e.cluster,
    network: e.network,
    // Only imported endpoints carry it, so every other record keeps its exact stored form.
    ...(e.origin ? { origin: e.origin } : {}),
  };
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.servicePort !== b.servicePort) return a.servicePort - b.servicePort;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.port - b.port;
}

/** A validated record in canonical key order, ports and endpoints sorted. */
export function canonicalRecord(record: ServiceRecord): ServiceRecord {
  return {
    namespace: record.namespace,
    name: record.name,
    ports: [...record.ports]
      .sort((a, b) => a.number - b.number)
      .map((p) => ({ number: p.number, name: p.name, protocol: p.protocol })),
    labels: sortedMap(record.labels),
    endpoints: record.endpoints.map(canonicalEndpoint).sort(compareEndpoints),
  };
}
