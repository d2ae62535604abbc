import { describe, expect, it } from '@jest/globals';
import { TributaryError } from '../../../../src/errors.js';
import {
  SotwRequestDecoder,
  createEncodedResource,
  decodeDeltaRequest,
  decodeDeltaResponse,
  decodeSotwRequest,
  decodeSotwResponse,
  encodeDeltaRequest,
  encodeDeltaResponse,
  encodeResource,
  encodeSotwRequest,
  encodeSotwResponse,
  serializeSotwResponse,
  slowDecodeSotwRequest,
  toJson,
} from '../../../../src/xds/codec/index.js';
import { MESSAGES, messageType } from '../../../../src/xds/codec/proto-root.js';
import { buildCluster } from '../../../../src/xds/resources/cluster.js';
import { buildListener } from '../../../../src/xds/resources/listener.js';
import { RESOURCE_WRAPPER_TYPE_URL, TYPE_URLS } from '../../../../src/xds/types.js';
import type { DeltaRequest, NodeInfo, SotwRequest } from '../../../../src/xds/types.js';
import { aCatalogService } from '../../../fakes/catalog.js';

const node: NodeInfo = {
  id: 'client-1',
  cluster: 'shop',
  userAgent: 'gRPC Node Pure JS/1.14.1',
  clientFeatures: ['envoy.lb.does_not_support_overprovisioning'],
  locality: { region: 'eu', zone: 'eu-1a', subZone: 'rack-3' },
};

const clusterResource = () =>
  createEncodedResource(
    TYPE_URLS.cluster,
    'outbound|8080||payments.default.svc.cluster.local',
    buildCluster(aCatalogService(), 8080),
  );
const listenerResource = () =>
  createEncodedResource(
    TYPE_URLS.listener,
    'payments.default:8080',
    buildListener('payments.default:8080', 'payments.default:8080'),
  );

/** A full protobufjs encode of a plain object, to compare the splice with. */
function fullEncode(fullName: string, message: object): Uint8Array {
  const type = messageType(fullName);
  return type.encode(type.fromObject(message)).finish();
}

describe('resource encoding', () => {
  it('encodes the message and an Any around it, and decodes back for debug dumps', () => {
    const message = buildCluster(aCatalogService(), 8080);
    const { value, any } = encodeResource(TYPE_URLS.cluster, message);
    expect(Buffer.from(any)).toEqual(
      Buffer.from(fullEncode(MESSAGES.any, { type_url: TYPE_URLS.cluster, value })),
    );
    expect(toJson(TYPE_URLS.cluster, value)).toEqual({ ...message, connect_timeout: { seconds: '5' } });
  });

  it('packs nested Anys bottom-up and expands them again in toJson', () => {
    const resource = listenerResource();
    expect(resource.json).toEqual(buildListener('payments.default:8080', 'payments.default:8080'));
  });

  it('gives equal content the same short version and different content another', () => {
    const a = clusterResource();
    expect(a.version).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(clusterResource().version).toBe(a.version);
    const other = createEncodedResource(
      TYPE_URLS.cluster,
      'x',
      buildCluster(aCatalogService({ name: 'orders' }), 8080),
    );
    expect(other.version).not.toBe(a.version);
  });

  it('rejects a message type proto/ does not define', () => {
    expect(() => encodeResource('type.googleapis.com/envoy.config.nope.v3.Nope', {})).toThrow(
      /defines no message envoy.config.nope.v3.Nope/,
    );
  });
});

