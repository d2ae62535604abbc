/**
 * A fake Kubernetes API server on 127.0.0.1 (port 0) for tests, following REGISTRIES.md "Kubernetes":
 * list and watch of `v1` Services, `discovery.k8s.io/v1` EndpointSlices (all namespaces or one) and
 * `v1` Nodes. Lists carry `metadata.resourceVersion` and paginate with `limit`/`continue` (a
 * consistent snapshot per continue token); watches are newline-delimited `{type, object}` streams
 * with ADDED/MODIFIED/DELETED, BOOKMARK (with `allowWatchBookmarks`) and ERROR, replay from the
 * given `resourceVersion`, end after `timeoutSeconds`, and follow a `labelSelector`. On demand:
 * `410` expiry (an ERROR event with a 410 Status, or HTTP 410 on the next watch), bearer-token
 * authentication (401) and RBAC denials (403), dropped watch connections, outages and restarts.
 * Objects are shaped like ../shared/fixtures/kubernetes/ (see objects.ts) and driven by the tests.
 */
import { EventEmitter } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { FakeKind, KubeObject } from './objects.js';

/** Every request the fake saw, in order. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly kind: FakeKind | undefined;
  readonly watch: boolean;
}

/** A watch stream being served. */
export interface OpenWatch {
  readonly kind: FakeKind;
  readonly namespace: string | undefined;
  readonly resourceVersion: string;
  readonly bookmarks: boolean;
  readonly selector: string | undefined;
}

interface WatchStream extends OpenWatch {
  readonly res: ServerResponse;
  readonly socket: Socket;
  readonly match: (object: KubeObject) => boolean;
  timer: NodeJS.Timeout | undefined;
}

interface LogEntry {
  readonly rv: number;
  readonly kind: FakeKind;
  readonly old: KubeObject | undefined;
  readonly object: KubeObject | undefined;
}

const GROUPS: Readonly<Record<FakeKind, { apiVersion: string; group: string; listKind: string }>> = {
  services: { apiVersion: 'v1', group: '', listKind: 'ServiceList' },
  endpointslices: {
    apiVersion: 'discovery.k8s.io/v1',
    group: 'discovery.k8s.io',
    listKind: 'EndpointSliceList',
  },
  nodes: { apiVersion: 'v1', group: '', listKind: 'NodeList' },
};

const ROUTES: readonly [RegExp, FakeKind][] = [
  [/^\/api\/v1\/services$/, 'services'],
  [/^\/api\/v1\/namespaces\/([^/]+)\/services$/, 'services'],
  [/^\/api\/v1\/nodes$/, 'nodes'],
  [/^\/apis\/discovery\.k8s\.io\/v1\/endpointslices$/, 'endpointslices'],
  [/^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/, 'endpointslices'],
];

/** The service account the fake names in its 403 messages. */
export const FAKE_USER = 'system:serviceaccount:tributary:tributary';

/** A Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated (all must hold). */
export function selectorMatcher(selector: string | undefined): (labels: Record<string, string>) => boolean {
  if (selector === undefined || selector.trim() === '') return () => true;
  const terms = selector.split(',').map((term) => {
    const t = term.trim();
    const ne = /^([^!=]+)!=(.*)$/.exec(t);
    if (ne) return (l: Record<string, string>) => l[ne[1]!.trim()] !== ne[2]!.trim();
    const eq = /^([^!=]+)==?(.*)$/.exec(t);
    if (eq) return (l: Record<string, string>) => l[eq[1]!.trim()] === eq[2]!.trim();
    if (t.startsWith('!')) return (l: Record<string, string>) => !(t.slice(1).trim() in l);
    return (l: Record<string, string>) => t in l;
  });
  return (labels) => terms.every((term) => term(labels));
}

const keyOf = (kind: FakeKind, namespace: string | undefined, name: string): string =>
  kind === 'nodes' ? name : `${namespace ?? 'default'}/${name}`;

