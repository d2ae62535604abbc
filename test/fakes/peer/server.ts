/**
 * A fake peer Tributary for tests: `GET /v1/catalog/watch` as Server-Sent Events on 127.0.0.1
 * (port 0), following the federation feed contract: bearer tokens (401 / 403 problem JSON), the
 * `namespace` and `service` filters, resume with `epoch` + `revision` (or Last-Event-ID) by replaying
 * the logged changes after it, else a snapshot; `snapshot`, `change` and `heartbeat` events with
 * `id: <epoch>-<revision>`; heartbeats right after the open and every `heartbeatMs`. Tests drive it:
 * write records, recreate the database (new epoch), push raw text, drop connections, go down and
 * come back on the same port, stop heartbeats. It counts open sockets.
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
import { serviceKeyOf, type ServiceKey, type ServiceRecord } from '../../../src/model/service.js';
import { eventText, problem, selects, type Selection } from './render.js';

/** Every watch request the fake saw, in order. */
export interface RecordedWatch {
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** One logged change: what a revision upserted and deleted. */
interface LoggedChange {
  readonly revision: number;
  readonly upserts: ServiceRecord[];
  readonly deletes: ServiceKey[];
}

interface OpenStream {
  readonly response: ServerResponse;
  readonly selection: Selection;
  timer: NodeJS.Timeout | undefined;
}

export interface FakePeerOptions {
  /** Peer tokens accepted (default ['peer-token']). */
  readonly tokens?: readonly string[];
  /** Tokens that are known but not peer tokens: 403 (default ['admin-token']). */
  readonly otherTokens?: readonly string[];
  /** Heartbeat period (default 10 s, as the real exporter). */
  readonly heartbeatMs?: number;
}

export class FakePeer {
  /** `watch` (RecordedWatch) when a request comes, `stream` when a stream opens. */
  readonly events = new EventEmitter();
  readonly requests: RecordedWatch[] = [];
  epoch = 'e1';
  revision = 0;
  /** The export policy: namespaces a peer may import; undefined = every one. */
  allowedNamespaces: readonly string[] | undefined;
  heartbeats = true;
  private readonly records = new Map<string, ServiceRecord>();
  private log: LoggedChange[] = [];
  /** The oldest revision a resume can start from (older ones get a snapshot). */
  private floor = 0;
  private readonly streams = new Set<OpenStream>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly options: FakePeerOptions) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening on 127.0.0.1 and a free port. */
  static async start(options: FakePeerOptions = {}): Promise<FakePeer> {
    const fake = new FakePeer(options);
    await fake.listen(0);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** TCP connections open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Watch streams open now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** One revision that upserts `upserts` and deletes `deletes`, sent to every open stream. */
  write(upserts: readonly ServiceRecord[], deletes: readonly ServiceKey[] = []): number {
    this.revision += 1;
    for (const record of upserts) this.records.set(serviceKeyOf(record), record);
    for (const key of deletes) this.records.delete(serviceKeyOf(key));
    const change = { revision: this.revision, upserts: [...upserts], deletes: deletes.map(keyOnly) };
    this.log.push(change);
    for (const stream of this.streams) this.sendChange(stream, change);
    return this.revision;
  }

  /** Sends the logged change of `revision` again to every open stream (a duplicate). */
  resend(revision: number): void {
    const change = this.log.find((c) => c.revision === revision);
    if (change === undefined) throw new Error(`no change at revision ${revision}`);
    for (const stream of this.streams) this.sendChange(stream, change);
  }

  /** The database is recreated with `records`: a new epoch at revision 1; open streams get a heartbeat and a snapshot. */
  recreate(epoch: string, records: readonly ServiceRecord[]): void {
    this.epoch = epoch;
    this.revision = 1;
    this.records.clear();
    for (const record of records) this.records.set(serviceKeyOf(record), record);
    this.log = [];
    this.floor = 1;
    for (const stream of this.streams) {
      this.send(stream, 'heartbeat', {});
      this.sendSnapshot(stream);
    }
  }

  /** Forgets the change log: a resume from before now gets a snapshot. */
  compact(): void {
    this.log = [];
    this.floor = this.revision;
  }

  /** Writes `text` as is to every open stream (malformed events, comments). */
  pushRaw(text: string): void {
    for (const stream of this.streams) stream.response.write(text);
  }

  /** Writes `count` `: keepalive` comments to every open stream, `everyMs` apart; resolves after the last. */
  async keepalives(count: number, everyMs: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      this.pushRaw(': keepalive\n');
    }
  }

  /** Sends a heartbeat to every open stream now. */
  heartbeat(): void {
    for (const stream of this.streams) this.send(stream, 'heartbeat', {});
  }

