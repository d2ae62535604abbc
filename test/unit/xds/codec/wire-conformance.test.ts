/**
 * What we put on the wire, read with the full upstream Envoy definitions: every resource the builders
 * encode decodes to exactly what was intended, and requests and responses carry their fields at the
 * upstream numbers (proto/README.md).
 */
import { describe, expect, it } from '@jest/globals';
import {
  decodeDeltaRequest,
  decodeSotwRequest,
  encodeDeltaResponse,
  encodeResource,
  encodeSotwRequest,
  encodeSotwResponse,
  createEncodedResource,
} from '../../../../src/xds/codec/index.js';
import { buildCluster } from '../../../../src/xds/resources/cluster.js';
import { buildClusterLoadAssignment } from '../../../../src/xds/resources/endpoint.js';
import { buildListener } from '../../../../src/xds/resources/listener.js';
import { buildRouteConfiguration } from '../../../../src/xds/resources/route.js';
import { RESOURCE_WRAPPER_TYPE_URL, TYPE_URLS } from '../../../../src/xds/types.js';
import { aCatalogEndpoint, aCatalogService } from '../../../fakes/catalog.js';
import { decodeUpstream, upstreamType } from './upstream.js';

const service = aCatalogService({
  labels: { team: 'payments', 'tributary.io/lb-policy': 'RING_HASH' },
  endpoints: [
    aCatalogEndpoint({ address: '10.0.0.1', labels: { version: 'v1' } }),
    aCatalogEndpoint({ address: '10.0.0.2', health: 'draining', weight: 3 }),
    aCatalogEndpoint({
      address: 'fd00::2',
      health: 'unknown',
      locality: { region: '', zone: '', subzone: '' },
    }),
  ],
});

/** An empty repeated field is absent on the wire (proto3), so the withdrawal CLA decodes without `endpoints`. */
const withdrawal = buildClusterLoadAssignment(aCatalogService({ endpoints: [] }), 8080);

const resources: [string, string, object, object?][] = [
  ['Cluster', TYPE_URLS.cluster, buildCluster(service, 8080)],
  ['ClusterLoadAssignment', TYPE_URLS.endpoint, buildClusterLoadAssignment(service, 8080)],
  [
    'withdrawal ClusterLoadAssignment',
    TYPE_URLS.endpoint,
    withdrawal,
    { cluster_name: withdrawal.cluster_name },
  ],
  ['Listener', TYPE_URLS.listener, buildListener('payments.default:8080', 'payments.default:8080')],
  [
    'RouteConfiguration',
    TYPE_URLS.route,
    buildRouteConfiguration(
      'payments.default:8080',
      'payments.default:8080',
      'outbound|8080||payments.default.svc.cluster.local',
      ['payments.default'],
    ),
  ],
];

/** Builders write Durations as numbers; toObject with `longs: Number` reads them back as numbers. */
describe('builders, decoded with the upstream definitions', () => {
  it.each(resources)('%s decodes to exactly what was built', (_name, typeUrl, message, onWire = message) => {
    const { value, any } = encodeResource(typeUrl, message);
    expect(decodeUpstream(typeUrl.slice(typeUrl.indexOf('/') + 1), value)).toEqual(onWire);
    expect(decodeUpstream('google.protobuf.Any', any)).toEqual({ '@type': typeUrl, ...onWire });
  });

  it('puts the catch-all prefix "" on the wire (a route without a path specifier is NACKed)', () => {
    const message = buildRouteConfiguration('a', 'a', 'c');
    const type = upstreamType('envoy.config.route.v3.RouteConfiguration');
    const decoded = type.toObject(type.decode(encodeResource(TYPE_URLS.route, message).value), {
      oneofs: true,
    });
    expect(decoded).toMatchObject({
      virtual_hosts: [{ routes: [{ match: { path_specifier: 'prefix', prefix: '' }, action: 'route' }] }],
    });
  });

  it('puts ads {} and priority 0 on the wire', () => {
    const cluster = decodeUpstream(
      'envoy.config.cluster.v3.Cluster',
      encodeResource(TYPE_URLS.cluster, buildCluster(service, 8080)).value,
    );
    expect(cluster).toMatchObject({
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    });
    const cla = decodeUpstream(
      'envoy.config.endpoint.v3.ClusterLoadAssignment',
      encodeResource(TYPE_URLS.endpoint, buildClusterLoadAssignment(service, 8080)).value,
    );
    expect(cla).toMatchObject({ endpoints: [{ priority: 0 }, { priority: 0 }] });
  });
});

