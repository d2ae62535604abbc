/**
 * A fake Consul HTTP API on 127.0.0.1 (port 0) for tests: `/v1/catalog/datacenters`,
 * `/v1/catalog/services` and `/v1/health/service/{name}` with real blocking queries (a request with
 * `?index=` above the current index is held until a write passes it or `wait` runs out; an index
 * reset releases held requests at once), X-Consul-Index / KnownLeader / LastContact headers, ACLs
 * (403 `ACL not found` / `Permission denied`), unknown datacenters (500 `No path to datacenter`),
 * outages (connections refused, or every request a 500), and the agent API (agent.ts). The catalog
 * is mutable from tests (state.ts and the helpers below). Semantics: REGISTRIES.md, Consul.
 */
import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { FakeAcl, permissionDenied, type Principal } from './acl.js';
import { FakeAgent, parseGoDuration, setNodeMaintenance, setServiceMaintenance } from './agent.js';
import { healthReply, readHeaders, servicesReply } from './render.js';
import { DatacenterState, type CheckStatus } from './state.js';

/** A blocking query being held. */
export interface HeldQuery {
  readonly path: string;
  readonly datacenter: string;
  readonly service: string | undefined;
  readonly index: number;
}

/** Every request the fake saw, in order. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

export interface FakeConsulOptions {
  /** Datacenters; the first is the agent's (requests without `?dc=`). Default ['dc1']. */
  readonly datacenters?: readonly string[];
  /** The agent's node (in the first datacenter). Default fake-agent at 127.0.0.1. */
  readonly agentNode?: { readonly node: string; readonly address: string };
  /** Serve HTTPS with this key and certificate; `ca` + `requestCert` verify client certificates. */
  readonly tls?: {
    readonly key: Buffer;
    readonly cert: Buffer;
    readonly ca?: Buffer;
    readonly requestCert?: boolean;
  };
}

/** A service instance to register directly in the catalog. `status` null: no service check. */
export interface InstanceInput {
  readonly name: string;
  readonly id?: string;
  readonly node: string;
  /** The node's address when the node is new (default: the service address, else 127.0.0.1). */
  readonly nodeAddress?: string;
  readonly nodeMeta?: Record<string, string>;
  readonly address?: string;
  readonly port: number;
  readonly tags?: string[];
  readonly meta?: Record<string, string>;
  readonly weights?: { Passing: number; Warning: number };
  readonly kind?: string;
  readonly namespace?: string;
  readonly taggedAddresses?: Record<string, { Address: string; Port: number }>;
  readonly status?: CheckStatus | null;
  readonly datacenter?: string;
}

const MAX_WAIT_MS = 600_000;
const DEFAULT_WAIT_MS = 300_000;

export class FakeConsul {
  /** `request` (RecordedRequest), `held` and `released` (HeldQuery), `client-closed` (HeldQuery the client hung up on). */
  readonly events = new EventEmitter();
  readonly requests: RecordedRequest[] = [];
  readonly acl = new FakeAcl();
  readonly agent: FakeAgent;
  private readonly changes = new EventEmitter();
  private readonly dcs = new Map<string, DatacenterState>();
  private readonly sockets = new Set<Socket>();
  private readonly heldQueries = new Set<HeldQuery>();
  private mode: 'up' | 'refuse' | 'error' = 'up';
  private port = 0;
  private readonly scheme: 'http' | 'https';

