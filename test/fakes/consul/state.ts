/**
 * The fake Consul's catalog: nodes, service instances and checks per datacenter, with Consul's
 * raft-style indexes (REGISTRIES.md, Consul): every write bumps the datacenter's index; the
 * `/v1/catalog/services` index is the one of the last service write, and each service has the index
 * of the last write touching it (its instances, their checks, their nodes' checks). Shapes follow
 * ../shared/fixtures/consul/health-service-redis.json.
 */
import type { EventEmitter } from 'node:events';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface FakeNode {
  readonly id: string;
  readonly node: string;
  address: string;
  taggedAddresses: Record<string, string>;
  meta: Record<string, string>;
  readonly createIndex: number;
  modifyIndex: number;
}

export interface FakeService {
  readonly node: string;
  readonly id: string;
  readonly service: string;
  tags: string[];
  address: string;
  port: number;
  taggedAddresses: Record<string, { Address: string; Port: number }>;
  meta: Record<string, string>;
  weights: { Passing: number; Warning: number };
  kind: string;
  namespace: string | undefined;
  enableTagOverride: boolean;
  createIndex: number;
  modifyIndex: number;
}

export interface FakeCheck {
  readonly node: string;
  readonly checkId: string;
  name: string;
  status: CheckStatus;
  notes: string;
  output: string;
  serviceId: string;
  serviceName: string;
  type: string;
  /** TTL of an agent TTL check, ms. */
  ttlMs?: number | undefined;
  /** Deregister the service this long after the check turned critical, ms. */
  deregisterAfterMs?: number | undefined;
  createIndex: number;
  modifyIndex: number;
}

/** One datacenter's catalog. `changes` emits after every write (and on an index reset). */
export class DatacenterState {
  index = 1;
  servicesIndex = 1;
  readonly serviceIndex = new Map<string, number>();
  readonly nodes = new Map<string, FakeNode>();
  /** Key `<node>/<service id>`. */
  readonly services = new Map<string, FakeService>();
  /** Key `<node>/<check id>`. */
  readonly checks = new Map<string, FakeCheck>();
  /** Bumped by resetIndex: held queries return at once, as when Consul restores a snapshot. */
  generation = 0;

  constructor(
    readonly name: string,
    private readonly changes: EventEmitter,
  ) {}

  /** Index of `/v1/health/service/{name}` (at least 1, as in Consul). */
  indexOfService(name: string): number {
    return Math.max(1, this.serviceIndex.get(name) ?? this.servicesIndex);
  }

  private txDepth = 0;
  private txIndex: number | undefined;

  /** Runs `fn` as one write: one index, one change event (as Consul applies a registration in one raft entry). */
  transaction<T>(fn: () => T): T {
    this.txDepth += 1;
    try {
      return fn();
    } finally {
      this.txDepth -= 1;
      if (this.txDepth === 0 && this.txIndex !== undefined) {
        this.txIndex = undefined;
        this.changes.emit('change', this.name);
      }
    }
  }

  /** Starts a write: the new index (the transaction's, inside one). Call `commit` after changing the maps. */
  private write(): number {
    if (this.txDepth > 0 && this.txIndex !== undefined) return this.txIndex;
    this.index += 1;
    if (this.txDepth > 0) this.txIndex = this.index;
    return this.index;
  }

  private commit(): void {
    if (this.txDepth === 0) this.changes.emit('change', this.name);
  }

  private touchService(name: string, index: number): void {
    this.serviceIndex.set(name, index);
  }

  private touchNode(node: string, index: number): void {
    for (const s of this.services.values()) if (s.node === node) this.touchService(s.service, index);
  }

  upsertNode(input: {
    node: string;
    address: string;
    id?: string;
    meta?: Record<string, string>;
    taggedAddresses?: Record<string, string>;
  }): FakeNode {
    const index = this.write();
    const existing = this.nodes.get(input.node);
    const address = input.address;
    const node: FakeNode = {
      id: input.id ?? existing?.id ?? fakeUuid(`${this.name}/${input.node}`),
      node: input.node,
      address,
      taggedAddresses: input.taggedAddresses ?? {
        lan: address,
        lan_ipv4: address,
        wan: address,
        wan_ipv4: address,
      },
      meta: input.meta ?? existing?.meta ?? {},
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    };
    this.nodes.set(node.node, node);
    if (!this.checks.has(`${node.node}/serfHealth`)) {
      this.putCheck(
        { node: node.node, checkId: 'serfHealth', name: 'Serf Health Status', status: 'passing' },
        index,
      );
    }
    this.touchNode(node.node, index);
    this.commit();
    return node;
  }

