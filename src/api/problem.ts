/**
 * Errors → HTTP status + one JSON shape for every failure the REST API answers with:
 * `{ "error": { "code": "TRB_API_BAD_REQUEST", "message": "query.wait: …", "field": "query.wait" } }`.
 * Thrown TributaryErrors keep their code and status; fastify's own 4xx errors (bad URL, body
 * parsing, unsupported media type) are reported as TRB_API_BAD_REQUEST; anything else is a
 * TRB_INTERNAL 500 whose details go to the log, not to the client.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TributaryError, type ErrorCode } from '../errors.js';

/** The body of every error response. `field` is present when one input is to blame. */
export interface ProblemBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly field?: string;
  };
}

/** A status and body for an error response. */
export interface Problem {
  readonly status: number;
  readonly body: ProblemBody;
}

function statusCodeOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object' || !('statusCode' in error)) return undefined;
  const status = (error as FastifyError).statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
}

/** Maps anything thrown by a handler or by fastify itself to a Problem. */
export function problemOf(error: unknown): Problem {
  if (error instanceof TributaryError) {
    const body = { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
    return { status: error.httpStatus, body: { error: body } };
  }
  const status = statusCodeOf(error);
  if (status !== undefined && status < 500) {
    const code: ErrorCode = status === 404 ? 'TRB_API_NOT_FOUND' : 'TRB_API_BAD_REQUEST';
    const { message } = error as FastifyError;
    return {
      status,
      body: { error: { code, message: typeof message === 'string' ? message : 'bad request' } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'TRB_INTERNAL', message: 'internal error; see the server log' } },
  };
}

/** Sends a problem; the catalog headers set before the error (X-Tributary-Index) are kept. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(problem.body));
}

function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = problemOf(error);
  if (problem.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
  else request.log.debug({ err: error, reqId: request.id }, 'request rejected');
  return sendProblem(reply, problem);
}

function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  const message = `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`;
  return sendProblem(reply, { status: 404, body: { error: { code: 'TRB_API_NOT_FOUND', message } } });
}

/** Installs the error and not-found handlers so every failure has the problem shape. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
}