  private constructor(
    private readonly server: Server,
    options: FakeConsulOptions,
  ) {
    this.changes.setMaxListeners(0);
    this.scheme = options.tls ? 'https' : 'http';
    for (const name of options.datacenters ?? ['dc1'])
      this.dcs.set(name, new DatacenterState(name, this.changes));
    const agentNode = options.agentNode ?? { node: 'fake-agent', address: '127.0.0.1' };
    this.dc().upsertNode(agentNode);
    this.agent = new FakeAgent(this.dc(), agentNode.node, {
      text: (res, status, body) => this.text(res, status, body),
      json: (res, body, headers) => this.json(res, body, headers),
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.text(res, 500, String(error));
      });
    });
  }

  /** Starts listening on 127.0.0.1 and a free port. */
  static async start(options: FakeConsulOptions = {}): Promise<FakeConsul> {
    const server = options.tls
      ? createHttpsServer({
          ...options.tls,
          requestCert: options.tls.requestCert ?? false,
          rejectUnauthorized: options.tls.requestCert ?? false,
        })
      : createHttpServer();
    const fake = new FakeConsul(server, options);
    await fake.listen(0);
    return fake;
  }

  /** `http://127.0.0.1:<port>` (https with TLS). */
  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  /** Blocking queries held now. */
  get held(): readonly HeldQuery[] {
    return [...this.heldQueries];
  }

  /** TCP connections open now (held queries and idle keep-alive sockets). */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** The datacenter's state (default: the agent's). */
  dc(name?: string): DatacenterState {
    const dc = name === undefined ? this.dcs.values().next().value : this.dcs.get(name);
    if (dc === undefined) throw new Error(`fake consul: no datacenter ${name}`);
    return dc;
  }

  /** Registers an instance (and its node, with a passing serfHealth) directly in the catalog; returns its id. */
  register(input: InstanceInput): string {
    const dc = this.dc(input.datacenter);
    const id = input.id ?? input.name;
    dc.transaction(() => {
      if (!dc.nodes.has(input.node) || input.nodeMeta !== undefined) {
        const existing = dc.nodes.get(input.node);
        dc.upsertNode({
          node: input.node,
          address: existing?.address ?? input.nodeAddress ?? (input.address || '127.0.0.1'),
          ...(input.nodeMeta !== undefined && { meta: input.nodeMeta }),
        });
      }
      dc.upsertService({
        node: input.node,
        id,
        service: input.name,
        tags: input.tags ?? [],
        address: input.address ?? '',
        port: input.port,
        taggedAddresses: input.taggedAddresses ?? {},
        meta: input.meta ?? {},
        weights: input.weights ?? { Passing: 1, Warning: 1 },
        kind: input.kind ?? '',
        namespace: input.namespace,
        enableTagOverride: false,
      });
      if (input.status !== null) {
        dc.upsertCheck({
          node: input.node,
          checkId: `service:${id}`,
          serviceId: id,
          name: `Service '${input.name}' check`,
          status: input.status ?? 'passing',
          type: 'http',
        });
      }
    });
    return id;
  }

  /** Removes an instance (by node and id); throws when unknown. */
  deregister(node: string, id: string, datacenter?: string): void {
    if (!this.dc(datacenter).removeService(node, id))
      throw new Error(`fake consul: no service ${node}/${id}`);
  }

  /** Sets a check's status (`service:<id>` for an instance registered here, `serfHealth` for a node). */
  setCheck(node: string, checkId: string, status: CheckStatus, datacenter?: string, output?: string): void {
    if (this.dc(datacenter).setCheck(node, checkId, status, output) === undefined) {
      throw new Error(`fake consul: no check ${node}/${checkId}`);
    }
  }

  /** Service maintenance (serviceId given) or node maintenance. */
  setMaintenance(node: string, serviceId: string | undefined, enable: boolean, datacenter?: string): void {
    const dc = this.dc(datacenter);
    if (serviceId === undefined) setNodeMaintenance(dc, node, enable);
    else setServiceMaintenance(dc, node, serviceId, enable);
  }

  /** Simulates an outage: `refuse` closes the listener and every connection; `error` answers 500 to everything. */
  async down(mode: 'refuse' | 'error'): Promise<void> {
    this.mode = mode;
    if (mode === 'error') {
      this.changes.emit('change', '*');
      return;
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Ends an outage; the same port again. */
  async up(): Promise<void> {
    const was = this.mode;
    this.mode = 'up';
    if (was === 'refuse') await this.listen(this.port);
  }

  /** Resolves with the first event `name` (past held queries count for `held`) that matches, within `ms`. */
  waitFor<T>(
    name: 'held' | 'released' | 'client-closed' | 'request',
    match: (value: T) => boolean,
    ms = 5000,
  ): Promise<T> {
    if (name === 'held') {
      const now = [...this.heldQueries].find((q) => match(q as T));
      if (now !== undefined) return Promise.resolve(now as T);
    }
    return new Promise((resolve, reject) => {
      const listener = (value: T): void => {
        if (!match(value)) return;
        clearTimeout(timer);
        this.events.off(name, listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.events.off(name, listener);
        reject(new Error(`fake consul: no matching ${name} event within ${ms} ms`));
      }, ms);
      this.events.on(name, listener);
    });
  }

  /** Stops the server, every connection and the agent's timers. */
  async close(): Promise<void> {
    this.agent.close();
    this.mode = 'refuse';
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address !== null && typeof address === 'object') this.port = address.port;
        resolve();
      });
    });
  }

  private text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
  }

  private json(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(200, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    this.requests.push(recorded);
    this.events.emit('request', recorded);
    if (this.mode === 'error') return this.text(res, 500, 'No cluster leader');
    const query = url.searchParams;
    if (query.has('stale') && query.has('consistent')) {
      return this.text(res, 400, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
    }
    const principal = this.acl.resolve(req, query);
    if (principal === undefined) return this.text(res, 403, 'ACL not found');
    if (req.method === 'GET' && url.pathname === '/v1/catalog/datacenters')
      return this.json(res, [...this.dcs.keys()]);
    if (url.pathname.startsWith('/v1/agent/')) {
      if (!(await this.agent.handle(req, res, url, principal))) this.text(res, 405, 'method not allowed');
      return;
    }
    const dcName = query.get('dc');
    const dc = dcName === null || dcName === '' ? this.dc() : this.dcs.get(dcName);
    if (dc === undefined) return this.text(res, 500, 'No path to datacenter');
    if (req.method === 'GET' && url.pathname === '/v1/catalog/services') {
      const held = await this.block(req, res, dc, () => dc.servicesIndex, url.pathname, undefined);
      if (held) this.replyServices(res, dc, principal, query);
      return;
    }
    const health = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && health) {
      const name = decodeURIComponent(health[1]!);
      if (!principal.can('service', 'read', name))
        return this.text(res, 403, permissionDenied(principal, 'service:read', name));
      const held = await this.block(req, res, dc, () => dc.indexOfService(name), url.pathname, name);
      if (held) this.replyHealth(res, dc, principal, query, name);
      return;
    }
    this.text(res, 404, `404 page not found`);
  }

  private replyServices(
    res: ServerResponse,
    dc: DatacenterState,
    principal: Principal,
    query: URLSearchParams,
  ): void {
    if (this.mode === 'error') return this.text(res, 500, 'No cluster leader');
    const { body, filtered } = servicesReply(dc, principal);
    this.json(res, body, readHeaders(Math.max(1, dc.servicesIndex), query, filtered));
  }

  private replyHealth(
    res: ServerResponse,
    dc: DatacenterState,
    principal: Principal,
    query: URLSearchParams,
    name: string,
  ): void {
    if (this.mode === 'error') return this.text(res, 500, 'No cluster leader');
    const { body, filtered } = healthReply(dc, principal, query, name);
    this.json(res, body, readHeaders(dc.indexOfService(name), query, filtered));
  }

  /**
   * Holds a blocking query while the index is not above `?index=` (up to `?wait=`, default 5m, max
   * 10m); true when the caller should answer, false when the request was answered or abandoned here.
   */
  private async block(
    req: IncomingMessage,
    res: ServerResponse,
    dc: DatacenterState,
    indexOf: () => number,
    path: string,
    service: string | undefined,
  ): Promise<boolean> {
    const query = new URL(req.url ?? '/', 'http://fake').searchParams;
    const rawIndex = query.get('index');
    if (rawIndex === null) return true;
    if (!/^\d+$/.test(rawIndex)) {
      this.text(res, 400, 'Invalid index');
      return false;
    }
    const index = Number(rawIndex);
    if (index === 0 || indexOf() > index) return true;
    const rawWait = query.get('wait');
    const parsedWait = rawWait === null ? DEFAULT_WAIT_MS : parseGoDuration(rawWait);
    if (parsedWait === undefined) {
      this.text(res, 400, 'Invalid wait time');
      return false;
    }
    const waitMs = Math.min(MAX_WAIT_MS, parsedWait === 0 ? DEFAULT_WAIT_MS : parsedWait);
    const held: HeldQuery = { path, datacenter: dc.name, service, index };
    const generation = dc.generation;
    const outcome = await new Promise<'answer' | 'closed'>((resolve) => {
      const finish = (result: 'answer' | 'closed'): void => {
        clearTimeout(timer);
        this.changes.off('change', onChange);
        res.off('close', onClose);
        this.heldQueries.delete(held);
        resolve(result);
      };
      const onChange = (): void => {
        if (indexOf() > index || dc.generation !== generation || this.mode !== 'up') finish('answer');
      };
      const onClose = (): void => finish('closed');
      const timer = setTimeout(() => finish('answer'), waitMs);
      this.changes.on('change', onChange);
      res.on('close', onClose);
      this.heldQueries.add(held);
      this.events.emit('held', held);
    });
    if (outcome === 'answer') this.events.emit('released', held);
    else if (this.mode === 'up') this.events.emit('client-closed', held);
    return outcome === 'answer' && !res.destroyed;
  }
}
