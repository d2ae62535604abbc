/**
 * Seeded, deterministic catalogs and churn for the file registry: one JSON VM file per service in the
 * daemon's watched directory, written to a temporary name and renamed (never a half-written file).
 * A change replaces one endpoint of one service (a pod replaced: one endpoint gone, one new), so one
 * change rewrites one file. Endpoint addresses encode where they came from: 10.a.b.c with a < 64 is
 * endpoint j of service i of the initial catalog; a >= 64 carries the sequence number of the change
 * that created it, which is how the harness learns from the catalog which change a revision holds.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHURN_BASE = 64 << 16;
const MAX_CODE = 128 << 16;

export function addressOf(code: number): string {
  return `10.${code >>> 16}.${(code >>> 8) & 255}.${code & 255}`;
}

/** The change sequence number an address carries, or -1 for an initial address. */
export function seqOfAddress(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4 || parts[0] !== '10') return -1;
  const a = Number(parts[1]);
  if (!(a >= 64)) return -1;
  return ((a - 64) << 16) | (Number(parts[2]) << 8) | Number(parts[3]);
}

export interface CatalogShape {
  readonly services: number;
  readonly endpoints: number;
  readonly namespaces: number;
  readonly domain: string;
}

export const SERVICE_PORT = 8080;

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

export function namespaceOf(i: number, shape: CatalogShape): string {
  return `ns${i % shape.namespaces}`;
}

/** The CDS/EDS resource name of service i (README: `outbound|<port>||<name>.<namespace>.<domain>`). */
export function clusterOf(i: number, shape: CatalogShape): string {
  return `outbound|${SERVICE_PORT}||${serviceName(i)}.${namespaceOf(i, shape)}.${shape.domain}`;
}

/** The VM directory and the current endpoints of every service; `change` rewrites one file. */
export class CatalogFiles {
  /** Current address code of endpoint j of service i at codes[i * endpoints + j]. */
  private readonly codes: Int32Array;
  private readonly nextSlot: Int32Array;
  private seq = 0;

  constructor(
    readonly dir: string,
    readonly shape: CatalogShape,
  ) {
    if (shape.services * shape.endpoints > CHURN_BASE)
      throw new Error('catalog too large for the address plan');
    this.codes = new Int32Array(shape.services * shape.endpoints);
    for (let i = 0; i < this.codes.length; i++) this.codes[i] = i;
    this.nextSlot = new Int32Array(shape.services);
  }

  /** Writes every service's file (initial catalog). */
  writeAll(): void {
    mkdirSync(this.dir, { recursive: true });
    for (let i = 0; i < this.shape.services; i++) this.write(i);
  }

  fileOf(i: number): string {
    return join(this.dir, `${serviceName(i)}.json`);
  }

  /** JSON text of service i's VM file. */
  render(i: number): string {
    const { endpoints } = this.shape;
    const eps: string[] = [];
    for (let j = 0; j < endpoints; j++) {
      const address = addressOf(this.codes[i * endpoints + j]!);
      eps.push(`{"address":"${address}","locality":{"region":"r1","zone":"z${j % 3}"}}`);
    }
    return (
      `{"services":[{"name":"${serviceName(i)}","namespace":"${namespaceOf(i, this.shape)}",` +
      `"ports":[{"number":${SERVICE_PORT},"name":"http","protocol":"http"}],` +
      `"endpoints":[${eps.join(',')}]}]}\n`
    );
  }

  /** Write-then-rename, as editors and config management do. */
  write(i: number): void {
    const file = this.fileOf(i);
    writeFileSync(`${file}.tmp`, this.render(i));
    renameSync(`${file}.tmp`, file);
  }

  /**
   * Change number `seq` (returned): replaces the oldest-replaced endpoint of service i by a new address
   * carrying seq, and rewrites the file. The caller takes the inject time right after.
   */
  change(i: number): number {
    const seq = this.seq++;
    const code = CHURN_BASE + seq;
    if (code >= MAX_CODE) throw new Error('change sequence exhausted');
    const slot = this.nextSlot[i]! % this.shape.endpoints;
    this.nextSlot[i] = this.nextSlot[i]! + 1;
    this.codes[i * this.shape.endpoints + slot] = code;
    this.write(i);
    return seq;
  }
}

/**
 * Subscriptions: proxy p subscribes `subs` distinct services drawn uniformly (seeded). Flattened with
 * offsets, resource index = service index.
 */
export function subscriptions(
  proxies: number,
  subs: number,
  services: number,
  seed: number,
): { subs: Int32Array; offsets: Int32Array } {
  const random = rng(seed);
  const k = Math.min(subs, services);
  const flat = new Int32Array(proxies * k);
  const offsets = new Int32Array(proxies + 1);
  for (let p = 0; p < proxies; p++) {
    offsets[p] = p * k;
    const chosen = new Set<number>();
    if (k === services) for (let s = 0; s < services; s++) chosen.add(s);
    while (chosen.size < k) chosen.add(Math.floor(random() * services));
    let j = p * k;
    for (const s of [...chosen].sort((a, b) => a - b)) flat[j++] = s;
  }
  offsets[proxies] = proxies * k;
  return { subs: flat, offsets };
}
