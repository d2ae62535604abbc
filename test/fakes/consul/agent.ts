/**
 * The fake Consul agent API used for registration write-through
 * (https://developer.hashicorp.com/consul/api-docs/agent/service and …/agent/check): services are
 * registered on the agent's node in the agent's datacenter, with TTL checks that turn critical when
 * not renewed and `DeregisterCriticalServiceAfter` honoured exactly (real Consul reaps every ~30 s).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { permissionDenied, type Principal } from './acl.js';
import { renderAgentService, renderCheck } from './render.js';
import type { CheckStatus, DatacenterState, FakeCheck } from './state.js';

/** What the agent needs from the server: answer helpers. */
export interface AgentReplies {
  text(res: ServerResponse, status: number, body: string): void;
  json(res: ServerResponse, body: unknown, headers?: Record<string, string>): void;
}

const fold = (key: string): string => key.replace(/_/g, '').toLowerCase();

/** Looks a key up the way Consul's decoder does: case-insensitively, snake_case too. */
function field(body: Record<string, unknown>, name: string): unknown {
  const wanted = fold(name);
  for (const [key, value] of Object.entries(body)) if (fold(key) === wanted) return value;
  return undefined;
}

const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asStrings = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(asRecord(value)).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;

/** Go durations as Consul reads them: `15s`, `1m30s`, `500ms`. */
export function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  let total = 0;
  let rest = trimmed;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return trimmed === '' ? undefined : total;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The agent endpoints on one node of one datacenter. */
