/** The rest source's own configuration fields (`kind`, `name` and `priority` are added by the loader). */
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `15s`, `1m`, `1h`, or a number of seconds → milliseconds within [min, max]. */
const duration = (fallback: string, minMs: number, maxMs: number) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim()) : null;
      const ms =
        typeof value === 'number'
          ? Math.round(value * 1000)
          : match
            ? Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!)
            : NaN;
      if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `"${value}" is not a duration from ${minMs} ms to ${maxMs / 3_600_000} h (like 500ms, 15s, 1m)`,
        });
        return z.NEVER;
      }
      return ms;
    });

/**
 * `ttl`/`grace`: defaults of registrations that name none (a Consul registration takes them from its
 * TTL check). `registrationStore`: where registrations are kept; `consul` (write-through to a Consul
 * agent, for replicas) is not supported yet.
 */
export const restSourceSchema = z.strictObject({
  ttl: duration('30s', 100, 24 * 3_600_000).describe(
    'Time to live of a registration that names none: without a heartbeat within it, its endpoints turn unhealthy.',
  ),
  grace: duration('1m', 0, 7 * 24 * 3_600_000).describe(
    'Time after the TTL ran out before a registration that names none is removed.',
  ),
  maxRegistrations: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe('Most registrations kept; a new one beyond it is refused (507).'),
  registrationStore: z
    .enum(['sqlite', 'consul'])
    .default('sqlite')
    .refine((store) => store === 'sqlite', {
      message:
        'registrationStore: "consul" (write-through to a Consul agent) is not supported yet; use "sqlite"',
    })
    .describe(
      'Where registrations are kept: sqlite (the catalog database, synchronous commits); consul (write-through) is not supported yet.',
    ),
  consulDefaultNamespace: z
    .string()
    .regex(DNS_LABEL, 'must be a namespace (a DNS label)')
    .default('default')
    .describe('Namespace of a Consul-agent registration that names none (no meta key, no Namespace).'),
  consulNamespaceMetaKey: z
    .string()
    .min(1)
    .default('tributary-namespace')
    .describe('Meta key of a Consul-agent registration that names its namespace.'),
});

/** A validated rest source configuration, defaults applied (durations in milliseconds). */
export type RestSourceConfig = z.infer<typeof restSourceSchema>;
