/**
 * Protobuf encoding of the catalog watch API (proto/tributary/catalog/v1/catalog.proto), loaded once
 * with protobufjs (`keepCase`, like the xDS codec). Pure apart from the lazy load.
 */
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import type { Type } from 'protobufjs';
import type { Endpoint } from '../model/endpoint.js';
import type { ServiceRecord } from '../model/service.js';
import { protoDir } from '../xds/codec/proto-root.js';
import type { ExportEvent } from './feed.js';
import type { ExportFilter } from './policy.js';

const FILE = 'tributary/catalog/v1/catalog.proto';
const PACKAGE = 'tributary.catalog.v1';

let types: { request: Type; event: Type } | undefined;

function load(): { request: Type; event: Type } {
  if (types === undefined) {
    const dir = protoDir();
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(dir, target));
    root.loadSync(FILE, { keepCase: true });
    root.resolveAll();
    types = {
      request: root.lookupType(`${PACKAGE}.WatchRequest`),
      event: root.lookupType(`${PACKAGE}.WatchEvent`),
    };
  }
  return types;
}

/** A decoded WatchRequest. */
export interface WatchRequest {
  readonly epoch: string;
  readonly revision: number;
  readonly filter: ExportFilter;
}

/** Decodes a WatchRequest; throws on bytes that are not one (the transport answers INVALID_ARGUMENT). */
export function decodeWatchRequest(bytes: Uint8Array): WatchRequest {
  const message = load().request.decode(bytes);
  const raw = load().request.toObject(message, { longs: String, defaults: true, arrays: true }) as {
    epoch: string;
    revision: string;
    namespaces: string[];
    services: string[];
  };
  const revision = Number(raw.revision);
  if (!Number.isSafeInteger(revision)) throw new Error(`revision ${raw.revision} is out of range`);
  return { epoch: raw.epoch, revision, filter: { namespaces: raw.namespaces, services: raw.services } };
}

/** Encodes a WatchRequest (the peer side and tests). */
export function encodeWatchRequest(request: WatchRequest): Buffer {
  const { request: type } = load();
  const message = type.fromObject({
    epoch: request.epoch,
    revision: request.revision,
    namespaces: request.filter.namespaces,
    services: request.filter.services,
  });
  return Buffer.from(type.encode(message).finish());
}

function endpointMessage(e: Endpoint): Record<string, unknown> {
  return {
    address: e.address,
    port: e.port,
    service_port: e.servicePort,
    health: e.health,
    weight: e.weight,
    locality: e.locality,
    labels: e.labels,
    instance_id: e.instanceId,
    cluster: e.cluster,
    network: e.network,
  };
}

function serviceMessage(r: ServiceRecord): Record<string, unknown> {
  return {
    namespace: r.namespace,
    name: r.name,
    ports: r.ports,
    labels: r.labels,
    endpoints: r.endpoints.map(endpointMessage),
  };
}

/** Encodes one feed event as a WatchEvent. */
export function encodeWatchEvent(event: ExportEvent): Buffer {
  const { event: type } = load();
  const body =
    event.type === 'snapshot'
      ? { snapshot: { services: event.services.map(serviceMessage) } }
      : event.type === 'change'
        ? { change: { upserts: event.upserts.map(serviceMessage), deletes: event.deletes } }
        : { heartbeat: {} };
  const message = type.fromObject({ epoch: event.epoch, revision: event.revision, ...body });
  return Buffer.from(type.encode(message).finish());
}

/** Decodes a WatchEvent into the plain object protobufjs gives (tests and tools read it). */
export function decodeWatchEvent(bytes: Uint8Array): Record<string, unknown> {
  const { event: type } = load();
  return type.toObject(type.decode(bytes), {
    longs: Number,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: true,
  });
}
