/**
 * The peer source's HTTP client: one streaming `GET /v1/catalog/watch` at a time with node-fetch, on
 * an HTTP(S) agent of its own (closing it releases every socket), the bearer token and TLS files,
 * a connect timeout up to the response headers, and the SSE parser over the body.
 */
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolve } from 'node:path';
import fetch, { type Response } from 'node-fetch';
import { describeError, TributaryError } from '../../src/errors.js';
import type { Clock } from '../shared/clock.js';
import type { PeerSourceConfig } from './config.js';
import { SseParser, type SseItem } from './sse.js';

/** Where the import stands in the peer's feed: the resume point of the next request. */
export interface PeerPosition {
  readonly epoch: string;
  readonly revision: number;
}

/** The watch request failed: `status` is the HTTP status, undefined when no response came. */
export class PeerRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** The problem JSON's `detail` (or the body's text), '' when none. */
    readonly detail: string,
  ) {
    super(message);
    this.name = 'PeerRequestError';
  }

  /** 401 or 403: the peer does not accept the token (or its export policy denies the request). */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** What the stream delivers: `onOpen` once the peer answered 200, then every item in order. */
export interface PeerStreamHandlers {
  onOpen(): void;
  onItem(item: SseItem): void;
}

/** The longest error body read, so a misbehaving peer cannot make the source buffer much. */
const MAX_ERROR_BODY = 16_384;

async function readFileField(
  baseDir: string,
  file: string | undefined,
  field: string,
): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  const path = resolve(baseDir, file);
  return readFile(path).catch((error: unknown) => {
    throw new TributaryError(
      'TRB_CONFIG_UNREADABLE',
      `peer source: ${field} "${path}": ${describeError(error)}`,
      {
        field,
        cause: error,
      },
    );
  });
}

/**
 * The message of Tributary's error body (`{"error": {"code", "message"}}`), else a problem JSON's
 * `detail` or `title`, else the body's text (shortened).
 */
export function problemDetail(body: string): string {
  try {
    const problem = JSON.parse(body) as unknown;
    if (typeof problem === 'object' && problem !== null) {
      const { detail, title, error } = problem as { detail?: unknown; title?: unknown; error?: unknown };
      const message = (error as { message?: unknown } | null | undefined)?.message;
      if (typeof message === 'string' && message !== '') return message;
      if (typeof detail === 'string' && detail !== '') return detail;
      if (typeof title === 'string' && title !== '') return title;
    }
  } catch {
    // not JSON: the text itself is the detail
  }
  const text = body.trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

async function failedResponse(response: Response): Promise<PeerRequestError> {
  const body = (await response.text().catch(() => '')).slice(0, MAX_ERROR_BODY);
  const detail = problemDetail(body);
  const message = `HTTP ${response.status}${detail === '' ? '' : `: ${detail}`}`;
  return new PeerRequestError(message, response.status, detail);
}

/** A network failure: before the response, the peer is unreachable; after it, the connection was lost. */
function networkFailure(error: unknown, opened: boolean): PeerRequestError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : describeError(error);
  return new PeerRequestError(`${opened ? 'connection lost' : 'unreachable'} (${reason})`, undefined, '');
}

/** Reads one peer's watch feed with the source's token and TLS files. */
export class PeerClient {
  private readonly agent: HttpAgent;

  private constructor(
    private readonly config: PeerSourceConfig,
    private readonly token: string,
    tls: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined },
  ) {
    this.agent = new URL(config.address).protocol === 'https:' ? new HttpsAgent({ ...tls }) : new HttpAgent();
  }

  /** Reads the token and TLS files (relative to `baseDir`); throws TRB_CONFIG_UNREADABLE when one cannot be read. */
  static async open(config: PeerSourceConfig, baseDir: string): Promise<PeerClient> {
    const tokenFile = await readFileField(baseDir, config.tokenFile, 'tokenFile');
    const token = config.token ?? tokenFile?.toString('utf8').trim() ?? '';
    if (token === '') {
      throw new TributaryError('TRB_CONFIG_UNREADABLE', 'peer source: tokenFile: the file is empty', {
        field: 'tokenFile',
      });
    }
    const ca = await readFileField(baseDir, config.caFile, 'caFile');
    const cert = await readFileField(baseDir, config.certFile, 'certFile');
    const key = await readFileField(baseDir, config.keyFile, 'keyFile');
    return new PeerClient(config, token, { ca, cert, key });
  }

  /** The watch URL: the configured filters, and the resume point when there is one. */
  watchUrl(position: PeerPosition | undefined): URL {
    const url = new URL(`${this.config.address.replace(/\/+$/, '')}/v1/catalog/watch`);
    for (const namespace of this.config.namespaces) url.searchParams.append('namespace', namespace);
    for (const service of this.config.services) url.searchParams.append('service', service);
    if (position !== undefined) {
      url.searchParams.set('epoch', position.epoch);
      url.searchParams.set('revision', String(position.revision));
    }
    return url;
  }

  /**
   * Streams the feed until the peer ends it (resolves) or it fails (rejects with PeerRequestError, or
   * with an abort error once `signal` aborts). `connectTimeout` bounds the wait for the headers.
   */
  async stream(
    position: PeerPosition | undefined,
    signal: AbortSignal,
    handlers: PeerStreamHandlers,
    clock: Clock,
  ): Promise<void> {
    const request = new AbortController();
    const abort = (): void => request.abort();
    signal.addEventListener('abort', abort, { once: true });
    const waiting = new AbortController();
    let timedOut = false;
    let opened = false;
    void clock.sleep(this.config.connectTimeout, waiting.signal).then(() => {
      if (waiting.signal.aborted) return;
      timedOut = true;
      request.abort();
    });
    try {
      const response = await fetch(this.watchUrl(position), {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${this.token}`,
          'cache-control': 'no-cache',
        },
        agent: this.agent,
        signal: request.signal,
      });
      if (!response.ok) throw await failedResponse(response);
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream')) {
        throw new PeerRequestError(`not an event stream (Content-Type "${type}")`, response.status, '');
      }
      waiting.abort();
      opened = true;
      handlers.onOpen();
      const parser = new SseParser();
      for await (const chunk of response.body ?? []) {
        for (const item of parser.push(chunk as Buffer | string)) {
          if (signal.aborted) break;
          handlers.onItem(item);
        }
        if (signal.aborted) break;
      }
    } catch (error) {
      if (timedOut)
        throw new PeerRequestError(
          `unreachable (no answer within ${this.config.connectTimeout} ms)`,
          undefined,
          '',
        );
      if (signal.aborted || error instanceof PeerRequestError) throw error;
      throw networkFailure(error, opened);
    } finally {
      waiting.abort();
      signal.removeEventListener('abort', abort);
      request.abort(); // ends the response body and its socket if still open
    }
  }

  /** Destroys the agent: every socket closes now. */
  close(): void {
    this.agent.destroy();
  }
}
