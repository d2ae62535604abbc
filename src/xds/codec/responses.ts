/**
 * DiscoveryResponse and DeltaDiscoveryResponse. Encoding splices the cached, already encoded Any
 * bytes of every resource into the response with a protobufjs Writer: a resource is never re-encoded
 * per stream (XDS.md §0 item 7). The result is byte-identical to a full protobufjs encode of the same
 * response (test/unit/xds/codec). Decoding exists for tests and the protocol test client.
 */
import protobuf from 'protobufjs';
import { RESOURCE_WRAPPER_TYPE_URL } from '../types.js';
import type { DeltaResponse, EncodedResource, SotwResponse } from '../types.js';
import { encodeAny } from './resource.js';
import { MESSAGES, findMessageType, messageNameOf } from './proto-root.js';
import { decodeAs } from './requests.js';

/** Wire tags (field number << 3 | wire type 2, length-delimited) of the fields written here. */
const TAG = { f1: 10, f2: 18, f3: 26, f4: 34, f5: 42, f6: 50 } as const;

/** envoy.service.discovery.v3.Resource bytes per cached resource (delta, and wrapped SotW). */
const resourceBytes = new WeakMap<EncodedResource, Uint8Array>();
/** Any(type_url = Resource, value = Resource bytes) per cached resource (wrapped SotW). */
const wrappedAnys = new WeakMap<EncodedResource, Uint8Array>();

/**
 * Encodes a SotW DiscoveryResponse{version_info = 1, resources = 2, type_url = 4, nonce = 5}. With
 * `wrapInResource` each Any holds an envoy.service.discovery.v3.Resource{version, resource, name}
 * (only for clients advertising it: XDS.md §1.9).
 */
export function encodeSotwResponse(response: SotwResponse): Buffer {
  return encodeSotwResponseWith(response, (size) => Buffer.allocUnsafe(size));
}

/** Scratch space `serializeSotwResponse` writes into; grown on demand, kept while it is not huge. */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);
const MAX_SCRATCH = 4 * 1024 * 1024;

function scratchOf(size: number): Buffer {
  if (size > scratch.length) {
    if (size > MAX_SCRATCH) return Buffer.allocUnsafeSlow(size);
    scratch = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH, Math.max(size, 2 * scratch.length)));
  }
  return scratch.subarray(0, size);
}

/**
 * `encodeSotwResponse` into a scratch buffer shared by every call: the result is valid only until the
 * next call. For a serializer whose caller copies the bytes at once (grpc-js frames every message
 * into a fresh buffer of its own), so a push allocates one buffer per stream, not two.
 */
export function serializeSotwResponse(response: SotwResponse): Buffer {
  return encodeSotwResponseWith(response, scratchOf);
}

function encodeSotwResponseWith(response: SotwResponse, allocate: (size: number) => Buffer): Buffer {
  // Once per stream per push: sized first, then written into one buffer (no protobufjs Writer ops).
  const { versionInfo, typeUrl, nonce, resources, wrapInResource } = response;
  const versionLength = Buffer.byteLength(versionInfo);
  const typeUrlLength = Buffer.byteLength(typeUrl);
  const nonceLength = Buffer.byteLength(nonce);
  let size = fieldSize(typeUrlLength);
  if (versionLength > 0) size += fieldSize(versionLength);
  if (nonceLength > 0) size += fieldSize(nonceLength);
  const anys: Uint8Array[] = new Array<Uint8Array>(resources.length);
  for (let i = 0; i < resources.length; i += 1) {
    const any = wrapInResource ? wrappedAnyOf(resources[i]!) : resources[i]!.any;
    anys[i] = any;
    size += fieldSize(any.length);
  }
  const out = allocate(size);
  let pos = 0;
  if (versionLength > 0) {
    pos = writeHead(out, pos, TAG.f1, versionLength);
    pos += out.write(versionInfo, pos, 'utf8');
  }
  for (const any of anys) {
    pos = writeHead(out, pos, TAG.f2, any.length);
    out.set(any, pos);
    pos += any.length;
  }
  pos = writeHead(out, pos, TAG.f4, typeUrlLength);
  pos += out.write(typeUrl, pos, 'utf8');
  if (nonceLength > 0) {
    pos = writeHead(out, pos, TAG.f5, nonceLength);
    out.write(nonce, pos, 'utf8');
  }
  return out;
}

/** Bytes of one length-delimited field with a one-byte tag and `length` bytes of payload. */
function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value >>> 7; rest !== 0; rest >>>= 7) size += 1;
  return size;
}