  upsertService(service: Omit<FakeService, 'createIndex' | 'modifyIndex'>): FakeService {
    const index = this.write();
    const key = `${service.node}/${service.id}`;
    const existing = this.services.get(key);
    if (existing !== undefined && existing.service !== service.service)
      this.touchService(existing.service, index);
    const stored: FakeService = {
      ...service,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    };
    this.services.set(key, stored);
    for (const check of this.checks.values()) {
      if (check.node === service.node && check.serviceId === service.id) check.serviceName = service.service;
    }
    this.servicesIndex = index;
    this.touchService(service.service, index);
    this.commit();
    return stored;
  }

  /** Removes one instance and its checks; false when unknown. */
  removeService(node: string, id: string): boolean {
    const service = this.services.get(`${node}/${id}`);
    if (service === undefined) return false;
    const index = this.write();
    this.services.delete(`${node}/${id}`);
    for (const [key, check] of this.checks) {
      if (check.node === node && check.serviceId === id) this.checks.delete(key);
    }
    this.servicesIndex = index;
    this.touchService(service.service, index);
    this.commit();
    return true;
  }

  /** Adds or replaces a check; a new check's status is `status`, an existing one keeps its own unless given. */
  upsertCheck(input: Partial<FakeCheck> & { node: string; checkId: string }): FakeCheck {
    const index = this.write();
    const check = this.putCheck(input, index);
    this.commit();
    return check;
  }

  private putCheck(input: Partial<FakeCheck> & { node: string; checkId: string }, index: number): FakeCheck {
    const key = `${input.node}/${input.checkId}`;
    const existing = this.checks.get(key);
    const serviceId = input.serviceId ?? existing?.serviceId ?? '';
    const service = serviceId === '' ? undefined : this.services.get(`${input.node}/${serviceId}`);
    const check: FakeCheck = {
      node: input.node,
      checkId: input.checkId,
      name: input.name ?? existing?.name ?? input.checkId,
      status: input.status ?? existing?.status ?? 'critical',
      notes: input.notes ?? existing?.notes ?? '',
      output: input.output ?? existing?.output ?? '',
      serviceId,
      serviceName: service?.service ?? input.serviceName ?? '',
      type: input.type ?? existing?.type ?? '',
      ttlMs: input.ttlMs ?? existing?.ttlMs,
      deregisterAfterMs: input.deregisterAfterMs ?? existing?.deregisterAfterMs,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    };
    this.checks.set(key, check);
    if (serviceId === '') this.touchNode(input.node, index);
    else if (service !== undefined) this.touchService(service.service, index);
    return check;
  }

  /** Sets a check's status and output; the check, or undefined when unknown. */
  setCheck(node: string, checkId: string, status: CheckStatus, output?: string): FakeCheck | undefined {
    const check = this.checks.get(`${node}/${checkId}`);
    if (check === undefined) return undefined;
    return this.upsertCheck({ node, checkId, status, output: output ?? check.output });
  }

  removeCheck(node: string, checkId: string): boolean {
    const check = this.checks.get(`${node}/${checkId}`);
    if (check === undefined) return false;
    const index = this.write();
    this.checks.delete(`${node}/${checkId}`);
    if (check.serviceId === '') this.touchNode(node, index);
    else this.touchService(check.serviceName, index);
    this.commit();
    return true;
  }

  /** A write that changes nothing a reader sees (the index moves): one service's, or every index. */
  bumpIndex(service?: string): void {
    const index = this.write();
    if (service !== undefined) this.touchService(service, index);
    else {
      this.servicesIndex = index;
      for (const name of this.serviceIndex.keys()) this.touchService(name, index);
    }
    this.commit();
  }

  /** Every index back to `to` (a restored snapshot, a rebuilt cluster); held queries return at once. */
  resetIndex(to: number): void {
    this.index = to;
    this.servicesIndex = Math.min(this.servicesIndex, to);
    for (const name of this.serviceIndex.keys()) this.serviceIndex.set(name, to);
    this.generation += 1;
    this.commit();
  }

  /** Instances of `name`, by node then id. */
  instancesOf(name: string): FakeService[] {
    return [...this.services.values()]
      .filter((s) => s.service === name)
      .sort((a, b) => (a.node === b.node ? cmp(a.id, b.id) : cmp(a.node, b.node)));
  }

  /** Checks of one instance: its node's (ServiceID "") first, then its own. */
  checksOf(service: FakeService): FakeCheck[] {
    const all = [...this.checks.values()].filter((c) => c.node === service.node);
    return [...all.filter((c) => c.serviceId === ''), ...all.filter((c) => c.serviceId === service.id)].sort(
      (a, b) => (a.serviceId === b.serviceId ? cmp(a.checkId, b.checkId) : a.serviceId === '' ? -1 : 1),
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stable UUID-shaped id derived from `seed`. */
export function fakeUuid(seed: string): string {
  let h = 0x811c9dc5;
  const bytes: string[] = [];
  for (let i = 0; i < 16; i++) {
    for (const ch of `${seed}#${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    bytes.push((h & 0xff).toString(16).padStart(2, '0'));
  }
  const hex = bytes.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