export class FakeKubernetes {
  /** `request` (RecordedRequest), `watch` (OpenWatch opened), `watch-closed` (OpenWatch), `list-held`. */
  readonly events = new EventEmitter();
  readonly requests: RecordedRequest[] = [];
  /** When set, requests need `Authorization: Bearer <token>` (else 401). */
  token: string | undefined;
  /** How an expiry reaches open watches: an ERROR event with a 410 Status, or HTTP 410 on reconnect. */
  expiryMode: 'event' | 'http' = 'event';
  private rv = 100;
  private uid = 0;
  private readonly store: Record<FakeKind, Map<string, KubeObject>> = {
    services: new Map(),
    endpointslices: new Map(),
    nodes: new Map(),
  };
  private log: LogEntry[] = [];
  /** Watches from a resourceVersion below this get 410 Gone. */
  private compactedRv = 0;
  private readonly denied = new Set<FakeKind>();
  private readonly continues = new Map<string, { items: KubeObject[]; rv: number; kind: FakeKind }>();
  private nextContinue = 0;
  private readonly streams = new Set<WatchStream>();
  private readonly sockets = new Set<Socket>();
  private listsPaused: Promise<void> | undefined;
  private resumeLists: (() => void) | undefined;
  private port = 0;

  private constructor(private readonly server: Server) {
    this.events.setMaxListeners(0);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.status(res, 500, 'InternalError', String(error));
      });
    });
  }

  static async start(): Promise<FakeKubernetes> {
    const fake = new FakeKubernetes(createServer());
    await fake.listen(0);
    return fake;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The current resourceVersion (etcd revision). */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Watch streams open now. */
  get watches(): readonly OpenWatch[] {
    return [...this.streams];
  }

  /** TCP connections open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Creates or replaces an object (ADDED or MODIFIED to watchers); returns its resourceVersion. */
  put(kind: FakeKind, object: KubeObject): string {
    const key = keyOf(kind, object.metadata.namespace, object.metadata.name);
    const old = this.store[kind].get(key);
    this.rv += 1;
    const stored: KubeObject = structuredClone(object);
    stored.apiVersion = GROUPS[kind].apiVersion;
    if (kind !== 'nodes') stored.metadata.namespace = object.metadata.namespace ?? 'default';
    stored.metadata.resourceVersion = String(this.rv);
    stored.metadata.uid = old?.metadata.uid ?? `uid-${++this.uid}`;
    stored.metadata.creationTimestamp = old?.metadata.creationTimestamp ?? new Date(0).toISOString();
    this.store[kind].set(key, stored);
    this.record({ rv: this.rv, kind, old, object: stored });
    return stored.metadata.resourceVersion;
  }

  /** Deletes an object (DELETED to watchers); throws when unknown. */
  remove(kind: FakeKind, namespace: string | undefined, name: string): void {
    const key = keyOf(kind, namespace, name);
    const old = this.store[kind].get(key);
    if (old === undefined) throw new Error(`fake kubernetes: no ${kind} ${key}`);
    this.store[kind].delete(key);
    this.rv += 1;
    this.record({ rv: this.rv, kind, old, object: undefined });
  }

  /** The stored object, if any. */
  get(kind: FakeKind, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store[kind].get(keyOf(kind, namespace, name));
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(kind?: FakeKind): void {
    for (const stream of this.streams) {
      if (!stream.bookmarks || (kind !== undefined && stream.kind !== kind)) continue;
      this.write(stream, 'BOOKMARK', {
        apiVersion: GROUPS[stream.kind].apiVersion,
        kind: kindOf(stream.kind),
        metadata: { name: '', resourceVersion: String(this.rv) },
      });
    }
  }

  /**
   * Compacts history at the current resourceVersion (as etcd does): every resourceVersion before it is
   * gone. Open watches get an ERROR event with a 410 Status and end (`expiryMode: 'event'`), or are
   * dropped and get HTTP 410 when they come back (`expiryMode: 'http'`).
   */
  expire(): void {
    this.rv += 1;
    this.compactAt(this.rv);
    for (const stream of [...this.streams]) {
      if (this.expiryMode === 'event') {
        this.write(stream, 'ERROR', statusBody(410, 'Expired', 'too old resource version: 1 (2)'));
        this.end(stream);
      } else stream.socket.destroy();
    }
  }

  /** Forgets history before `rv` without touching open watches. */
  compactAt(rv: number): void {
    this.compactedRv = rv;
    this.log = this.log.filter((entry) => entry.rv >= rv);
    this.continues.clear();
  }

  /** Continue tokens given so far expire (the next page request gets 410). */
  expireContinues(): void {
    this.continues.clear();
  }

  /** RBAC: list and watch of `kind` are forbidden (403) until `allow`. */
  deny(kind: FakeKind): void {
    this.denied.add(kind);
    for (const stream of [...this.streams]) if (stream.kind === kind) stream.socket.destroy();
  }

  allow(kind: FakeKind): void {
    this.denied.delete(kind);
  }

  /** Ends watches normally, as `timeoutSeconds` does (every event written before is delivered). */
  endWatches(kind?: FakeKind): void {
    for (const stream of [...this.streams]) if (kind === undefined || stream.kind === kind) this.end(stream);
  }

  /** Destroys every watch connection (as a load balancer or a network blip does). */
  dropWatches(): void {
    for (const stream of [...this.streams]) stream.socket.destroy();
  }

  /** Holds every list request until `resume()`; `list-held` is emitted for each. */
  pauseLists(): void {
    if (this.listsPaused !== undefined) return;
    this.listsPaused = new Promise((resolve) => (this.resumeLists = resolve));
  }

  resume(): void {
    this.resumeLists?.();
    this.listsPaused = undefined;
    this.resumeLists = undefined;
  }

  /** Stops listening and closes every connection (the API server is down); `up()` comes back. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port; the objects and resourceVersions are kept (etcd's). */
  async up(): Promise<void> {
    await this.listen(this.port);
  }

  /** An API server restart: every connection closed, back on the same port with the same state. */
  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  /** Resolves with the first watch (open now or later) that matches, within `ms`. */
  waitForWatch(match: (watch: OpenWatch) => boolean, ms = 5000): Promise<OpenWatch> {
    const now = [...this.streams].find(match);
    if (now !== undefined) return Promise.resolve(now);
    return this.waitFor<OpenWatch>('watch', match, ms);
  }

  /** Resolves with the first future event `name` that matches, within `ms`. */
  waitFor<T>(
    name: 'request' | 'watch' | 'watch-closed' | 'list-held',
    match: (value: T) => boolean,
    ms = 5000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = (value: T): void => {
        if (!match(value)) return;
        clearTimeout(timer);
        this.events.off(name, listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.events.off(name, listener);
        reject(new Error(`fake kubernetes: no matching ${name} event within ${ms} ms`));
      }, ms);
      this.events.on(name, listener);
    });
  }

  async close(): Promise<void> {
    this.resume();
    await this.down();
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

  private record(entry: LogEntry): void {
    this.log.push(entry);
    for (const stream of this.streams) if (stream.kind === entry.kind) this.deliver(stream, entry);
  }

  /** Sends one change to one watch, as the API server filters it (namespace, label selector). */
  private deliver(stream: WatchStream, entry: LogEntry): void {
    const sample = entry.object ?? entry.old!;
    if (stream.namespace !== undefined && sample.metadata.namespace !== stream.namespace) return;
    const before = entry.old !== undefined && stream.match(entry.old);
    const after = entry.object !== undefined && stream.match(entry.object);
    if (entry.object === undefined) {
      if (before)
        this.write(stream, 'DELETED', {
          ...entry.old!,
          metadata: { ...entry.old!.metadata, resourceVersion: String(entry.rv) },
        });
    } else if (after) this.write(stream, before ? 'MODIFIED' : 'ADDED', entry.object);
    else if (before) this.write(stream, 'DELETED', entry.object);
  }

  private write(stream: WatchStream, type: string, object: unknown): void {
    if (!stream.res.writableEnded) stream.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private end(stream: WatchStream): void {
    if (!this.streams.delete(stream)) return;
    clearTimeout(stream.timer);
    if (!stream.res.writableEnded) stream.res.end();
    this.events.emit('watch-closed', stream);
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res
      .writeHead(code, { 'Content-Type': 'application/json' })
      .end(JSON.stringify(statusBody(code, reason, message)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = ROUTES.map(([re, kind]) => ({ match: re.exec(url.pathname), kind })).find(
      (r) => r.match !== null,
    );
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      kind: route?.kind,
      watch,
    };
    this.requests.push(recorded);
    this.events.emit('request', recorded);
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    }
    if (route === undefined || req.method !== 'GET')
      return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const kind = route.kind;
    const namespace = route.match![1] === undefined ? undefined : decodeURIComponent(route.match![1]);
    if (this.denied.has(kind)) {
      const group = GROUPS[kind].group;
      const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      const verb = watch ? 'watch' : 'list';
      return this.status(
        res,
        403,
        'Forbidden',
        `${kind}${group ? `.${group}` : ''} is forbidden: User "${FAKE_USER}" cannot ${verb} resource "${kind}" in API group "${group}" ${scope}`,
      );
    }
    const selector = url.searchParams.get('labelSelector') ?? undefined;
    const match = selectorMatcher(selector);
    const matches = (o: KubeObject): boolean => match(o.metadata.labels ?? {});
    if (watch) return this.serveWatch(req, res, kind, namespace, selector, matches, url.searchParams);
    if (this.listsPaused !== undefined) {
      this.events.emit('list-held', recorded);
      await this.listsPaused;
    }
    return this.serveList(res, kind, namespace, matches, url.searchParams);
  }

  private serveList(
    res: ServerResponse,
    kind: FakeKind,
    namespace: string | undefined,
    matches: (o: KubeObject) => boolean,
    query: URLSearchParams,
  ): void {
    const token = query.get('continue');
    let items: KubeObject[];
    let rv: number;
    if (token !== null && token !== '') {
      const saved = this.continues.get(token);
      if (saved === undefined || saved.kind !== kind) {
        return this.status(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      this.continues.delete(token);
      ({ items, rv } = saved);
    } else {
      rv = this.rv;
      items = [...this.store[kind].values()]
        .filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && matches(o))
        .sort((a, b) =>
          keyOf(kind, a.metadata.namespace, a.metadata.name).localeCompare(
            keyOf(kind, b.metadata.namespace, b.metadata.name),
          ),
        )
        .map((o) => structuredClone(o));
    }
    const limit = Number(query.get('limit') ?? '0');
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    let page = items;
    if (limit > 0 && items.length > limit) {
      page = items.slice(0, limit);
      const next = `c${++this.nextContinue}`;
      this.continues.set(next, { items: items.slice(limit), rv, kind });
      metadata['continue'] = next;
      metadata['remainingItemCount'] = items.length - limit;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        kind: GROUPS[kind].listKind,
        apiVersion: GROUPS[kind].apiVersion,
        metadata,
        items: page,
      }),
    );
  }

  private serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    kind: FakeKind,
    namespace: string | undefined,
    selector: string | undefined,
    matches: (o: KubeObject) => boolean,
    query: URLSearchParams,
  ): void {
    const raw = query.get('resourceVersion') ?? '';
    const from = raw === '' || raw === '0' ? undefined : Number(raw);
    if (from !== undefined && (!Number.isFinite(from) || from < this.compactedRv)) {
      if (this.expiryMode === 'http')
        return this.status(res, 410, 'Gone', `too old resource version: ${raw} (${this.compactedRv})`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${raw} (${this.compactedRv})`) })}\n`,
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // as the API server does: the client sees the watch open before any event
    const stream: WatchStream = {
      kind,
      namespace,
      resourceVersion: raw,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      selector,
      res,
      socket: req.socket,
      match: matches,
      timer: undefined,
    };
    this.streams.add(stream);
    res.on('close', () => this.end(stream));
    if (from === undefined) {
      for (const object of this.store[kind].values()) {
        if ((namespace === undefined || object.metadata.namespace === namespace) && matches(object))
          this.write(stream, 'ADDED', object);
      }
    } else {
      for (const entry of this.log) if (entry.rv > from && entry.kind === kind) this.deliver(stream, entry);
    }
    const timeout = Number(query.get('timeoutSeconds') ?? '0');
    if (timeout > 0) stream.timer = setTimeout(() => this.end(stream), timeout * 1000);
    this.events.emit('watch', stream);
  }
}

function kindOf(kind: FakeKind): string {
  return kind === 'services' ? 'Service' : kind === 'nodes' ? 'Node' : 'EndpointSlice';
}

function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