export class FakeAgent {
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();
  private readonly reapTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly dc: DatacenterState,
    readonly node: string,
    private readonly replies: AgentReplies,
  ) {}

  /** Clears every TTL and reap timer. */
  close(): void {
    for (const timer of [...this.ttlTimers.values(), ...this.reapTimers.values()]) clearTimeout(timer);
    this.ttlTimers.clear();
    this.reapTimers.clear();
  }

  /** Handles `/v1/agent/...`; false when the path is not an agent route. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, principal: Principal): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const { text, json } = this.replies;
    if (method === 'GET' && path === '/v1/agent/services') {
      const services: Record<string, unknown> = {};
      for (const s of this.dc.services.values()) {
        if (s.node === this.node && principal.can('service', 'read', s.service)) {
          services[s.id] = renderAgentService(this.dc, s);
        }
      }
      json(res, services);
      return true;
    }
    if (method === 'GET' && path === '/v1/agent/checks') {
      const checks: Record<string, unknown> = {};
      for (const c of this.dc.checks.values()) {
        if (c.node !== this.node) continue;
        const allowed =
          c.serviceId === ''
            ? principal.can('node', 'read', c.node)
            : principal.can('service', 'read', c.serviceName);
        if (allowed) checks[c.checkId] = renderCheck(this.dc, c);
      }
      json(res, checks);
      return true;
    }
    if (method !== 'PUT') return false;
    if (path === '/v1/agent/service/register') {
      const body = await readJson(req);
      if (body === undefined) text(res, 400, 'Request decode failed: invalid JSON');
      else this.register(res, body, principal);
      return true;
    }
    const deregister = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(path);
    if (deregister) {
      this.deregister(res, decodeURIComponent(deregister[1]!), principal);
      return true;
    }
    const maintenance = /^\/v1\/agent\/service\/maintenance\/(.+)$/.exec(path);
    if (maintenance) {
      this.maintenance(res, decodeURIComponent(maintenance[1]!), url.searchParams, principal);
      return true;
    }
    const update = /^\/v1\/agent\/check\/(pass|warn|fail|update)\/(.+)$/.exec(path);
    if (update) {
      const body = update[1] === 'update' ? await readJson(req) : {};
      const status = { pass: 'passing', warn: 'warning', fail: 'critical' }[update[1] as 'pass'] as
        CheckStatus | undefined;
      const requested = asString(field(body ?? {}, 'Status')) as CheckStatus | undefined;
      const output =
        update[1] === 'update'
          ? (asString(field(body ?? {}, 'Output')) ?? '')
          : (url.searchParams.get('note') ?? '');
      this.updateCheck(res, decodeURIComponent(update[2]!), status ?? requested, output, principal);
      return true;
    }
    return false;
  }

  private register(res: ServerResponse, body: Record<string, unknown>, principal: Principal): void {
    const { text } = this.replies;
    const name = asString(field(body, 'Name'));
    if (!name) return text(res, 400, 'Missing service name');
    if (!principal.can('service', 'write', name))
      return text(res, 403, permissionDenied(principal, 'service:write', name));
    const id = asString(field(body, 'ID')) || name;
    const checks = [
      ...(field(body, 'Check') !== undefined && field(body, 'Check') !== null
        ? [asRecord(field(body, 'Check'))]
        : []),
      ...(Array.isArray(field(body, 'Checks')) ? (field(body, 'Checks') as unknown[]).map(asRecord) : []),
    ];
    const previous = [...this.dc.checks.values()].filter((c) => c.node === this.node && c.serviceId === id);
    this.dc.transaction(() => this.store(id, name, body, checks, previous));
    res.writeHead(200).end();
  }

  private store(
    id: string,
    name: string,
    body: Record<string, unknown>,
    checks: Record<string, unknown>[],
    previous: FakeCheck[],
  ): void {
    const port = field(body, 'Port');
    const weights = asRecord(field(body, 'Weights'));
    const tagged = asRecord(field(body, 'TaggedAddresses'));
    this.dc.upsertService({
      node: this.node,
      id,
      service: name,
      tags: Array.isArray(field(body, 'Tags')) ? (field(body, 'Tags') as unknown[]).map(String) : [],
      address: asString(field(body, 'Address')) ?? '',
      port: typeof port === 'number' ? port : 0,
      taggedAddresses: Object.fromEntries(
        Object.entries(tagged).map(([k, v]) => {
          const a = asRecord(v);
          return [k, { Address: asString(field(a, 'Address')) ?? '', Port: Number(field(a, 'Port') ?? 0) }];
        }),
      ),
      meta: asStrings(field(body, 'Meta')),
      weights: {
        Passing: typeof field(weights, 'Passing') === 'number' ? (field(weights, 'Passing') as number) : 1,
        Warning: typeof field(weights, 'Warning') === 'number' ? (field(weights, 'Warning') as number) : 1,
      },
      kind: asString(field(body, 'Kind')) ?? '',
      namespace: asString(field(body, 'Namespace')),
      enableTagOverride: field(body, 'EnableTagOverride') === true,
    });
    const kept = new Set<string>();
    checks.forEach((check, i) => {
      const checkId =
        asString(field(check, 'CheckID')) ??
        asString(field(check, 'ID')) ??
        (checks.length === 1 ? `service:${id}` : `service:${id}:${i + 1}`);
      const ttl = asString(field(check, 'TTL'));
      const deregisterAfter = asString(field(check, 'DeregisterCriticalServiceAfter'));
      const stored = this.dc.upsertCheck({
        node: this.node,
        checkId,
        serviceId: id,
        name: asString(field(check, 'Name')) ?? `Service '${name}' check`,
        notes: asString(field(check, 'Notes')) ?? '',
        ...((asString(field(check, 'Status')) as CheckStatus | undefined) !== undefined && {
          status: asString(field(check, 'Status')) as CheckStatus,
        }),
        type: ttl !== undefined ? 'ttl' : 'script',
        ttlMs: ttl === undefined ? undefined : parseGoDuration(ttl),
        deregisterAfterMs: deregisterAfter === undefined ? undefined : parseGoDuration(deregisterAfter),
      });
      kept.add(checkId);
      this.armTtl(stored);
      this.armReap(stored);
    });
    for (const check of previous) if (!kept.has(check.checkId)) this.dropCheck(check);
  }

  private deregister(res: ServerResponse, id: string, principal: Principal): void {
    const service = this.dc.services.get(`${this.node}/${id}`);
    if (service === undefined) {
      return this.replies.text(
        res,
        404,
        `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
      );
    }
    if (!principal.can('service', 'write', service.service)) {
      return this.replies.text(res, 403, permissionDenied(principal, 'service:write', service.service));
    }
    for (const check of this.dc.checks.values())
      if (check.node === this.node && check.serviceId === id) this.clearTimers(check);
    this.dc.removeService(this.node, id);
    res.writeHead(200).end();
  }

  private maintenance(res: ServerResponse, id: string, query: URLSearchParams, principal: Principal): void {
    const service = this.dc.services.get(`${this.node}/${id}`);
    if (service === undefined) return this.replies.text(res, 404, `Unknown service ID "${id}"`);
    if (!principal.can('service', 'write', service.service)) {
      return this.replies.text(res, 403, permissionDenied(principal, 'service:write', service.service));
    }
    const enable = query.get('enable');
    if (enable !== 'true' && enable !== 'false')
      return this.replies.text(res, 400, 'Missing value for enable');
    setServiceMaintenance(this.dc, this.node, id, enable === 'true', query.get('reason') ?? undefined);
    res.writeHead(200).end();
  }

  private updateCheck(
    res: ServerResponse,
    checkId: string,
    status: CheckStatus | undefined,
    output: string,
    principal: Principal,
  ): void {
    const check = this.dc.checks.get(`${this.node}/${checkId}`);
    if (check === undefined) return this.replies.text(res, 404, `Unknown check ID "${checkId}"`);
    const allowed =
      check.serviceId === ''
        ? principal.can('node', 'write', check.node)
        : principal.can('service', 'write', check.serviceName);
    if (!allowed) {
      const [permission, on] =
        check.serviceId === '' ? ['node:write', check.node] : ['service:write', check.serviceName];
      return this.replies.text(res, 403, permissionDenied(principal, permission, on));
    }
    if (check.type !== 'ttl')
      return this.replies.text(res, 500, `CheckID "${checkId}" does not have associated TTL`);
    if (status === undefined || !['passing', 'warning', 'critical'].includes(status)) {
      return this.replies.text(res, 400, 'Invalid check status');
    }
    const updated = this.dc.setCheck(this.node, checkId, status, output);
    if (updated !== undefined) {
      this.armTtl(updated);
      this.armReap(updated);
    }
    res.writeHead(200).end();
  }

  private key(check: FakeCheck): string {
    return `${check.node}/${check.checkId}`;
  }

  private armTtl(check: FakeCheck): void {
    clearTimeout(this.ttlTimers.get(this.key(check)));
    if (check.ttlMs === undefined) return;
    const timer = setTimeout(() => {
      this.ttlTimers.delete(this.key(check));
      const expired = this.dc.setCheck(check.node, check.checkId, 'critical', `TTL expired`);
      if (expired !== undefined) this.armReap(expired);
    }, check.ttlMs);
    timer.unref();
    this.ttlTimers.set(this.key(check), timer);
  }

  /** While critical with DeregisterCriticalServiceAfter, the service is removed after that long. */
  private armReap(check: FakeCheck): void {
    const key = this.key(check);
    if (check.status !== 'critical') {
      clearTimeout(this.reapTimers.get(key));
      this.reapTimers.delete(key);
      return;
    }
    if (check.deregisterAfterMs === undefined || this.reapTimers.has(key)) return;
    const timer = setTimeout(() => {
      this.reapTimers.delete(key);
      const current = this.dc.checks.get(key);
      if (current?.status !== 'critical') return;
      for (const c of this.dc.checks.values())
        if (c.node === check.node && c.serviceId === check.serviceId) this.clearTimers(c);
      this.dc.removeService(check.node, check.serviceId);
    }, check.deregisterAfterMs);
    timer.unref();
    this.reapTimers.set(key, timer);
  }

  private clearTimers(check: FakeCheck): void {
    const key = this.key(check);
    clearTimeout(this.ttlTimers.get(key));
    clearTimeout(this.reapTimers.get(key));
    this.ttlTimers.delete(key);
    this.reapTimers.delete(key);
  }

  private dropCheck(check: FakeCheck): void {
    this.clearTimers(check);
    this.dc.removeCheck(check.node, check.checkId);
  }
}

