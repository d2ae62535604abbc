/**
 * Bearer tokens at the HTTP edge: `Authorization: Bearer <secret>` or `X-Consul-Token: <secret>`,
 * checked in an onRequest hook (before the body is read), then the token's rate limit. A missing or
 * unknown token is a 401 with `WWW-Authenticate: Bearer`; an exhausted bucket a 429 with
 * `Retry-After`. Handlers get the principal with `principalOf(request)` and check scopes themselves.
 */
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import { retryAfterSeconds, type TokenBuckets } from '../auth/rate-limit.js';
import { mayRead, type Principal } from '../auth/scopes.js';
import type { TokenSet } from '../auth/tokens.js';
import { TributaryError } from '../errors.js';

/** Token checking for the API; absent = no tokens configured (reads open, writes refused). */
export interface ApiAuth {
  readonly tokens: TokenSet;
  readonly buckets: TokenBuckets;
  /** `token`: reads need a token with the read (or admin) scope. */
  readonly readAuth: 'open' | 'token';
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The secret a request presents, if any: a Bearer Authorization header wins over X-Consul-Token. */
export function presentedSecret(headers: FastifyRequest['headers']): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const consul = headers['x-consul-token'];
  if (typeof consul === 'string' && consul.trim() !== '') return consul.trim();
  return undefined;
}

function unauthorized(reply: FastifyReply, message: string): TributaryError {
  reply.header('www-authenticate', 'Bearer realm="tributary"');
  return new TributaryError('TRB_API_UNAUTHORIZED', message);
}

/**
 * Authenticates the request: sets its principal or throws 401; then takes one request from the
 * token's bucket or throws 429. With `optional`, a request without any token passes unauthenticated.
 */
function authenticate(auth: ApiAuth, request: FastifyRequest, reply: FastifyReply, optional: boolean): void {
  const secret = presentedSecret(request.headers);
  if (secret === undefined) {
    if (optional) return;
    throw unauthorized(reply, 'a bearer token is required (Authorization: Bearer <token> or X-Consul-Token)');
  }
  const principal = auth.tokens.authenticate(secret);
  if (principal === undefined) throw unauthorized(reply, 'the bearer token is not valid');
  const decision = auth.buckets.take(principal.name);
  if (!decision.allowed) {
    const seconds = retryAfterSeconds(decision.retryAfterMs);
    reply.header('retry-after', String(seconds));
    throw new TributaryError(
      'TRB_API_RATE_LIMITED',
      `token "${principal.name}" is over its rate limit; retry after ${seconds} s`,
    );
  }
  principals.set(request, principal);
}

/** The hook of write routes: a valid token is required. */
export function requireToken(auth: ApiAuth): onRequestAsyncHookHandler {
  return async (request, reply) => authenticate(auth, request, reply, false);
}

/**
 * The hook of read routes: open reads take an optional token (so listings can be narrowed to what
 * it may write); token reads need a valid one. `needsRead`: the route needs the read scope itself
 * (catalog reads); routes that filter by namespace check scopes in the handler instead. Undefined
 * without auth (nothing to check). A plain (callback) hook, since it never waits: fastify turns a
 * throw into the error response exactly as it does a rejection, without a promise per request.
 */
export function guardRead(auth: ApiAuth, needsRead: boolean): onRequestHookHandler;
export function guardRead(auth: ApiAuth | undefined, needsRead: boolean): onRequestHookHandler | undefined;
export function guardRead(auth: ApiAuth | undefined, needsRead: boolean): onRequestHookHandler | undefined {
  if (auth === undefined) return undefined;
  const open = auth.readAuth === 'open';
  return (request, reply, done) => {
    authenticate(auth, request, reply, open);
    if (!open && needsRead) {
      const principal = principals.get(request);
      if (principal !== undefined && !mayRead(principal)) {
        throw new TributaryError('TRB_API_FORBIDDEN', `token "${principal.name}" has no read scope`);
      }
    }
    done();
  };
}

/** The principal the hook authenticated, if any. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** The principal the hook authenticated; a write route without one is a programming error. */
export function requirePrincipal(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (principal === undefined) throw new TributaryError('TRB_INTERNAL', 'route has no auth hook');
  return principal;
}
