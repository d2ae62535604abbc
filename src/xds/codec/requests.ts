/**
 * DiscoveryRequest and DeltaDiscoveryRequest ⇄ the engine's request shapes (src/xds/types.ts).
 * Decoding is on every stream's hot path; encoding exists for tests, the bench and the protocol test
 * client. Malformed bytes throw a TributaryError the transport turns into a stream error.
 */
import type { Type } from 'protobufjs';
import { TributaryError, describeError } from '../../errors.js';
import { TYPE_URLS, type DeltaRequest, type ErrorDetail, type NodeInfo, type SotwRequest } from '../types.js';
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

/**
 * Decodes a DiscoveryRequest (SotW); throws TRB_API_BAD_REQUEST on malformed bytes. Same result as a
 * protobufjs decode (test/unit/xds/codec), hand-walked because it runs once per ACK: the top-level
 * fields are read in place, only `node` and `error_detail` (first request, NACK) go through
 * protobufjs, and anything unusual (unknown wire types, a known field with the wrong wire type)
 * falls back to the protobufjs decoder. `resourceNames` is frozen.
 */
export function decodeSotwRequest(bytes: Uint8Array): SotwRequest {
  return SotwRequestDecoder.decodeOnce(bytes);
}

/** resource_names byte runs a decoder remembers, with their decoded (frozen) lists. */
const REMEMBERED_NAME_LISTS = 4;
const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * A stream's DiscoveryRequest decoder. Every ACK repeats the stream's subscription, so the decoder
 * remembers the bytes of the last few `resource_names` runs (one per type on ADS) and hands back the
 * same frozen array when they repeat: no strings are built, and the subscription sees an identical
 * list at once.
 */
export class SotwRequestDecoder {
  readonly #runs: { bytes: Buffer; names: readonly string[] }[] = [];
  static readonly #shared = new SotwRequestDecoder(0);

  constructor(private readonly remember = REMEMBERED_NAME_LISTS) {}

  /** Decodes without remembering anything (one-off requests, tests). */
  static decodeOnce(bytes: Uint8Array): SotwRequest {
    return SotwRequestDecoder.#shared.decode(bytes);
  }

