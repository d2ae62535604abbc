/**
 * Seeded random catalog batches for property tests: several sources of different priority reporting
 * overlapping services and endpoints, with upserts, deletes, snapshots (some keeping rejected keys)
 * and status changes that flip staleness. Same seed, same sequence.
 */
import type { Batch, SourceBatch } from '../../../src/catalog/batch.js';
import type { CatalogSource } from '../../../src/catalog/catalog.js';
import type { Health } from '../../../src/model/endpoint.js';
import { serviceKeyOf, type ServiceRecord } from '../../../src/model/service.js';
import type { SourceState } from '../../../src/registry.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

/** The bench's seeded generator (mulberry32), so a failing sequence can be replayed. */
export { rng } from '../../../bench/workloads/catalog.js';
import { rng } from '../../../bench/workloads/catalog.js';

export const RANDOM_SOURCES: readonly CatalogSource[] = [
  { id: 'file/vms', kind: 'file', priority: 0 },
  { id: 'consul/dc1', kind: 'consul', priority: 10 },
  { id: 'kubernetes/main', kind: 'kubernetes', priority: 5 },
];

const NAMESPACES = ['default', 'shop', 'ops'];
const HEALTH: readonly Health[] = ['healthy', 'healthy', 'unhealthy', 'draining'];
const STATES: readonly SourceState[] = ['synced', 'synced', 'degraded', 'down', 'syncing'];

/** Generates batches; `services` distinct keys, endpoints drawn from a small address pool (overlaps). */
export class RandomBatches {
  readonly #random: () => number;

  constructor(
    seed: number,
    private readonly services = 24,
  ) {
    this.#random = rng(seed);
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!;
  }

  #int(n: number): number {
    return Math.floor(this.#random() * n);
  }

  #key(): { namespace: string; name: string } {
    const i = this.#int(this.services);
    return { namespace: NAMESPACES[i % NAMESPACES.length]!, name: `svc-${i}` };
  }

  #record(key: { namespace: string; name: string }): ServiceRecord {
    const ports = this.#random() < 0.3 ? [8080, 9090] : [8080];
    const endpoints = Array.from({ length: this.#int(6) }, () => {
      const address = `10.0.0.${this.#int(12)}`;
      return anEndpoint({
        address,
        servicePort: this.#pick(ports),
        port: this.#random() < 0.8 ? 8080 : 8443,
        health: this.#pick(HEALTH),
        weight: 1 + this.#int(3),
        instanceId: `${address}-${this.#int(3)}`,
        labels: this.#random() < 0.2 ? { zone: `z${this.#int(2)}`, app: key.name } : {},
      });
    });
    return aServiceRecord({
      ...key,
      ports: ports.map((number) => ({ number, name: `p${number}`, protocol: 'http' as const })),
      labels: this.#random() < 0.3 ? { team: `t${this.#int(3)}` } : {},
      endpoints,
    });
  }

  #sourceBatch(sourceId: string): SourceBatch {
    const roll = this.#random();
    const upserts = new Map<string, ServiceRecord | null>();
    let snapshot: Map<string, ServiceRecord> | undefined;
    let keep: Set<string> | undefined;
    if (roll < 0.15) {
      snapshot = new Map();
      for (let i = this.#int(this.services); i > 0; i--) {
        const record = this.#record(this.#key());
        snapshot.set(serviceKeyOf(record), record);
      }
      if (this.#random() < 0.3) keep = new Set([serviceKeyOf(this.#key())]);
    } else {
      for (let i = 1 + this.#int(3); i > 0; i--) {
        const key = this.#key();
        upserts.set(serviceKeyOf(key), this.#random() < 0.25 ? null : this.#record(key));
      }
    }
    const status =
      this.#random() < 0.2
        ? { state: this.#pick(STATES), ...(this.#random() < 0.3 ? { error: 'boom' } : {}) }
        : undefined;
    return {
      sourceId,
      ...(snapshot ? { snapshot } : {}),
      ...(keep ? { keep } : {}),
      upserts,
      ...(status ? { status } : {}),
      recordErrors: new Map(),
    };
  }

  /** One batch: one to three sources speak. */
  next(): Batch {
    const speakers = new Set<string>();
    for (let i = 1 + this.#int(3); i > 0; i--) speakers.add(this.#pick(RANDOM_SOURCES).id);
    return [...speakers].map((id) => this.#sourceBatch(id));
  }
}
