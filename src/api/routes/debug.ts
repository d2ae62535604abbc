/** /debug/syncz and /debug/config_dump: what every connected proxy holds (served when xDS runs). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TributaryError } from '../../errors.js';
import type { XdsDebug } from '../../xds/debug.js';

const configDumpQuery = z.object({ node: z.string().min(1, 'must name a node id') });

/** The debug handlers over an XdsDebug provider. */
export function createDebugHandlers(debug: XdsDebug) {
  return {
    syncz: async (_request: FastifyRequest, reply: FastifyReply) => {
      await reply.type('application/json; charset=utf-8').send(JSON.stringify(debug.syncz()));
    },
    configDump: async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = configDumpQuery.safeParse(request.query);
      if (!parsed.success) {
        throw new TributaryError(
          'TRB_API_BAD_REQUEST',
          `query.node: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          {
            field: 'query.node',
          },
        );
      }
      const dump = debug.configDump(parsed.data.node);
      if (dump === undefined) {
        throw new TributaryError(
          'TRB_API_NOT_FOUND',
          `no xDS stream of node "${parsed.data.node}" is connected`,
          {
            field: 'query.node',
          },
        );
      }
      await reply.type('application/json; charset=utf-8').send(JSON.stringify(dump));
    },
  };
}
