/**
 * The body parser of the registration routes: JSON whatever the Content-Type says (curl -d sends
 * form encoding; Consul's agent ignores the header too), and an empty body is no body, so
 * `curl -X PUT …/heartbeat` works. Installed in the routes' own fastify context only.
 */
import type { FastifyInstance } from 'fastify';
import { TributaryError, describeError } from '../errors.js';

/** Replaces the context's body parsers with the lenient JSON one. */
export function installLenientJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (error) {
      done(
        new TributaryError('TRB_API_BAD_REQUEST', `body: is not valid JSON (${describeError(error)})`, {
          field: 'body',
        }),
        undefined,
      );
    }
  });
}