describe('discovery messages, read and written with the upstream definitions', () => {
  const upstreamEncode = (name: string, message: object) => {
    const type = upstreamType(name);
    return type.encode(type.fromObject(message)).finish();
  };

  it('decodes a DiscoveryRequest carrying fields we leave out (metadata, resource_locators)', () => {
    const bytes = upstreamEncode('envoy.service.discovery.v3.DiscoveryRequest', {
      version_info: 'e1-3',
      node: {
        id: 'n1',
        cluster: 'c1',
        metadata: { fields: { k: { stringValue: 'v' } } },
        locality: { region: 'r', zone: 'z', sub_zone: 's' },
        user_agent_name: 'gRPC C-core linux Python',
        user_agent_version: 'C-core 29.0.0 Python 1.51.1',
        client_features: ['xds.config.resource-in-sotw'],
      },
      resource_names: ['x'],
      resource_locators: [{ name: 'x', dynamic_parameters: { a: 'b' } }],
      type_url: TYPE_URLS.listener,
      response_nonce: '2',
      error_detail: {
        code: 3,
        message: 'bad',
        details: [{ type_url: 'type.googleapis.com/google.rpc.DebugInfo', value: new Uint8Array([1]) }],
      },
    });
    expect(decodeSotwRequest(bytes)).toEqual({
      versionInfo: 'e1-3',
      node: {
        id: 'n1',
        cluster: 'c1',
        userAgent: 'gRPC C-core linux Python/C-core 29.0.0 Python 1.51.1',
        clientFeatures: ['xds.config.resource-in-sotw'],
        locality: { region: 'r', zone: 'z', subZone: 's' },
      },
      resourceNames: ['x'],
      typeUrl: TYPE_URLS.listener,
      responseNonce: '2',
      errorDetail: { code: 3, message: 'bad' },
    });
  });

  it('decodes a DeltaDiscoveryRequest', () => {
    const bytes = upstreamEncode('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      node: {
        id: 'envoy',
        user_agent_name: 'envoy',
        user_agent_build_version: { version: { major_number: 1, minor_number: 31 } },
      },
      type_url: TYPE_URLS.cluster,
      resource_names_subscribe: ['*', 'a'],
      resource_names_unsubscribe: ['b'],
      initial_resource_versions: { a: 'v1', c: 'v2' },
      response_nonce: '5',
      resource_locators_subscribe: [{ name: 'a' }],
    });
    const decoded = decodeDeltaRequest(bytes);
    expect(decoded).toMatchObject({
      typeUrl: TYPE_URLS.cluster,
      subscribe: ['*', 'a'],
      unsubscribe: ['b'],
      responseNonce: '5',
      errorDetail: undefined,
    });
    expect(decoded.node?.userAgent).toBe('envoy/1.31.0');
    expect(decoded.initialResourceVersions).toEqual(
      new Map([
        ['a', 'v1'],
        ['c', 'v2'],
      ]),
    );
  });

  it('writes DiscoveryRequest fields at the upstream numbers', () => {
    const bytes = encodeSotwRequest({
      versionInfo: 'v',
      node: undefined,
      resourceNames: ['n'],
      typeUrl: TYPE_URLS.endpoint,
      responseNonce: '1',
      errorDetail: { code: 14, message: 'm' },
    });
    expect(decodeUpstream('envoy.service.discovery.v3.DiscoveryRequest', bytes)).toEqual({
      version_info: 'v',
      resource_names: ['n'],
      type_url: TYPE_URLS.endpoint,
      response_nonce: '1',
      error_detail: { code: 14, message: 'm' },
    });
  });

  const cluster = createEncodedResource(
    TYPE_URLS.cluster,
    'outbound|8080||payments.default.svc.cluster.local',
    buildCluster(service, 8080),
  );

  it('writes a SotW DiscoveryResponse upstream can read, bare and wrapped', () => {
    const type = upstreamType('envoy.service.discovery.v3.DiscoveryResponse');
    const bare = type.toObject(
      type.decode(
        encodeSotwResponse({
          typeUrl: TYPE_URLS.cluster,
          versionInfo: 'e1-9',
          nonce: '7',
          resources: [cluster],
          wrapInResource: false,
        }),
      ),
    );
    expect(bare).toEqual({
      version_info: 'e1-9',
      resources: [{ type_url: TYPE_URLS.cluster, value: Buffer.from(cluster.value) }],
      type_url: TYPE_URLS.cluster,
      nonce: '7',
    });

    const wrapped = type.toObject(
      type.decode(
        encodeSotwResponse({
          typeUrl: TYPE_URLS.cluster,
          versionInfo: 'e1-9',
          nonce: '8',
          resources: [cluster],
          wrapInResource: true,
        }),
      ),
    );
    expect(wrapped.resources).toEqual([
      { type_url: RESOURCE_WRAPPER_TYPE_URL, value: expect.any(Uint8Array) },
    ]);
    const resource = upstreamType('envoy.service.discovery.v3.Resource');
    const inner = resource.toObject(resource.decode(wrapped.resources[0].value as Uint8Array));
    expect(inner).toEqual({
      name: cluster.name,
      version: cluster.version,
      resource: { type_url: TYPE_URLS.cluster, value: Buffer.from(cluster.value) },
    });
  });

  it('writes a DeltaDiscoveryResponse upstream can read', () => {
    const type = upstreamType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
    const bytes = encodeDeltaResponse({
      typeUrl: TYPE_URLS.cluster,
      systemVersionInfo: 'e1-9',
      nonce: '3',
      resources: [cluster],
      removedResources: ['old'],
    });
    expect(type.toObject(type.decode(bytes))).toEqual({
      system_version_info: 'e1-9',
      resources: [
        {
          name: cluster.name,
          version: cluster.version,
          resource: { type_url: TYPE_URLS.cluster, value: Buffer.from(cluster.value) },
        },
      ],
      type_url: TYPE_URLS.cluster,
      nonce: '3',
      removed_resources: ['old'],
    });
  });
});
