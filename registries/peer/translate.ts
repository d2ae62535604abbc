/**
 * Pure translation of the peer's exported records into this cloud's records: every endpoint carries
 * the peer as its `origin` (so it is served at the imported priority and never exported again), its
 * instance id is prefixed with the peer's name, and it gets the peer's network when it names none.
 * With gateways, each service port's endpoints are replaced by one endpoint per gateway.
 */
import type { Endpoint, Health, Locality } from '../../src/model/endpoint.js';
import type { ServiceRecord } from '../../src/model/service.js';
import { MAX_WEIGHT } from '../../src/model/validate.js';
import type { PeerGateway } from './config.js';
import type { PeerRecord } from './payload.js';

/** What the translation needs to know about the peer. */
export interface PeerImport {
  /** The peer's name (the source name): the origin of every endpoint. */
  readonly peer: string;
  /** The peer's network, for endpoints that name none and for gateway endpoints. */
  readonly network: string;
  readonly gateways: readonly PeerGateway[];
}

/** One endpoint as imported: origin stamped, instance id prefixed, network defaulted. */
export function importEndpoint(endpoint: PeerRecord['endpoints'][number], peer: PeerImport): Endpoint {
  return {
    address: endpoint.address,
    port: endpoint.port,
    servicePort: endpoint.servicePort,
    health: endpoint.health,
    weight: endpoint.weight,
    locality: {
      region: endpoint.locality.region,
      zone: endpoint.locality.zone,
      subzone: endpoint.locality.subzone,
    },
    labels: { ...endpoint.labels },
    instanceId: `${peer.peer}/${endpoint.instanceId}`,
    cluster: endpoint.cluster,
    network: endpoint.network === '' ? peer.network : endpoint.network,
    origin: peer.peer,
  };
}

/** Healthy if any endpoint behind is, else draining if any is, else unhealthy. */
export function gatewayHealth(behind: readonly Pick<Endpoint, 'health'>[]): Health {
  if (behind.some((e) => e.health === 'healthy')) return 'healthy';
  if (behind.some((e) => e.health === 'draining')) return 'draining';
  return 'unhealthy';
}

/** The region most endpoints behind have (ties: the first in order; '' when none names one), zone and subzone ''. */
export function regionBehind(behind: readonly Pick<Endpoint, 'locality'>[]): Locality {
  const counts = new Map<string, number>();
  for (const e of behind) {
    if (e.locality.region !== '') counts.set(e.locality.region, (counts.get(e.locality.region) ?? 0) + 1);
  }
  let region = '';
  let most = 0;
  for (const [candidate, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (count > most) [region, most] = [candidate, count];
  }
  return { region, zone: '', subzone: '' };
}

/** One endpoint per gateway for each service port that has endpoints, standing for those behind it. */
export function gatewayEndpoints(endpoints: readonly Endpoint[], peer: PeerImport): Endpoint[] {
  const byPort = new Map<number, Endpoint[]>();
  for (const e of endpoints) {
    const group = byPort.get(e.servicePort);
    if (group === undefined) byPort.set(e.servicePort, [e]);
    else group.push(e);
  }
  const result: Endpoint[] = [];
  for (const [servicePort, behind] of [...byPort].sort(([a], [b]) => a - b)) {
    const health = gatewayHealth(behind);
    const weight = Math.min(behind.length, MAX_WEIGHT);
    const locality = regionBehind(behind);
    for (const gateway of peer.gateways) {
      result.push({
        address: gateway.address,
        port: gateway.port,
        servicePort,
        health,
        weight,
        locality: gateway.locality ?? locality,
        labels: {},
        instanceId: `gateway/${gateway.address}:${gateway.port}`,
        cluster: '',
        network: peer.network,
        origin: peer.peer,
      });
    }
  }
  return result;
}

/** The record this cloud imports for one exported record. */
export function importRecord(record: PeerRecord, peer: PeerImport): ServiceRecord {
  const endpoints = record.endpoints.map((e) => importEndpoint(e, peer));
  return {
    namespace: record.namespace,
    name: record.name,
    ports: record.ports.map((p) => ({ number: p.number, name: p.name, protocol: p.protocol })),
    labels: { ...record.labels },
    endpoints: peer.gateways.length === 0 ? endpoints : gatewayEndpoints(endpoints, peer),
  };
}