  /** Decodes one request; throws TRB_API_BAD_REQUEST on malformed bytes. */
  decode(bytes: Uint8Array): SotwRequest {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      return this.#walk(buf) ?? slowDecodeSotwRequest(buf);
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      throw new TributaryError(
        'TRB_API_BAD_REQUEST',
        `malformed DiscoveryRequest (${buf.length} bytes): ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  /** The fast path; undefined = not a shape it reads (the caller falls back to protobufjs). */
  #walk(buf: Buffer): SotwRequest | undefined {
    const end = buf.length;
    let versionInfo = '';
    let typeUrl = '';
    let responseNonce = '';
    let node: NodeInfo | undefined;
    let errorDetail: ErrorDetail | undefined;
    /** Offsets of the resource_names strings: [start, end, start, end, ...]. */
    let nameOffsets: number[] | undefined;
    let namesStart = -1;
    let namesEnd = -1;
    let namesContiguous = true;
    let pos = 0;
    while (pos < end) {
      const tagStart = pos;
      let tag = buf[pos++]!;
      if (tag >= 0x80) {
        const read = readVarint32(buf, tagStart, end);
        tag = read.value;
        pos = read.next;
      }
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire !== 2) {
        if (field >= 1 && field <= 6) return undefined;
        if (wire === 0) pos = skipVarint(buf, pos, end);
        else if (wire === 1) pos += 8;
        else if (wire === 5) pos += 4;
        else return undefined; // groups, or an invalid wire type: protobufjs decides
        if (pos > end) throw new RangeError('index out of range');
        continue;
      }
      let length = buf[pos++];
      if (length === undefined) throw new RangeError('index out of range');
      if (length >= 0x80) {
        const read = readVarint32(buf, pos - 1, end);
        length = read.value;
        pos = read.next;
      }
      const start = pos;
      pos += length;
      if (pos > end) throw new RangeError(`index out of range: ${start} + ${length} > ${end}`);
      switch (field) {
        case 1:
          versionInfo = buf.toString('utf8', start, pos);
          break;
        case 2:
          node = nodeInfoOf(messageType(NODE).decode(buf.subarray(start, pos)) as RawNode);
          break;
        case 3:
          if (namesStart === -1) namesStart = tagStart;
          else if (namesEnd !== tagStart) namesContiguous = false;
          namesEnd = pos;
          (nameOffsets ??= []).push(start, pos);
          break;
        case 4:
          typeUrl = knownTypeUrl(buf, start, pos) ?? buf.toString('utf8', start, pos);
          break;
        case 5:
          responseNonce = buf.toString('utf8', start, pos);
          break;
        case 6:
          errorDetail = errorDetailOf(messageType(STATUS).decode(buf.subarray(start, pos)) as RawStatus);
          break;
        default:
          break; // an unknown length-delimited field: skipped
      }
    }
    const resourceNames =
      nameOffsets === undefined
        ? NO_NAMES
        : this.#names(buf, nameOffsets, namesContiguous ? buf.subarray(namesStart, namesEnd) : undefined);
    return { versionInfo, node, resourceNames, typeUrl, responseNonce, errorDetail };
  }

  /** The names at `offsets`, reusing a remembered list when `run` (their bytes) repeats. */
  #names(buf: Buffer, offsets: readonly number[], run: Buffer | undefined): readonly string[] {
    const remembered = run !== undefined && this.remember > 0;
    if (remembered) {
      for (const entry of this.#runs) if (entry.bytes.equals(run)) return entry.names;
    }
    const names: string[] = new Array<string>(offsets.length / 2);
    for (let i = 0; i < names.length; i += 1)
      names[i] = buf.toString('utf8', offsets[2 * i], offsets[2 * i + 1]);
    Object.freeze(names);
    if (remembered) {
      if (this.#runs.length >= this.remember) this.#runs.shift();
      this.#runs.push({ bytes: Buffer.from(run), names });
    }
    return names;
  }
}

/** The type URLs served, with their UTF-8 bytes: a request names one of them as the constant string. */
const KNOWN_TYPE_URLS: readonly (readonly [string, Buffer])[] = Object.values(TYPE_URLS).map((url) => [
  url,
  Buffer.from(url),
]);

/**
 * The constant for a served type URL at buf[start, end), else undefined: the engine's Set and Map
 * lookups by type URL then compare one interned string instead of hashing a fresh one per request.
 */
function knownTypeUrl(buf: Buffer, start: number, end: number): string | undefined {
  const length = end - start;
  for (const [url, bytes] of KNOWN_TYPE_URLS) {
    if (bytes.length === length && bytes.compare(buf, start, end) === 0) return url;
  }
  return undefined;
}

const NODE = 'envoy.config.core.v3.Node';
const STATUS = 'google.rpc.Status';

/** A base-128 varint of at most 32 bits at `pos` (protobufjs semantics: higher bits dropped). */
function readVarint32(buf: Buffer, pos: number, end: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= end) throw new RangeError('index out of range');
    const byte = buf[pos++]!;
    if (shift < 32) value = (value | ((byte & 0x7f) << shift)) >>> 0;
    if (byte < 0x80) return { value, next: pos };
  }
  throw new RangeError('invalid varint encoding');
}

function skipVarint(buf: Buffer, pos: number, end: number): number {
  for (let i = 0; i < 10; i += 1) {
    if (pos >= end) throw new RangeError('index out of range');
    if (buf[pos++]! < 0x80) return pos;
  }
  throw new RangeError('invalid varint encoding');
}

/** The protobufjs decoder (reference, and fallback for shapes the fast path does not read). */
export function slowDecodeSotwRequest(bytes: Uint8Array): SotwRequest {
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
