/**
 * The native registration API: `PUT /v1/registrations/{id}` (idempotent upsert; 201 when created,
 * 200 when replaced), `PUT /v1/registrations/{id}/heartbeat`, `DELETE /v1/registrations/{id}` (204)
 * and `GET /v1/registrations[?namespace=]`. Writes need a token (onRequest hook, before the body is
 * read); everything is validated before the service writes anything.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { mayList } from '../../auth/scopes.js';
import type { RegistrationService } from '../../registration/service.js';
import type { RegistrationWriter } from '../../registration/writer.js';
import { guardRead, principalOf, requirePrincipal, requireToken, type ApiAuth } from '../auth.js';
import { installLenientJson } from '../json-body.js';
import { parseInput } from '../query.js';
import {
  heartbeatBodySchema,
  idParamsSchema,
  REGISTRATION_BODY_LIMIT,
  registrationBodySchema,
  toHeartbeatInput,
  toRegistrationInput,
} from '../registration-body.js';
import { registrationJson, type RegistrationListBody } from '../registration-json.js';

const listQuerySchema = z.object({
  namespace: z
    .string({ error: 'must be given once' })
    .optional()
    .transform((text) => (text === '' ? undefined : text)),
});

/** Which namespaces' registrations a request may see: all for open reads and `read` tokens. */
export function visibleNamespaces(request: FastifyRequest): (namespace: string) => boolean {
  const principal = principalOf(request);
  if (principal === undefined) return () => true;
  return (namespace) => mayList(principal, namespace);
}

/** Registers the native registration routes on `app` (their own context: lenient JSON bodies). */
export function registerRegistrationRoutes(
  app: FastifyInstance,
  service: RegistrationService,
  writer: RegistrationWriter,
  auth: ApiAuth,
): void {
  void app.register(async (routes) => {
    installLenientJson(routes);
    const write = { onRequest: requireToken(auth), bodyLimit: REGISTRATION_BODY_LIMIT };

    routes.put('/v1/registrations/:id', write, async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = parseInput(idParamsSchema, request.params, 'params');
      const body = parseInput(registrationBodySchema, request.body, 'body');
      const { registration, created } = await writer.register(
        toRegistrationInput(id, body),
        requirePrincipal(request),
      );
      return reply.code(created ? 201 : 200).send(registrationJson(registration, service.now()));
    });

    routes.put(
      '/v1/registrations/:id/heartbeat',
      write,
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { id } = parseInput(idParamsSchema, request.params, 'params');
        const body = parseInput(heartbeatBodySchema, request.body, 'body');
        const registration = await writer.heartbeat(id, toHeartbeatInput(body), requirePrincipal(request));
        return reply.send(registrationJson(registration, service.now()));
      },
    );

    routes.delete('/v1/registrations/:id', write, async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = parseInput(idParamsSchema, request.params, 'params');
      await writer.deregister(id, requirePrincipal(request));
      return reply.code(204).send();
    });

    routes.get(
      '/v1/registrations',
      { onRequest: guardRead(auth, false) },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { namespace } = parseInput(listQuerySchema, request.query, 'query');
        const visible = visibleNamespaces(request);
        const now = service.now();
        const registrations = service
          .list((ns) => (namespace === undefined || ns === namespace) && visible(ns))
          .map((r) => registrationJson(r, now));
        const body: RegistrationListBody = { registrations };
        return reply.send(body);
      },
    );
  });
}
