/**
 * Resource encoding: a plain object (field names as in proto/) → the inner message bytes and the
 * google.protobuf.Any bytes SotW responses carry. Encoded once per content version by the resource
 * cache and shared by every stream (XDS.md §0 item 7).
 */
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import type { EncodedResource, TypeUrl } from '../types.js';
import { messageNameOf, messageType } from './proto-root.js';

/** Marks a nested google.protobuf.Any in a plain object: `{ '@type': typeUrl, ...fields of that message }`. */
export const ANY_TYPE_KEY = '@type';

/** The two encodings of one resource. */
export interface EncodedBytes {
  /** The inner message (Cluster, ClusterLoadAssignment, …). */
  readonly value: Uint8Array;
  /** google.protobuf.Any { type_url = 1, value = 2 } around `value`. */
  readonly any: Uint8Array;
}

/**
 * Encodes a plain object as the message named by `typeUrl` (Type.fromObject, then encode; XDS.md
 * §2.7). Nested Anys are written `{ '@type': url, ...fields }` and packed bottom-up: the innermost
 * message is encoded first, so the Router inside an HttpFilter inside the HCM inside a Listener's
 * api_listener each become `{ type_url, value }` before their parent is encoded. Throws when a type is
 * not in proto/ or a field has the wrong type.
 */
export function encodeResource(typeUrl: string, message: object): EncodedBytes {
  const value = encodeMessage(typeUrl, packAnys(message) as Record<string, unknown>);
  return { value, any: encodeAny(typeUrl, value) };
}

/** google.protobuf.Any { type_url = 1, value = 2 } around already encoded bytes (no re-encoding). */
export function encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32(10).string(typeUrl).uint32(18).bytes(value).finish();
}

/**
 * The decoded message as JSON-able data for debug dumps: field names as in proto/, enums as names,
 * 64-bit integers as strings, bytes as base64, nested Anys expanded with an `@type` key.
 */
export function toJson(typeUrl: string, value: Uint8Array): unknown {
  const type = messageType(messageNameOf(typeUrl));
  return type.toObject(type.decode(value), {
    enums: String,
    longs: String,
    bytes: String,
    json: true,
  });
}

/** A short content hash of encoded bytes: the per-resource version, stable across restarts and replicas. */
export function contentVersion(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 16);
}

/** An EncodedResource whose `json` is decoded only when a debug dump asks for it. */
class CachedResource implements EncodedResource {
  #json: unknown;
  #decoded = false;

  constructor(
    readonly typeUrl: TypeUrl,
    readonly name: string,
    readonly version: string,
    readonly value: Uint8Array,
    readonly any: Uint8Array,
  ) {}

  get json(): unknown {
    if (!this.#decoded) {
      this.#json = toJson(this.typeUrl, this.value);
      this.#decoded = true;
    }
    return this.#json;
  }
}

/** Encodes `message` once and wraps it with its name and content version. */
export function createEncodedResource(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
  const { value, any } = encodeResource(typeUrl, message);
  return new CachedResource(typeUrl, name, contentVersion(value), value, any);
}

function encodeMessage(typeUrl: string, message: Record<string, unknown>): Uint8Array {
  const type = messageType(messageNameOf(typeUrl));
  return type.encode(type.fromObject(message)).finish();
}

/**
 * Replaces every `{ '@type': url, ... }` by `{ type_url, value }`, children before parents. Copy on
 * write: a subtree without a nested Any is returned as is (a CLA, the per-change encode, has none),
 * so only the path from the root to each Any is copied. The input is never modified.
 */
function packAnys(node: unknown): unknown {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return node;
  if (Array.isArray(node)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i += 1) {
      const child: unknown = node[i];
      const packed = packAnys(child);
      if (packed !== child) (copy ??= node.slice())[i] = packed;
    }
    return copy ?? node;
  }
  const record = node as Record<string, unknown>;
  let fields: Record<string, unknown> | undefined;
  let typeUrl: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const child = record[key];
    if (key === ANY_TYPE_KEY) {
      typeUrl = String(child);
      continue;
    }
    const packed = packAnys(child);
    if (packed !== child) (fields ??= { ...record })[key] = packed;
  }
  if (typeUrl === undefined) return fields ?? node;
  const { [ANY_TYPE_KEY]: _type, ...message } = fields ?? record;
  return { type_url: typeUrl, value: encodeMessage(typeUrl, message) };
}
