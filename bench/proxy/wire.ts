/**
 * The simulated proxy's wire code: gRPC length-prefixed framing, a hand-written walker over the
 * DiscoveryResponse envelope (version_info = 1, type_url = 4, nonce = 5; the resources = 2 are
 * skipped by length, only the first field of each Any's value, the resource's own name, is peeked),
 * and ACKs spliced from pre-encoded bytes. Requests that carry a node are encoded with the repo's codec
 * (off the hot path); ACKs are not: they are on the hot path of every delivered update.
 */

/** ADS SotW method path. */
export const ADS_SOTW_PATH =
  '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export const EDS_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const CDS_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** 1-byte compressed flag (0) + 4-byte big-endian length + message. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * Reassembles gRPC messages from HTTP/2 DATA chunks. `push` calls `onMessage(buf, start, end)` for
 * every complete message; the bytes are only valid during the call.
 */
export class FrameReader {
  private pending: Buffer | undefined;

  constructor(private readonly onMessage: (buf: Buffer, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let offset = 0;
    while (buf.length - offset >= 5) {
      const length = buf.readUInt32BE(offset + 1);
      const end = offset + 5 + length;
      if (end > buf.length) break;
      this.onMessage(buf, offset + 5, end);
      offset = end;
    }
    if (offset < buf.length) this.pending = buf.subarray(offset);
  }
}

/** What the envelope walker found; reused between calls (no allocation besides the strings). */
export interface Envelope {
  version: string;
  typeUrl: string;
  nonce: string;
  /** Number of resources. */
  resources: number;
  /** Offsets [start, end) of each resource's name bytes inside the message, `resources` pairs. */
  nameOffsets: Int32Array;
  /** Bytes of the message. */
  bytes: number;
}

export function newEnvelope(maxResources = 4096): Envelope {
  return {
    version: '',
    typeUrl: '',
    nonce: '',
    resources: 0,
    nameOffsets: new Int32Array(2 * maxResources),
    bytes: 0,
  };
}

/** Reads a varint at `pos`; returns value and writes the next position into `cursor[0]`. */
function varint(buf: Buffer, pos: number, cursor: Int32Array): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++]!;
    if (shift < 28) result |= (b & 0x7f) << shift;
    else result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      cursor[0] = pos;
      return result;
    }
    shift += 7;
  }
  throw new Error('malformed varint');
}

const cur = new Int32Array(1);

/** Skips one field of wire type `wt` at `pos`; returns the next position. */
function skipField(buf: Buffer, wt: number, pos: number): number {
  switch (wt) {
    case 0:
      varint(buf, pos, cur);
      return cur[0]!;
    case 1:
      return pos + 8;
    case 2: {
      const len = varint(buf, pos, cur);
      return cur[0]! + len;
    }
    case 5:
      return pos + 4;
    default:
      throw new Error(`unsupported wire type ${wt}`);
  }
}

/**
 * Finds the name of one resource: Any{type_url = 1, value = 2}, value = Cluster{name = 1} or
 * ClusterLoadAssignment{cluster_name = 1}. Writes [start, end) of the name into env.nameOffsets.
 */
function peekName(buf: Buffer, start: number, end: number, env: Envelope, k: number): void {
  let pos = start;
  env.nameOffsets[2 * k] = 0;
  env.nameOffsets[2 * k + 1] = 0;
  while (pos < end) {
    const tag = varint(buf, pos, cur);
    pos = cur[0]!;
    if (tag === 0x12) {
      const len = varint(buf, pos, cur);
      const vs = cur[0]!;
      const ve = vs + len;
      let p = vs;
      while (p < ve) {
        const t = varint(buf, p, cur);
        p = cur[0]!;
        if (t === 0x0a) {
          const l = varint(buf, p, cur);
          env.nameOffsets[2 * k] = cur[0]!;
          env.nameOffsets[2 * k + 1] = cur[0]! + l;
          return;
        }
        p = skipField(buf, t & 7, p);
      }
      return;
    }
    pos = skipField(buf, tag & 7, pos);
  }
}

/** Walks a DiscoveryResponse in buf[start, end); throws on malformed bytes. */
export function readEnvelope(buf: Buffer, start: number, end: number, env: Envelope): void {
  env.version = '';
  env.typeUrl = '';
  env.nonce = '';
  env.resources = 0;
  env.bytes = end - start;
  let pos = start;
  while (pos < end) {
    const tag = varint(buf, pos, cur);
    pos = cur[0]!;
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt === 2) {
      const len = varint(buf, pos, cur);
      const s = cur[0]!;
      const e = s + len;
      if (e > end) throw new Error('truncated field');
      if (field === 1) env.version = buf.toString('latin1', s, e);
      else if (field === 4) env.typeUrl = buf.toString('latin1', s, e);
      else if (field === 5) env.nonce = buf.toString('latin1', s, e);
      else if (field === 2) {
        if (2 * env.resources + 1 < env.nameOffsets.length) peekName(buf, s, e, env, env.resources);
        env.resources += 1;
      }
      pos = e;
    } else pos = skipField(buf, wt, pos);
  }
  if (pos !== end) throw new Error('field overran the message');
}

/** Revision part of `<epoch>-<revision>`, or -1. */
export function revisionOf(version: string): number {
  const dash = version.lastIndexOf('-');
  if (dash < 0) return -1;
  const n = Number(version.slice(dash + 1));
  return Number.isInteger(n) ? n : -1;
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** One length-delimited field. */
export function lengthDelimited(fieldNumber: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from([...varintBytes((fieldNumber << 3) | 2), ...varintBytes(bytes.length)]),
    bytes,
  ]);
}

/**
 * DiscoveryRequest fields that stay the same on every ACK of one (stream, type): resource_names = 3
 * and type_url = 4, pre-encoded.
 */
export function ackTail(names: readonly string[], typeUrl: string): Buffer {
  const parts: Buffer[] = names.map((n) => lengthDelimited(3, Buffer.from(n, 'latin1')));
  parts.push(lengthDelimited(4, Buffer.from(typeUrl, 'latin1')));
  return Buffer.concat(parts);
}

/**
 * A framed ACK: DiscoveryRequest{version_info = 1, resource_names = 3, type_url = 4, response_nonce = 5}.
 * Field order differs from a protobufjs encode (which writes 1, 3, 4, 5 too), so bytes are identical.
 */
export function framedAck(version: string, tail: Buffer, nonce: string): Buffer {
  const vLen = version.length;
  const nLen = nonce.length;
  const vHead = varintBytes(vLen);
  const nHead = varintBytes(nLen);
  const size = 1 + vHead.length + vLen + tail.length + 1 + nHead.length + nLen;
  const out = Buffer.allocUnsafe(5 + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let p = 5;
  out[p++] = 0x0a;
  for (const b of vHead) out[p++] = b;
  p += out.write(version, p, 'latin1');
  tail.copy(out, p);
  p += tail.length;
  out[p++] = 0x2a;
  for (const b of nHead) out[p++] = b;
  out.write(nonce, p, 'latin1');
  return out;
}