describe('requests', () => {
  const sotw: SotwRequest = {
    versionInfo: 'e1-7',
    node,
    resourceNames: ['a', 'b'],
    typeUrl: TYPE_URLS.cluster,
    responseNonce: '3',
    errorDetail: { code: 14, message: 'LB policy is not supported' },
  };

  it('round-trips a SotW request', () => {
    expect(decodeSotwRequest(encodeSotwRequest(sotw))).toEqual(sotw);
  });

  it('decodes an empty DiscoveryRequest to empty fields, no node and no NACK', () => {
    expect(decodeSotwRequest(new Uint8Array())).toEqual({
      versionInfo: '',
      node: undefined,
      resourceNames: [],
      typeUrl: '',
      responseNonce: '',
      errorDetail: undefined,
    });
  });

  it('treats an empty error_detail as a NACK (presence, not content)', () => {
    const bytes = fullEncode(MESSAGES.discoveryRequest, { type_url: TYPE_URLS.cluster, error_detail: {} });
    expect(decodeSotwRequest(bytes).errorDetail).toEqual({ code: 0, message: '' });
  });

  it("joins Envoy's user_agent_build_version into userAgent", () => {
    const bytes = fullEncode(MESSAGES.discoveryRequest, {
      node: {
        id: 'envoy-1',
        user_agent_name: 'envoy',
        user_agent_build_version: { version: { major_number: 1, minor_number: 30, patch: 2 } },
      },
    });
    expect(decodeSotwRequest(bytes).node).toEqual({
      id: 'envoy-1',
      cluster: '',
      userAgent: 'envoy/1.30.2',
      clientFeatures: [],
      locality: { region: '', zone: '', subZone: '' },
    });
  });

  it('round-trips a delta request with initial resource versions', () => {
    const delta: DeltaRequest = {
      node,
      typeUrl: TYPE_URLS.endpoint,
      subscribe: ['a'],
      unsubscribe: ['b'],
      initialResourceVersions: new Map([['a', 'v1']]),
      responseNonce: '',
      errorDetail: undefined,
    };
    expect(decodeDeltaRequest(encodeDeltaRequest(delta))).toEqual(delta);
  });

  it.each([
    ['garbage', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['a truncated message', encodeSotwRequest(sotw).subarray(0, 20)],
  ])('throws a clear TributaryError on %s', (_what, bytes) => {
    expect(() => decodeSotwRequest(bytes)).toThrow(TributaryError);
    expect(() => decodeSotwRequest(bytes)).toThrow(/^malformed DiscoveryRequest \(\d+ bytes\): /);
    expect(() => decodeDeltaRequest(bytes)).toThrow(/^malformed DeltaDiscoveryRequest/);
  });
});

describe('responses splice the cached Any bytes', () => {
  it('gives the same bytes as a full encode of the equivalent DiscoveryResponse', () => {
    const resources = [clusterResource(), listenerResource()];
    const spliced = encodeSotwResponse({
      typeUrl: TYPE_URLS.cluster,
      versionInfo: 'e1-7',
      nonce: '4',
      resources,
      wrapInResource: false,
    });
    const full = fullEncode(MESSAGES.discoveryResponse, {
      version_info: 'e1-7',
      resources: resources.map((r) => ({ type_url: r.typeUrl, value: r.value })),
      type_url: TYPE_URLS.cluster,
      nonce: '4',
    });
    expect(spliced).toEqual(Buffer.from(full));
  });

  it('wraps each resource in a Resource{name, version, resource} when asked', () => {
    const resource = clusterResource();
    const spliced = encodeSotwResponse({
      typeUrl: TYPE_URLS.cluster,
      versionInfo: 'v',
      nonce: '1',
      resources: [resource],
      wrapInResource: true,
    });
    const wrapper = fullEncode(MESSAGES.resource, {
      version: resource.version,
      resource: { type_url: resource.typeUrl, value: resource.value },
      name: resource.name,
    });
    const full = fullEncode(MESSAGES.discoveryResponse, {
      version_info: 'v',
      resources: [{ type_url: RESOURCE_WRAPPER_TYPE_URL, value: wrapper }],
      type_url: TYPE_URLS.cluster,
      nonce: '1',
    });
    expect(spliced).toEqual(Buffer.from(full));
  });

  it('gives the same bytes as a full encode of the equivalent DeltaDiscoveryResponse', () => {
    const resource = clusterResource();
    const spliced = encodeDeltaResponse({
      typeUrl: TYPE_URLS.cluster,
      systemVersionInfo: 'e1-7',
      nonce: '9',
      resources: [resource],
      removedResources: ['gone', 'also-gone'],
    });
    const full = fullEncode(MESSAGES.deltaResponse, {
      system_version_info: 'e1-7',
      resources: [
        {
          version: resource.version,
          resource: { type_url: resource.typeUrl, value: resource.value },
          name: resource.name,
        },
      ],
      type_url: TYPE_URLS.cluster,
      nonce: '9',
      removed_resources: ['gone', 'also-gone'],
    });
    expect(spliced).toEqual(Buffer.from(full));
  });

  it('decodes what it encodes, bare and wrapped, naming each resource', () => {
    const resource = clusterResource();
    for (const wrapInResource of [false, true]) {
      const decoded = decodeSotwResponse(
        encodeSotwResponse({
          typeUrl: TYPE_URLS.cluster,
          versionInfo: 'v',
          nonce: '1',
          resources: [resource],
          wrapInResource,
        }),
      );
      expect(decoded).toEqual({
        versionInfo: 'v',
        typeUrl: TYPE_URLS.cluster,
        nonce: '1',
        canary: false,
        resources: [
          {
            typeUrl: TYPE_URLS.cluster,
            name: resource.name,
            version: wrapInResource ? resource.version : undefined,
            value: Buffer.from(resource.value),
            wrapped: wrapInResource,
          },
        ],
      });
    }
    const delta = decodeDeltaResponse(
      encodeDeltaResponse({
        typeUrl: TYPE_URLS.cluster,
        systemVersionInfo: 's',
        nonce: '2',
        resources: [resource],
        removedResources: ['x'],
      }),
    );
    expect(delta.resources.map((r) => [r.name, r.version])).toEqual([[resource.name, resource.version]]);
    expect(delta.removedResources).toEqual(['x']);
  });
});

describe('the hand-walked DiscoveryRequest decoder', () => {
  const longName = `outbound|8080||${'very-long-service-name-'.repeat(8)}.ns.svc.cluster.local`;
  const cases: readonly [string, object][] = [
    [
      'an ACK',
      {
        version_info: 'e1-7',
        resource_names: ['a', 'b'],
        type_url: TYPE_URLS.endpoint,
        response_nonce: '12',
      },
    ],
    [
      'a first request with a node',
      { node: { id: 'n', client_features: ['f'] }, type_url: TYPE_URLS.cluster },
    ],
    [
      'a NACK',
      { response_nonce: '3', type_url: TYPE_URLS.cluster, error_detail: { code: 3, message: 'bad' } },
    ],
    [
      'names over 127 bytes and non-ASCII',
      { resource_names: [longName, 'zürich-ß-東京'], type_url: TYPE_URLS.endpoint },
    ],
    [
      '200 names',
      { resource_names: Array.from({ length: 200 }, (_, i) => `svc-${i}`), type_url: TYPE_URLS.endpoint },
    ],
  ];

  it.each(cases)('decodes %s like protobufjs', (_what, message) => {
    const bytes = fullEncode(MESSAGES.discoveryRequest, message);
    expect(decodeSotwRequest(bytes)).toEqual(slowDecodeSotwRequest(bytes));
  });

  it('skips unknown fields of every wire type and reads names split by other fields', () => {
    const head = Buffer.from(
      fullEncode(MESSAGES.discoveryRequest, { resource_names: ['a'], version_info: 'v' }),
    );
    const tail = Buffer.from(fullEncode(MESSAGES.discoveryRequest, { resource_names: ['b'], type_url: 't' }));
    const unknown = Buffer.from([
      (9 << 3) | 0,
      0x96,
      0x01, // varint
      (10 << 3) | 1,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // fixed64
      (11 << 3) | 2,
      2,
      0x61,
      0x62, // length-delimited
      (12 << 3) | 5,
      1,
      2,
      3,
      4, // fixed32
    ]);
    const bytes = Buffer.concat([head, unknown, tail]);
    expect(decodeSotwRequest(bytes)).toEqual(slowDecodeSotwRequest(bytes));
    expect(decodeSotwRequest(bytes).resourceNames).toEqual(['a', 'b']);
  });

  it('hands back the same frozen name list while a stream repeats its resource_names', () => {
    const decoder = new SotwRequestDecoder();
    const ack = (nonce: string, names: string[]) =>
      decoder.decode(
        fullEncode(MESSAGES.discoveryRequest, {
          version_info: 'v',
          resource_names: names,
          type_url: TYPE_URLS.endpoint,
          response_nonce: nonce,
        }),
      );
    const first = ack('1', ['a', 'b']);
    const second = ack('2', ['a', 'b']);
    expect(Object.isFrozen(first.resourceNames)).toBe(true);
    expect(second.resourceNames).toBe(first.resourceNames);
    expect(second.responseNonce).toBe('2');
    const changed = ack('3', ['a', 'c']);
    expect(changed.resourceNames).toEqual(['a', 'c']);
    expect(ack('4', ['a', 'b']).resourceNames).toBe(first.resourceNames);
  });

  it.each([
    ['a length past the end', Buffer.from([(3 << 3) | 2, 5, 0x61])],
    ['a truncated varint', Buffer.from([(1 << 3) | 2, 0x80])],
    ['a truncated fixed64', Buffer.from([(10 << 3) | 1, 1, 2])],
  ])('rejects %s with TRB_API_BAD_REQUEST', (_what, bytes) => {
    expect(() => decodeSotwRequest(bytes)).toThrow(/^malformed DiscoveryRequest \(\d+ bytes\): /);
  });
});

describe('the sized DiscoveryResponse encoder', () => {
  it('matches protobufjs byte for byte with empty fields, long strings and many resources', () => {
    const many = Array.from({ length: 150 }, () => clusterResource());
    for (const [versionInfo, nonce, resources] of [
      ['', '', []],
      ['v'.repeat(300), 'n'.repeat(130), many],
      ['é-1', '7', [listenerResource()]],
    ] as const) {
      const spliced = encodeSotwResponse({
        typeUrl: TYPE_URLS.cluster,
        versionInfo,
        nonce,
        resources,
        wrapInResource: false,
      });
      // Empty strings are left out, as proto3 encoders do for unset fields.
      const full = fullEncode(MESSAGES.discoveryResponse, {
        ...(versionInfo === '' ? {} : { version_info: versionInfo }),
        resources: resources.map((r) => ({ type_url: r.typeUrl, value: r.value })),
        type_url: TYPE_URLS.cluster,
        ...(nonce === '' ? {} : { nonce }),
      });
      expect(spliced).toEqual(Buffer.from(full));
    }
  });
});

describe('serializeSotwResponse (scratch space for grpc-js, which copies at once)', () => {
  it('gives the bytes encodeSotwResponse gives, also past the initial scratch size', () => {
    const small = {
      typeUrl: TYPE_URLS.cluster,
      versionInfo: 'v1',
      nonce: '1',
      resources: [clusterResource()],
    };
    const large = { ...small, nonce: '2', resources: Array.from({ length: 700 }, () => clusterResource()) };
    for (const response of [small, large, small]) {
      const expected = encodeSotwResponse({ ...response, wrapInResource: false });
      expect(Buffer.from(serializeSotwResponse({ ...response, wrapInResource: false }))).toEqual(expected);
    }
    expect(encodeSotwResponse({ ...large, wrapInResource: false }).length).toBeGreaterThan(64 * 1024);
  });
});