const SERVICE_MAINTENANCE_NOTE =
  'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.';
const NODE_MAINTENANCE_NOTE =
  'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.';

/** Adds or removes the `_service_maintenance:<id>` critical check, as `PUT /v1/agent/service/maintenance/{id}` does. */
export function setServiceMaintenance(
  dc: DatacenterState,
  node: string,
  serviceId: string,
  enable: boolean,
  reason?: string,
): void {
  const checkId = `_service_maintenance:${serviceId}`;
  if (!enable) {
    dc.removeCheck(node, checkId);
    return;
  }
  dc.upsertCheck({
    node,
    checkId,
    serviceId,
    name: 'Service Maintenance Mode',
    notes: reason || SERVICE_MAINTENANCE_NOTE,
    status: 'critical',
    type: 'maintenance',
  });
}

/** Adds or removes the `_node_maintenance` critical check (every service on the node). */
export function setNodeMaintenance(
  dc: DatacenterState,
  node: string,
  enable: boolean,
  reason?: string,
): void {
  if (!enable) {
    dc.removeCheck(node, '_node_maintenance');
    return;
  }
  dc.upsertCheck({
    node,
    checkId: '_node_maintenance',
    serviceId: '',
    name: 'Node Maintenance Mode',
    notes: reason || NODE_MAINTENANCE_NOTE,
    status: 'critical',
    type: 'maintenance',
  });
}
