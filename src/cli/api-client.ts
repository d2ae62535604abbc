/**
 * A small client of Tributary's REST API for the CLI, on Node's global fetch: JSON decoding,
 * readable errors (the server's `{ error: { code, message } }` included), and a blocking-query
 * loop (`?index=&wait=`) that follows Consul's client rules and stops on an AbortSignal.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** A decoded answer and the catalog position it reflects. */
export interface ApiResponse<T> {
  readonly body: T;
  /** `X-Tributary-Index`; undefined when the route does not send it. */
  readonly index: number | undefined;
  readonly epoch: string | undefined;
}

/** Query parameters; undefined values are left out. */
export type QueryParams = Readonly<Record<string, string | number | undefined>>;

/** A failed call: unreachable server, error status, or an undecodable body. */
export class ApiClientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly field?: string,
    /** From `Retry-After` (429, 503). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

/** A write: method, JSON body, bearer token. */
export interface SendOptions {
  readonly method: 'PUT' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly token?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Reads from, and writes to, one Tributary. */
export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string, query?: QueryParams, signal?: AbortSignal): Promise<ApiResponse<T>>;
  /** A write; the decoded body, or undefined for an empty one (204). */
  send<T>(path: string, options: SendOptions): Promise<T | undefined>;
}

interface ErrorBody {
  readonly error?: { readonly code?: unknown; readonly message?: unknown; readonly field?: unknown };
}

function urlOf(baseUrl: string, path: string, query: QueryParams): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.size > 0 ? `?${params.toString()}` : '';
  return `${baseUrl}${path}${search}`;
}

function errorFromResponse(
  url: string,
  status: number,
  text: string,
  method = 'GET',
  retryAfter: string | null = null,
): ApiClientError {
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    if (error && typeof error.message === 'string') {
      const code = typeof error.code === 'string' ? error.code : undefined;
      const field = typeof error.field === 'string' ? error.field : undefined;
      return new ApiClientError(
        `${error.message} (${code ?? 'error'}, HTTP ${status})`,
        status,
        code,
        field,
        retryAfterMs(retryAfter),
      );
    }
  } catch {
    // Not our JSON (a proxy's error page, say): report the text itself below.
  }
  const excerpt = text.trim().slice(0, 200) || 'no body';
  return new ApiClientError(
    `${method} ${url} answered HTTP ${status}: ${excerpt}`,
    status,
    undefined,
    undefined,
    retryAfterMs(retryAfter),
  );
}

/** `Retry-After` seconds in milliseconds; undefined when absent or not a number of seconds. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

interface ErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

/** Duck-typed on purpose: fetch's errors may come from another realm (vm contexts, test runners). */
function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && 'message' in value;
}

/** Why fetch failed: the socket error behind undici's generic "fetch failed" when there is one. */
function causeOf(error: unknown): string {
  const cause = isErrorLike(error) ? error.cause : undefined;
  const source = isErrorLike(cause) ? cause : isErrorLike(error) ? error : undefined;
  if (source === undefined) return String(error);
  const message = typeof source.message === 'string' ? source.message : '';
  const code = typeof source.code === 'string' ? source.code : '';
  if (message === '') return code || 'unknown error';
  return code !== '' && !message.includes(code) ? `${message} (${code})` : message;
}

/** Creates a client for the API at `baseUrl` (`http://host:port`, optionally with a path prefix). */
export function createApiClient(baseUrl: string, fetchImpl: typeof fetch = fetch): ApiClient {
  if (!URL.canParse(baseUrl) || !['http:', 'https:'].includes(new URL(baseUrl).protocol)) {
    throw new ApiClientError(`--api: "${baseUrl}" is not an http(s) URL`);
  }
  const base = baseUrl.replace(/\/+$/, '');
  return {
    baseUrl: base,
    async get<T>(path: string, query: QueryParams = {}, signal?: AbortSignal): Promise<ApiResponse<T>> {
      const url = urlOf(base, path, query);
      let response: Response;
      let text: string;
      try {
        response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: signal ?? null });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new ApiClientError(`cannot reach Tributary at ${base}: ${causeOf(error)}`);
      }
      if (!response.ok) throw errorFromResponse(url, response.status, text);
      let body: T;
      try {
        body = JSON.parse(text) as T;
      } catch {
        throw new ApiClientError(`GET ${url} answered with a body that is not JSON`, response.status);
      }
      const index = response.headers.get('x-tributary-index');
      return {
        body,
        index: index === null ? undefined : Number(index),
        epoch: response.headers.get('x-tributary-epoch') ?? undefined,
      };
    },
    async send<T>(path: string, options: SendOptions): Promise<T | undefined> {
      const url = `${base}${path}`;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let response: Response;
      let text: string;
      try {
        response = await fetchImpl(url, {
          method: options.method,
          headers,
          signal: options.signal ?? null,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        });
        text = await response.text();
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new ApiClientError(`cannot reach Tributary at ${base}: ${causeOf(error)}`);
      }
      if (!response.ok) {
        throw errorFromResponse(
          url,
          response.status,
          text,
          options.method,
          response.headers.get('retry-after'),
        );
      }
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiClientError(
          `${options.method} ${url} answered with a body that is not JSON`,
          response.status,
        );
      }
    },
  };
}

/** Limits of the blocking loop. */
export interface BlockingLoopOptions {
  /** Stops the loop (an in-flight request is aborted); the generator then simply returns. */
  readonly signal: AbortSignal;
  /** `wait` sent with each request. Default `5m`. */
  readonly wait?: string;
  /** Least time between two requests, so a busy catalog cannot make the loop spin. Default 250 ms. */
  readonly minIntervalMs?: number;
  /** Consecutive failures after which the last error is thrown. Default 5. */
  readonly maxErrors?: number;
  /** First retry delay; doubles per failure up to 30 s. Default 1 s. */
  readonly retryMs?: number;
}

/** Sleeps unless aborted; false when the signal stopped it. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !signal.aborted;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Yields the answer of `path`, then each later answer whose index differs, using blocking
 * queries. A lower index than the one sent means the server's database was replaced: that answer
 * is yielded and the loop continues from it. Errors are retried with capped exponential backoff
 * and thrown after `maxErrors` in a row.
 */
export async function* watchBlocking<T>(
  client: ApiClient,
  path: string,
  query: QueryParams,
  options: BlockingLoopOptions,
): AsyncGenerator<ApiResponse<T>, void, undefined> {
  const { signal, wait = '5m', minIntervalMs = 250, maxErrors = 5, retryMs = 1000 } = options;
  let index: number | undefined;
  let failures = 0;
  let lastStart = Number.NEGATIVE_INFINITY;
  while (await pause(lastStart + minIntervalMs - Date.now(), signal)) {
    lastStart = Date.now();
    try {
      const blocking = index === undefined ? {} : { index, wait };
      const response = await client.get<T>(path, { ...query, ...blocking }, signal);
      failures = 0;
      if (index === undefined || response.index !== index) yield response;
      index = response.index;
    } catch (error) {
      if (signal.aborted) return;
      failures += 1;
      if (failures >= maxErrors) throw error;
      if (!(await pause(Math.min(retryMs * 2 ** (failures - 1), 30_000), signal))) return;
    }
  }
}
