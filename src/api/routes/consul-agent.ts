/**
 * The Consul agent API subset that registration tooling uses
 * (https://developer.hashicorp.com/consul/api-docs/agent/service, …/agent/check), mapped onto the
 * same registrations: `PUT /v1/agent/service/register`, `PUT /v1/agent/service/deregister/{id}`,
 * `PUT /v1/agent/check/pass|warn|fail/{check_id}?note=`, `PUT /v1/agent/check/update/{check_id}`
 * and `GET /v1/agent/services`. Like Consul, writes answer 200 with an empty body and errors are
 * plain text (its clients show that text); the status codes are Tributary's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ReportedStatus } from '../../model/registration.js';
import type { RegistrationService } from '../../registration/service.js';
import type { RegistrationWriter } from '../../registration/writer.js';
import { TributaryError } from '../../errors.js';
import { guardRead, requirePrincipal, requireToken, type ApiAuth } from '../auth.js';
import {
  consulCheckUpdateSchema,
  consulToRegistrationInput,
  toConsulAgentService,
  type ConsulAgentService,
  type ConsulMapping,
} from '../consul-agent-body.js';
import { installLenientJson } from '../json-body.js';
import { problemOf } from '../problem.js';
import { parseInput } from '../query.js';
import { MAX_NOTE, REGISTRATION_BODY_LIMIT } from '../registration-body.js';
import { visibleNamespaces } from './registration.js';

const ACTIONS: Readonly<Record<string, ReportedStatus>> = {
  pass: 'passing',
  warn: 'warning',
  fail: 'critical',
};

const checkParamsSchema = z.object({ action: z.enum(['pass', 'warn', 'fail']), checkId: z.string().min(1) });
const noteQuerySchema = z.object({
  note: z.string({ error: 'must be given once' }).max(MAX_NOTE).optional(),
});
const idParamsSchema = z.object({ id: z.string().min(1) });

/** The caller's address without the IPv4-mapped IPv6 prefix (Consul's stand-in for an empty Address). */
export function remoteAddressOf(request: FastifyRequest): string {
  const ip = request.ip;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function sendPlainError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = problemOf(error);
  if (problem.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
  else request.log.debug({ err: error, reqId: request.id }, 'request rejected');
  return reply.code(problem.status).type('text/plain; charset=utf-8').send(problem.body.error.message);
}

/** Registers the Consul-agent routes on `app` (their own context: lenient JSON, plain-text errors). */
export function registerConsulAgentRoutes(
  app: FastifyInstance,
  service: RegistrationService,
  writer: RegistrationWriter,
  auth: ApiAuth,
  mapping: ConsulMapping,
): void {
  void app.register(async (routes) => {
    installLenientJson(routes);
    routes.setErrorHandler(sendPlainError);
    const write = { onRequest: requireToken(auth), bodyLimit: REGISTRATION_BODY_LIMIT };

    routes.put('/v1/agent/service/register', write, async (request: FastifyRequest, reply: FastifyReply) => {
      const input = consulToRegistrationInput(request.body, mapping, remoteAddressOf(request));
      await writer.register(input, requirePrincipal(request));
      return reply.code(200).send();
    });

    routes.put(
      '/v1/agent/service/deregister/:id',
      write,
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { id } = parseInput(idParamsSchema, request.params, 'params');
        if (service.get(id) === undefined) {
          throw new TributaryError('TRB_API_NOT_FOUND', `Unknown service ID "${id}"`, { field: 'params.id' });
        }
        await writer.deregister(id, requirePrincipal(request));
        return reply.code(200).send();
      },
    );

    routes.put(
      '/v1/agent/check/:action/:checkId',
      write,
      async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as { action?: string };
        if (params.action === 'update') {
          const { checkId } = parseInput(z.object({ checkId: z.string().min(1) }), request.params, 'params');
          const body = parseInput(consulCheckUpdateSchema, request.body, 'body');
          await renew(checkId, body?.Status ?? 'passing', body?.Output ?? '', request);
          return reply.code(200).send();
        }
        const { action, checkId } = parseInput(checkParamsSchema, request.params, 'params');
        const { note } = parseInput(noteQuerySchema, request.query, 'query');
        await renew(checkId, ACTIONS[action]!, note ?? '', request);
        return reply.code(200).send();
      },
    );

    routes.get(
      '/v1/agent/services',
      { onRequest: guardRead(auth, false) },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const visible = visibleNamespaces(request);
        const body: Record<string, ConsulAgentService> = {};
        for (const registration of service.list(visible))
          body[registration.id] = toConsulAgentService(registration);
        return reply.send(body);
      },
    );
  });

  /** A TTL check update: renews the registration owning the check with the given status and note. */
  async function renew(
    checkId: string,
    status: ReportedStatus,
    note: string,
    request: FastifyRequest,
  ): Promise<void> {
    const registration = service.getByCheckId(checkId);
    if (registration === undefined) {
      throw new TributaryError('TRB_API_NOT_FOUND', `Unknown check ID "${checkId}"`, {
        field: 'params.checkId',
      });
    }
    await writer.heartbeat(registration.id, { status, note }, requirePrincipal(request));
  }
}
