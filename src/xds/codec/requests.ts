/**
 * DiscoveryRequest and DeltaDiscoveryRequest ⇄ the engine's request shapes (src/xds/types.ts).
 * Decoding is on every stream's hot path; encoding exists for tests, the bench and the protocol test
 * client. Malformed bytes throw a TributaryError the transport turns into a stream error.
 */
import type { Type } from 'protobufjs';
import { TributaryError, describeError } from '../../errors.js';
import type { DeltaRequest, ErrorDetail, NodeInfo, SotwRequest } from '../types.js';
import { MESSAGES, messageType } from './proto-root.js';

/** Field names as in proto/; decoded messages may leave unset fields undefined or null. */
interface RawLocality {
  readonly region?: string;
  readonly zone?: string;
  readonly sub_zone?: string;
}

interface RawSemanticVersion {
  readonly major_number?: number;
  readonly minor_number?: number;
  readonly patch?: number;
}

interface RawNode {
  readonly id?: string;
  readonly cluster?: string;
  readonly locality?: RawLocality | null;
  readonly user_agent_name?: string;
  readonly user_agent_version?: string;
  readonly user_agent_build_version?: { readonly version?: RawSemanticVersion | null } | null;
  readonly client_features?: readonly string[];
}

interface RawStatus {
  readonly code?: number;
  readonly message?: string;
}

interface RawDiscoveryRequest {
  readonly version_info?: string;
  readonly node?: RawNode | null;
  readonly resource_names?: readonly string[];
  readonly type_url?: string;
  readonly response_nonce?: string;
  readonly error_detail?: RawStatus | null;
}

interface RawDeltaRequest {
  readonly node?: RawNode | null;
  readonly type_url?: string;
  readonly resource_names_subscribe?: readonly string[];
  readonly resource_names_unsubscribe?: readonly string[];
  readonly initial_resource_versions?: Readonly<Record<string, string>> | null;
  readonly response_nonce?: string;
  readonly error_detail?: RawStatus | null;
}

/** Decodes a DiscoveryRequest (SotW); throws TRB_API_BAD_REQUEST on malformed bytes. */
export function decodeSotwRequest(bytes: Uint8Array): SotwRequest {
  const raw = decodeAs<RawDiscoveryRequest>(MESSAGES.discoveryRequest, bytes);
  return {
    versionInfo: raw.version_info ?? '',
    node: nodeInfoOf(raw.node),
    resourceNames: [...(raw.resource_names ?? [])],
    typeUrl: raw.type_url ?? '',
    responseNonce: raw.response_nonce ?? '',
    errorDetail: errorDetailOf(raw.error_detail),
  };
}

/** Decodes a DeltaDiscoveryRequest; throws TRB_API_BAD_REQUEST on malformed bytes. */
export function decodeDeltaRequest(bytes: Uint8Array): DeltaRequest {
  const raw = decodeAs<RawDeltaRequest>(MESSAGES.deltaRequest, bytes);
  return {
    node: nodeInfoOf(raw.node),
    typeUrl: raw.type_url ?? '',
    subscribe: [...(raw.resource_names_subscribe ?? [])],
    unsubscribe: [...(raw.resource_names_unsubscribe ?? [])],
    initialResourceVersions: new Map(Object.entries(raw.initial_resource_versions ?? {})),
    responseNonce: raw.response_nonce ?? '',
    errorDetail: errorDetailOf(raw.error_detail),
  };
}

/** Encodes a SotW request (tests, bench, protocol test client). */
export function encodeSotwRequest(request: SotwRequest): Buffer {
  return encodeAs(MESSAGES.discoveryRequest, {
    version_info: request.versionInfo,
    node: request.node && nodeMessageOf(request.node),
    resource_names: request.resourceNames,
    type_url: request.typeUrl,
    response_nonce: request.responseNonce,
    error_detail: request.errorDetail,
  });
}

/** Encodes a delta request (tests, bench, protocol test client). */
export function encodeDeltaRequest(request: DeltaRequest): Buffer {
  return encodeAs(MESSAGES.deltaRequest, {
    node: request.node && nodeMessageOf(request.node),
    type_url: request.typeUrl,
    resource_names_subscribe: request.subscribe,
    resource_names_unsubscribe: request.unsubscribe,
    initial_resource_versions: Object.fromEntries(request.initialResourceVersions),
    response_nonce: request.responseNonce,
    error_detail: request.errorDetail,
  });
}

/**
 * Decodes `bytes` as the message `fullName`. The cast is sound because the decoder only produces
 * fields of that message, with the types proto/ declares.
 */
export function decodeAs<T>(fullName: string, bytes: Uint8Array): T {
  const type: Type = messageType(fullName);
  try {
    return type.decode(bytes) as unknown as T;
  } catch (error) {
    throw new TributaryError(
      'TRB_API_BAD_REQUEST',
      `malformed ${type.name} (${bytes.length} bytes): ${describeError(error)}`,
      { cause: error },
    );
  }
}

/** Encodes a plain object (field names as in proto/) as the message `fullName`. */
export function encodeAs(fullName: string, message: object): Buffer {
  const type = messageType(fullName);
  const bytes = type.encode(type.fromObject(message)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The node as the engine keeps it. `userAgent` joins user_agent_name and its version (the
 * user_agent_version string, or Envoy's user_agent_build_version as `major.minor.patch`) with `/`.
 */
function nodeInfoOf(node: RawNode | null | undefined): NodeInfo | undefined {
  if (node === null || node === undefined) return undefined;
  const semver = node.user_agent_build_version?.version;
  const version =
    node.user_agent_version ||
    (semver ? `${semver.major_number ?? 0}.${semver.minor_number ?? 0}.${semver.patch ?? 0}` : '');
  return {
    id: node.id ?? '',
    cluster: node.cluster ?? '',
    userAgent: [node.user_agent_name ?? '', version].filter((part) => part !== '').join('/'),
    clientFeatures: [...(node.client_features ?? [])],
    locality: {
      region: node.locality?.region ?? '',
      zone: node.locality?.zone ?? '',
      subZone: node.locality?.sub_zone ?? '',
    },
  };
}

/** NACK detection is the presence of error_detail (XDS.md §1.3), so an empty Status still counts. */
function errorDetailOf(status: RawStatus | null | undefined): ErrorDetail | undefined {
  if (status === null || status === undefined) return undefined;
  return { code: status.code ?? 0, message: status.message ?? '' };
}

/** The inverse of nodeInfoOf; `userAgent` is split at its last `/`. */
function nodeMessageOf(node: NodeInfo): object {
  const slash = node.userAgent.lastIndexOf('/');
  return {
    id: node.id,
    cluster: node.cluster,
    locality: { region: node.locality.region, zone: node.locality.zone, sub_zone: node.locality.subZone },
    user_agent_name: slash === -1 ? node.userAgent : node.userAgent.slice(0, slash),
    user_agent_version: slash === -1 ? undefined : node.userAgent.slice(slash + 1),
    client_features: node.clientFeatures,
  };
}
