/** The rest source's own configuration fields (`kind`, `name` and `priority` are added by the loader). */
import { z } from 'zod';
import { durationField } from '../shared/duration.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The Consul agent that `registrationStore: consul` writes through to. */
const consulAgentSchema = z.strictObject({
  address: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL of a Consul agent' })
    .default('http://127.0.0.1:8500')
    .describe('URL of the Consul agent registrations are written to (https:// for TLS).'),
  token: z.string().min(1).optional().describe('ACL token (needs service:write); use ${CONSUL_TOKEN}.'),
  tokenFile: z
    .string()
    .min(1)
    .optional()
    .describe('File holding the ACL token (relative to the config file).'),
  datacenter: z.string().min(1).optional().describe("Datacenter (default: the agent's own)."),
  caFile: z.string().min(1).optional().describe('CA bundle that signs the agent certificate (PEM).'),
  certFile: z.string().min(1).optional().describe('Client certificate for mutual TLS (PEM).'),
  keyFile: z.string().min(1).optional().describe('Key of the client certificate (PEM).'),
  timeout: durationField('5s', 100, 60_000).describe('Timeout of one write to the agent.'),
});

/**
 * `ttl`/`grace`: defaults of registrations that name none (a Consul registration takes them from its
 * TTL check). `registrationStore`: where registrations are kept; `consul` writes them through to the
 * Consul agent in `consul` first, so replicas watching that Consul serve them too.
 */
export const restSourceSchema = z
  .strictObject({
    ttl: durationField('30s', 100, 24 * 3_600_000).describe(
      'Time to live of a registration that names none: without a heartbeat within it, its endpoints turn unhealthy.',
    ),
    grace: durationField('1m', 0, 7 * 24 * 3_600_000).describe(
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
      .describe(
        'Where registrations are kept: sqlite (the catalog database, synchronous commits); consul: written through to the Consul agent of `consul` first (a failed write fails the call), then to sqlite, so every replica watching that Consul serves them.',
      ),
    consul: consulAgentSchema
      .optional()
      .describe('The Consul agent of registrationStore: consul (address, token, TLS files).'),
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
  })
  .superRefine((source, ctx) => {
    if (source.consul !== undefined && source.registrationStore !== 'consul')
      ctx.addIssue({
        code: 'custom',
        path: ['consul'],
        message: 'is only used with registrationStore: consul (set it, or remove this block)',
      });
  });

/** A validated rest source configuration, defaults applied (durations in milliseconds). */
export type RestSourceConfig = z.infer<typeof restSourceSchema>;
/** The validated `consul` block of the rest source. */
export type ConsulAgentConfig = z.infer<typeof consulAgentSchema>;
