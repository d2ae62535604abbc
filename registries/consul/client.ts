/**
 * The consul source's HTTP client: the `consul` npm package (its `index`/`wait` options for blocking
 * queries, `ctx` to abort and to get the response with its X-Consul-Index header), on an HTTP(S)
 * agent of its own so that closing it releases every socket. Typed here, once, for the adapter.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolve } from 'node:path';
import Consul from 'consul';
import { describeError, TributaryError } from '../../src/errors.js';
import type { ConsulSourceConfig } from './config.js';

/** A successful reply: the decoded body and what its headers say. */
export interface ConsulReply {
  readonly body: unknown;
  /** X-Consul-Index; undefined when absent or not a number. */
  readonly index: bigint | undefined;
  /** X-Consul-Results-Filtered-By-ACLs: the token could not see part of the result. */
  readonly filteredByAcls: boolean;
}

/** A query failed: `status` is the HTTP status, undefined when no response came (network, timeout). */
export class ConsulRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: string,
  ) {
    super(message);
    this.name = 'ConsulRequestError';
  }
}

/** One read: the datacenter ('' = the agent's own), the blocking index and wait, and the abort signal. */
export interface ConsulQuery {
  readonly datacenter: string;
  /** Blocks when given (> 0). */
  readonly index?: bigint | undefined;
  readonly waitMs: number;
  readonly signal: AbortSignal;
}

/** The read interface the watch uses; the fake in tests is a real HTTP server, not this. */
export interface ConsulReads {
  services(query: ConsulQuery): Promise<ConsulReply>;
  health(service: string, query: ConsulQuery): Promise<ConsulReply>;
  close(): void;
}

type RawCall = (options: Record<string, unknown>) => Promise<unknown>;

/** The package's error shapes (papi): a response error carries the response; others a `code`. */
interface PackageError {
  readonly message?: string;
  readonly isAbort?: boolean;
  readonly isTimeout?: boolean;
  readonly code?: string;
  readonly response?: { readonly statusCode?: number; readonly body?: unknown };
}

function parseIndex(headers: IncomingHttpHeaders): bigint | undefined {
  const raw = headers['x-consul-index'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  return text !== undefined && /^\d{1,20}$/.test(text.trim()) ? BigInt(text.trim()) : undefined;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body.trim();
  if (Buffer.isBuffer(body)) return body.toString('utf8').trim();
  return JSON.stringify(body);
}

function toRequestError(error: unknown, what: string): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as PackageError;
  if (e.isAbort) return error as Error;
  const status = e.response?.statusCode;
  if (status !== undefined) {
    const body = bodyText(e.response?.body);
    return new ConsulRequestError(`${what}: HTTP ${status}${body ? ` ${body}` : ''}`, status, body);
  }
  const reason = e.isTimeout ? 'no answer in time' : (e.code ?? describeError(error));
  return new ConsulRequestError(
    `${what}: unreachable (${reason.replace(/^consul: [\w.]+: /, '')})`,
    undefined,
    '',
  );
}

/** True when the error is an abort (the watch was stopped or preempted). */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as PackageError).isAbort === true;
}

async function readSecret(
  baseDir: string,
  file: string | undefined,
  field: string,
): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  const path = resolve(baseDir, file);
  try {
    return await readFile(path);
  } catch (error) {
    throw new TributaryError(
      'TRB_CONFIG_UNREADABLE',
      `consul source: ${field} "${path}": ${describeError(error)}`,
      {
        field,
        cause: error,
      },
    );
  }
}

/** Reads from one Consul address with the source's token, TLS files and consistency. */
export class ConsulClient implements ConsulReads {
  private readonly client: Consul;
  private readonly agent: HttpAgent;
  private readonly services$: RawCall;
  private readonly health$: RawCall;

  private constructor(
    private readonly config: ConsulSourceConfig,
    private readonly token: string | undefined,
    tls: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined },
  ) {
    const url = new URL(config.address);
    const path = url.pathname.replace(/\/+$/, '');
    this.agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, ...tls })
        : new HttpAgent({ keepAlive: true });
    // `baseUrl` (not in the package's typings) keeps a path prefix of the address.
    const options = { baseUrl: `${url.protocol}//${url.host}${path}/v1`, agent: this.agent };
    this.client = new Consul(options as ConstructorParameters<typeof Consul>[0]);
    this.services$ = this.client.catalog.service.list.bind(this.client.catalog.service) as unknown as RawCall;
    this.health$ = this.client.health.service.bind(this.client.health) as unknown as RawCall;
  }

  /** Reads the token and TLS files (relative to `baseDir`); throws TRB_CONFIG_UNREADABLE when one cannot be read. */
  static async open(config: ConsulSourceConfig, baseDir: string): Promise<ConsulClient> {
    const tokenFile = await readSecret(baseDir, config.tokenFile, 'tokenFile');
    const token = config.token ?? (tokenFile?.toString('utf8').trim() || undefined);
    const ca = await readSecret(baseDir, config.caFile, 'caFile');
    const cert = await readSecret(baseDir, config.certFile, 'certFile');
    const key = await readSecret(baseDir, config.keyFile, 'keyFile');
    return new ConsulClient(config, token, { ca, cert, key });
  }

  services(query: ConsulQuery): Promise<ConsulReply> {
    return this.call(this.services$, {}, query, `GET /v1/catalog/services${dcSuffix(query)}`);
  }

  health(service: string, query: ConsulQuery): Promise<ConsulReply> {
    return this.call(this.health$, { service }, query, `GET /v1/health/service/${service}${dcSuffix(query)}`);
  }

  /** Destroys the agent: idle keep-alive sockets close now, in-flight requests fail. */
  close(): void {
    this.client.destroy();
  }

  private async call(
    method: RawCall,
    own: Record<string, unknown>,
    query: ConsulQuery,
    what: string,
  ): Promise<ConsulReply> {
    const blocking = query.index !== undefined && query.index > 0n;
    // ctx: `cancel` aborts the request; includeResponse makes the call resolve to [response, body].
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const options: Record<string, unknown> = {
      ...own,
      ctx,
      timeout: this.config.requestTimeout + (blocking ? Math.ceil((query.waitMs * 17) / 16) : 0),
      ...(query.datacenter !== '' && { dc: query.datacenter }),
      ...(this.token !== undefined && { token: this.token }),
      ...(this.config.consistency === 'stale' && { stale: true }),
      ...(this.config.consistency === 'consistent' && { consistent: true }),
      ...(blocking && { index: String(query.index), wait: `${query.waitMs}ms` }),
    };
    const abort = (): void => void ctx.emit('cancel');
    if (query.signal.aborted) throw Object.assign(new Error('request aborted'), { isAbort: true });
    query.signal.addEventListener('abort', abort, { once: true });
    try {
      const result = await method(options);
      // With includeResponse a reply is [response, body]. The package resolves (instead of rejecting)
      // with a network error created in another realm (its `instanceof Error` check fails): throw it.
      if (!Array.isArray(result)) throw result;
      const [response, body] = result as [{ headers?: IncomingHttpHeaders } | undefined, unknown];
      const headers = response?.headers ?? {};
      return {
        body,
        index: parseIndex(headers),
        filteredByAcls: headers['x-consul-results-filtered-by-acls'] === 'true',
      };
    } catch (error) {
      throw toRequestError(error, what);
    } finally {
      query.signal.removeEventListener('abort', abort);
    }
  }
}

function dcSuffix(query: ConsulQuery): string {
  return query.datacenter === '' ? '' : `?dc=${query.datacenter}`;
}
