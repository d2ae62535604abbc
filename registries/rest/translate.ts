/**
 * Pure: the registrations of one service → its ServiceRecord (replace semantics), with health and
 * weight derived at `now` from the persisted times (src/model/registration.ts).
 */
import type { Endpoint } from '../../src/model/endpoint.js';
import {
  registrationHealth,
  registrationWeight,
  type Registration,
  type RegistrationPort,
} from '../../src/model/registration.js';
import { serviceKeyOf, type ServicePort, type ServiceRecord } from '../../src/model/service.js';

/** The `namespace/name` key of the service a registration belongs to. */
export function serviceKeyOfRegistration(registration: Registration): string {
  return serviceKeyOf({ namespace: registration.namespace, name: registration.service });
}

/** The endpoints one registration contributes at `now`: one per port. */
export function endpointsOf(registration: Registration, now: number): Endpoint[] {
  const health = registrationHealth(registration, now);
  const weight = registrationWeight(registration);
  return registration.ports.map((port: RegistrationPort) => ({
    address: registration.address,
    port: port.number,
    servicePort: port.servicePort,
    health,
    weight,
    locality: registration.locality,
    labels: registration.labels,
    instanceId: registration.id,
    cluster: '',
    network: '',
  }));
}

/** Prefers a healthy endpoint, then the most recent heartbeat, then the smaller id. */
function better(a: { e: Endpoint; r: Registration }, b: { e: Endpoint; r: Registration }): boolean {
  if ((a.e.health === 'healthy') !== (b.e.health === 'healthy')) return a.e.health === 'healthy';
  if (a.r.lastHeartbeatAt !== b.r.lastHeartbeatAt) return a.r.lastHeartbeatAt > b.r.lastHeartbeatAt;
  return a.r.id < b.r.id;
}

/**
 * The record of one service from its registrations (all of one namespace and service), or undefined
 * when there are none. Ports are the union by name (the registration service keeps them consistent);
 * two registrations of one address:port keep the better one, so the record never holds a duplicate.
 */
export function buildServiceRecord(
  registrations: readonly Registration[],
  now: number,
): ServiceRecord | undefined {
  const first = registrations[0];
  if (first === undefined) return undefined;
  const ports = new Map<string, ServicePort>();
  const chosen = new Map<string, { e: Endpoint; r: Registration }>();
  for (const registration of registrations) {
    for (const port of registration.ports) {
      if (!ports.has(port.name)) {
        ports.set(port.name, { number: port.servicePort, name: port.name, protocol: port.protocol });
      }
    }
    for (const endpoint of endpointsOf(registration, now)) {
      const key = `${endpoint.servicePort}|${endpoint.address}|${endpoint.port}`;
      const candidate = { e: endpoint, r: registration };
      const held = chosen.get(key);
      if (held === undefined || better(candidate, held)) chosen.set(key, candidate);
    }
  }
  return {
    namespace: first.namespace,
    name: first.service,
    ports: [...ports.values()].sort((a, b) => a.number - b.number),
    labels: {},
    endpoints: [...chosen.values()].map((c) => c.e),
  };
}