/** Writes a one-byte tag and `length` as a varint at `pos`; returns the position after them. */
function writeHead(out: Buffer, pos: number, tag: number, length: number): number {
  out[pos++] = tag;
  let rest = length >>> 0;
  while (rest >= 0x80) {
    out[pos++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[pos++] = rest;
  return pos;
}

/**
 * Encodes a DeltaDiscoveryResponse{system_version_info = 1, resources = 2 (Resource), type_url = 4,
 * nonce = 5, removed_resources = 6}.
 */
export function encodeDeltaResponse(response: DeltaResponse): Buffer {
  const writer = protobuf.Writer.create();
  if (response.systemVersionInfo !== '') writer.uint32(TAG.f1).string(response.systemVersionInfo);
  for (const resource of response.resources) writer.uint32(TAG.f2).bytes(resourceBytesOf(resource));
  writer.uint32(TAG.f4).string(response.typeUrl);
  if (response.nonce !== '') writer.uint32(TAG.f5).string(response.nonce);
  for (const name of response.removedResources) writer.uint32(TAG.f6).string(name);
  return toBuffer(writer.finish());
}

/** One resource as a client sees it in a response. */
export interface DecodedResource {
  /** Type URL of the resource itself (inside any Resource wrapper); '' for a heartbeat. */
  readonly typeUrl: string;
  /** The Resource wrapper's name, else the message's own name (`name` or `cluster_name`). */
  readonly name: string;
  /** The Resource wrapper's version; undefined for a bare Any. */
  readonly version: string | undefined;
  /** The encoded resource message. */
  readonly value: Uint8Array;
  /** True when it came wrapped in envoy.service.discovery.v3.Resource. */
  readonly wrapped: boolean;
}

/** A decoded DiscoveryResponse. */
export interface DecodedSotwResponse {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly canary: boolean;
  readonly resources: readonly DecodedResource[];
}

/** A decoded DeltaDiscoveryResponse. */
export interface DecodedDeltaResponse {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: readonly DecodedResource[];
  readonly removedResources: readonly string[];
}

interface RawAny {
  readonly type_url?: string;
  readonly value?: Uint8Array;
}

interface RawResource {
  readonly version?: string;
  readonly resource?: RawAny | null;
  readonly name?: string;
}

interface RawSotwResponse {
  readonly version_info?: string;
  readonly resources?: readonly RawAny[];
  readonly canary?: boolean;
  readonly type_url?: string;
  readonly nonce?: string;
}

interface RawDeltaResponse {
  readonly system_version_info?: string;
  readonly resources?: readonly RawResource[];
  readonly type_url?: string;
  readonly nonce?: string;
  readonly removed_resources?: readonly string[];
}

/** Decodes a DiscoveryResponse, unwrapping Resource wrappers; throws on malformed bytes. */
export function decodeSotwResponse(bytes: Uint8Array): DecodedSotwResponse {
  const raw = decodeAs<RawSotwResponse>(MESSAGES.discoveryResponse, bytes);
  return {
    versionInfo: raw.version_info ?? '',
    typeUrl: raw.type_url ?? '',
    nonce: raw.nonce ?? '',
    canary: raw.canary ?? false,
    resources: (raw.resources ?? []).map((any) =>
      any.type_url === RESOURCE_WRAPPER_TYPE_URL
        ? decodedWrapper(decodeAs<RawResource>(MESSAGES.resource, any.value ?? new Uint8Array()))
        : decodedAny(any),
    ),
  };
}

/** Decodes a DeltaDiscoveryResponse; throws on malformed bytes. */
export function decodeDeltaResponse(bytes: Uint8Array): DecodedDeltaResponse {
  const raw = decodeAs<RawDeltaResponse>(MESSAGES.deltaResponse, bytes);
  return {
    systemVersionInfo: raw.system_version_info ?? '',
    typeUrl: raw.type_url ?? '',
    nonce: raw.nonce ?? '',
    resources: (raw.resources ?? []).map(decodedWrapper),
    removedResources: [...(raw.removed_resources ?? [])],
  };
}

/** envoy.service.discovery.v3.Resource{version = 1, resource = 2, name = 3}, memoized per resource. */
function resourceBytesOf(resource: EncodedResource): Uint8Array {
  let bytes = resourceBytes.get(resource);
  if (bytes === undefined) {
    const writer = protobuf.Writer.create();
    if (resource.version !== '') writer.uint32(TAG.f1).string(resource.version);
    writer.uint32(TAG.f2).bytes(resource.any);
    if (resource.name !== '') writer.uint32(TAG.f3).string(resource.name);
    bytes = writer.finish();
    resourceBytes.set(resource, bytes);
  }
  return bytes;
}

function wrappedAnyOf(resource: EncodedResource): Uint8Array {
  let bytes = wrappedAnys.get(resource);
  if (bytes === undefined) {
    bytes = encodeAny(RESOURCE_WRAPPER_TYPE_URL, resourceBytesOf(resource));
    wrappedAnys.set(resource, bytes);
  }
  return bytes;
}

function decodedWrapper(wrapper: RawResource): DecodedResource {
  const inner = wrapper.resource ?? {};
  return {
    typeUrl: inner.type_url ?? '',
    name: wrapper.name ?? '',
    version: wrapper.version ?? '',
    value: inner.value ?? new Uint8Array(),
    wrapped: true,
  };
}

function decodedAny(any: RawAny): DecodedResource {
  const typeUrl = any.type_url ?? '';
  const value = any.value ?? new Uint8Array();
  return { typeUrl, name: messageNameField(typeUrl, value), version: undefined, value, wrapped: false };
}

/** Every resource type Tributary serves names itself in field 1 (`name`, or `cluster_name` for a CLA). */
function messageNameField(typeUrl: string, value: Uint8Array): string {
  const type = findMessageType(messageNameOf(typeUrl));
  if (type === undefined) return '';
  const message = decodeAs<{ readonly name?: string; readonly cluster_name?: string }>(
    type.fullName.slice(1),
    value,
  );
  return message.name ?? message.cluster_name ?? '';
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