  /** Destroys every connection; the listener stays up. */
  dropConnections(): void {
    for (const stream of this.streams) clearInterval(stream.timer);
    this.streams.clear();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Goes down: closes the listener and every connection (connections are refused). */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  /** Comes back on the same port. */
  up(): Promise<void> {
    return this.listen(this.port);
  }

  /** Resolves with the next `name` event that matches. */
  waitFor<T>(name: 'watch' | 'stream', match: (value: T) => boolean = () => true, ms = 3000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off(name, listener);
        reject(new Error(`no ${name} event within ${ms} ms`));
      }, ms);
      const listener = (value: T): void => {
        if (!match(value)) return;
        clearTimeout(timer);
        this.events.off(name, listener);
        resolve(value);
      };
      this.events.on(name, listener);
    });
  }

  async close(): Promise<void> {
    await (this.server.listening ? this.down() : Promise.resolve());
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'GET' || url.pathname !== '/v1/catalog/watch') {
      return problem(res, 404, 'TRB_API_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
    }
    const watch = { query: url.searchParams, headers: req.headers };
    this.requests.push(watch);
    this.events.emit('watch', watch);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (
      token === undefined ||
      ![...(this.options.tokens ?? ['peer-token']), ...this.otherTokens].includes(token)
    ) {
      return problem(res, 401, 'TRB_API_UNAUTHORIZED', 'missing or unknown bearer token');
    }
    if (this.otherTokens.includes(token)) return problem(res, 403, 'TRB_API_FORBIDDEN', 'not a peer token');
    const selection: Selection = {
      namespaces: url.searchParams.getAll('namespace'),
      services: url.searchParams.getAll('service'),
      allowed: this.allowedNamespaces,
    };
    const denied = selection.namespaces.find(
      (n) => this.allowedNamespaces !== undefined && !this.allowedNamespaces.includes(n),
    );
    if (denied !== undefined) {
      return problem(
        res,
        403,
        'TRB_API_FORBIDDEN',
        `the export policy does not export namespace "${denied}" to this peer`,
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const stream: OpenStream = { response: res, selection, timer: undefined };
    this.streams.add(stream);
    res.on('close', () => {
      clearInterval(stream.timer);
      this.streams.delete(stream);
    });
    this.open(stream, this.resumePoint(url.searchParams, req.headers));
  }

  private get otherTokens(): readonly string[] {
    return this.options.otherTokens ?? ['admin-token'];
  }

  /** `epoch` + `revision`, else Last-Event-ID `<epoch>-<revision>`. */
  private resumePoint(
    query: URLSearchParams,
    headers: IncomingHttpHeaders,
  ): { epoch: string; revision: number } | undefined {
    const lastId = /^(.+)-(\d+)$/.exec(String(headers['last-event-id'] ?? ''));
    const epoch = query.get('epoch') ?? lastId?.[1];
    const revision = query.get('revision') ?? lastId?.[2];
    return epoch === undefined || revision === undefined ? undefined : { epoch, revision: Number(revision) };
  }

  /** Replay after the resume point when the log has it, else a snapshot; then a heartbeat, then one every heartbeatMs. */
  private open(stream: OpenStream, resume: { epoch: string; revision: number } | undefined): void {
    const replayable =
      resume !== undefined &&
      resume.epoch === this.epoch &&
      resume.revision >= this.floor &&
      resume.revision <= this.revision;
    if (replayable) {
      for (const change of this.log) if (change.revision > resume.revision) this.sendChange(stream, change);
    } else {
      this.sendSnapshot(stream);
    }
    this.send(stream, 'heartbeat', {});
    stream.timer = setInterval(() => {
      if (this.heartbeats) this.send(stream, 'heartbeat', {});
    }, this.options.heartbeatMs ?? 10_000);
    this.events.emit('stream', stream);
  }

  private sendSnapshot(stream: OpenStream): void {
    const services = [...this.records.values()].filter((r) => selects(stream.selection, r));
    this.send(stream, 'snapshot', { services });
  }

  private sendChange(stream: OpenStream, change: LoggedChange): void {
    const upserts = change.upserts.filter((r) => selects(stream.selection, r));
    const deletes = change.deletes.filter((k) => selects(stream.selection, k));
    if (upserts.length + deletes.length === 0) return;
    this.send(stream, 'change', { upserts, deletes }, change.revision);
  }

  private send(stream: OpenStream, type: string, body: object, revision = this.revision): void {
    stream.response.write(eventText(type, { epoch: this.epoch, revision, ...body }));
  }
}

function keyOnly(key: ServiceKey): ServiceKey {
  return { namespace: key.namespace, name: key.name };
}
