/**
 * proto/ is a subset of Envoy's API with the same packages, names and numbers (proto/README.md):
 * every message, enum and service we define must exist upstream under the same full name, with the
 * same field numbers, types, labels and oneofs, the same enum values and the same methods.
 */
import { describe, expect, it } from '@jest/globals';
import protobuf from 'protobufjs';
import type { Enum, Field, NamespaceBase, ReflectionObject, Service, Type } from 'protobufjs';
import { protoRoot } from '../../../../src/xds/codec/proto-root.js';
import { upstreamRoot } from './upstream.js';

/** Every type, enum and service under `namespace`, depth first. */
function definitionsOf(namespace: NamespaceBase): ReflectionObject[] {
  const found: ReflectionObject[] = [];
  for (const nested of namespace.nestedArray) {
    if (
      nested instanceof protobuf.Type ||
      nested instanceof protobuf.Enum ||
      nested instanceof protobuf.Service
    ) {
      found.push(nested);
    }
    if (nested instanceof protobuf.Namespace) found.push(...definitionsOf(nested));
  }
  return found;
}

/** What identifies a field on the wire and in the schema. */
function shapeOf(field: Field): Record<string, unknown> {
  return {
    id: field.id,
    type: field.resolvedType?.fullName ?? field.type,
    repeated: field.repeated,
    map: field.map,
    keyType: field instanceof protobuf.MapField ? field.keyType : undefined,
    oneof: field.partOf?.name,
  };
}

function upstreamOf<T extends ReflectionObject>(ours: T): T {
  const found = upstreamRoot().lookup(ours.fullName);
  expect(found?.constructor).toBe(ours.constructor);
  return found as T;
}

const ours = definitionsOf(protoRoot()).filter(
  (definition) => definition.fullName.startsWith('.envoy.') || definition.fullName.startsWith('.google.rpc.'),
);

describe('proto/ matches the upstream Envoy API', () => {
  it('defines the messages, enums and services the daemon speaks', () => {
    const names = ours.map((definition) => definition.fullName);
    expect(names).toEqual(
      expect.arrayContaining([
        '.envoy.service.discovery.v3.AggregatedDiscoveryService',
        '.envoy.service.discovery.v3.DiscoveryRequest',
        '.envoy.service.discovery.v3.DeltaDiscoveryResponse',
        '.envoy.service.cluster.v3.ClusterDiscoveryService',
        '.envoy.service.endpoint.v3.EndpointDiscoveryService',
        '.envoy.service.listener.v3.ListenerDiscoveryService',
        '.envoy.service.route.v3.RouteDiscoveryService',
        '.envoy.config.cluster.v3.Cluster',
        '.envoy.config.endpoint.v3.ClusterLoadAssignment',
        '.envoy.config.listener.v3.Listener',
        '.envoy.config.route.v3.RouteConfiguration',
        '.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        '.envoy.extensions.filters.http.router.v3.Router',
        '.google.rpc.Status',
      ]),
    );
  });

  const messages = ours.filter((definition): definition is Type => definition instanceof protobuf.Type);
  it.each(messages.map((type) => [type.fullName, type] as const))(
    '%s has upstream field numbers and types',
    (_name, type) => {
      const upstream = upstreamOf(type);
      for (const field of type.fieldsArray) {
        const theirs = upstream.fields[field.name];
        expect({ field: field.name, ...shapeOf(field) }).toEqual({
          field: field.name,
          ...(theirs && shapeOf(theirs)),
        });
      }
    },
  );

  const enums = ours.filter((definition): definition is Enum => definition instanceof protobuf.Enum);
  it.each(enums.map((type) => [type.fullName, type] as const))('%s has upstream values', (_name, type) => {
    const upstream = upstreamOf(type);
    for (const [name, value] of Object.entries(type.values))
      expect([name, upstream.values[name]]).toEqual([name, value]);
  });

  const services = ours.filter((definition): definition is Service => definition instanceof protobuf.Service);
  it.each(services.map((service) => [service.fullName, service] as const))(
    '%s has upstream methods',
    (_name, service) => {
      const upstream = upstreamOf(service);
      const shape = (s: Service) =>
        s.methodsArray.map((m) => ({
          name: m.name,
          request: m.resolvedRequestType?.fullName,
          response: m.resolvedResponseType?.fullName,
          requestStream: m.requestStream ?? false,
          responseStream: m.responseStream ?? false,
        }));
      const theirs = shape(upstream);
      for (const method of shape(service)) expect(theirs).toContainEqual(method);
      expect(service.methodsArray.map((m) => m.name).sort()).toEqual(
        upstream.methodsArray.map((m) => m.name).sort(),
      );
    },
  );
});
