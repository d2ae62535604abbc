/**
 * The one configuration schema (zod): global settings with descriptions and defaults, plus one
 * entry per source whose kind-specific fields come from the registry factory table.
 */
import { z } from 'zod';
import { SCOPE_PATTERN } from '../auth/scopes.js';
import { parseDuration } from './duration.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (like 500ms, 10s, 5m)` });
        return z.NEVER;
      }
      return ms;
    });

const listener = (port: number) =>
  z.strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address to listen on; 127.0.0.1 keeps it loopback-only.'),
    port: z.number().int().min(0).max(65535).default(port).describe('TCP port; 0 picks a free one.'),
  });

const common = {
  name: z
    .string()
    .regex(
      DNS_LABEL,
      'must be lowercase letters, digits and "-" (it becomes part of the source id <kind>/<name>)',
    )
    .describe('Source name; the source id is <kind>/<name>.'),
  priority: z
    .number()
    .int()
    .default(0)
    .describe('When two sources report the same endpoint, the higher priority decides its fields.'),
};

/** One API token: who it is, the SHA-256 of its secret (never the secret itself) and its scopes. */
export const tokenSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/, 'must be letters, digits, "-", "_" or ".", at most 63')
    .describe('Token name: shown as the owner of what it registers, and in logs.'),
  sha256: z
    .string()
    .regex(
      /^[0-9a-fA-F]{64}$/,
      'must be the SHA-256 of the secret as 64 hex digits (printf %s "$SECRET" | sha256sum)',
    )
    .transform((hex) => hex.toLowerCase()),
  scopes: z
    .array(
      z
        .string()
        .regex(
          SCOPE_PATTERN,
          'must be read, admin, register:*, register:<namespace> or peer:<name> (DNS labels)',
        ),
    )
    .min(1),
});

/** A configured token, its hash in lowercase hex. */
export type TokenConfig = z.output<typeof tokenSchema>;

const globs = (description: string) => z.array(z.string().min(1)).default([]).describe(description);

/** One federation.exports entry: what peer `peer` may import. */
export const exportRuleSchema = z.strictObject({
  peer: z
    .string()
    .regex(DNS_LABEL, 'must be a peer name (a DNS label), as in the scope peer:<name> of its token')
    .describe('Peer name: the token with the scope peer:<name> is this peer.'),
  namespaces: globs('Namespaces (globs: * any run, ? one character) whose every service is exported.'),
  services: globs('Single services exported, as namespace/name globs (e.g. shop/payments, billing/*).'),
});

const federationSchema = z
  .strictObject({
    importedPriority: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(1)
      .describe(
        'EDS priority of endpoints imported from peers (local ones are 0): 1 fails over to other clouds only when no local endpoint is healthy; 0 merges them with local ones, weighted by locality.',
      ),
    heartbeat: duration('10s').describe(
      'Interval of heartbeats on export streams (peers use them to detect dead streams).',
    ),
    exports: z
      .array(exportRuleSchema)
      .default([])
      .describe(
        'Export policy per peer: {peer, namespaces, services}. A peer without an entry imports nothing; endpoints imported from peers are never exported.',
      ),
  })
  .prefault({})
  .refine((f) => new Set(f.exports.map((e) => e.peer)).size === f.exports.length, {
    message: 'each peer may have one exports entry',
    path: ['exports'],
  });

/** Global settings; `sources` is added per factory table by buildConfigSchema. */
export const globalSchema = {
  domain: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS domain like svc.cluster.local')
    .default('svc.cluster.local')
    .describe('Hostnames are <name>.<namespace>.<domain>.'),
  dataDir: z.string().min(1).default('./data').describe('Directory of the SQLite catalog (tributary.db).'),
  http: listener(8080).prefault({}).describe('REST, SSE watch, metrics and health.'),
  grpc: listener(15010).prefault({}).describe('xDS (ADS) and the catalog watch API.'),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default('info')
        .describe('Level of the JSON log lines written to stdout.'),
    })
    .prefault({}),
  pipeline: z
    .strictObject({
      window: duration('20ms').describe('Coalescing window: changes within it become one revision.'),
      retryBase: duration('500ms').describe('First retry delay of a failed source (doubles, with jitter).'),
      retryMax: duration('30s').describe('Cap on the retry delay of a failed source.'),
    })
    .prefault({}),
  catalog: z
    .strictObject({
      changeLogSize: z
        .number()
        .int()
        .min(10)
        .max(1_000_000)
        .default(10_000)
        .describe('Revisions kept for resume.'),
    })
    .prefault({}),
  xds: z
    .strictObject({
      debounce: duration('30ms').describe(
        'Quiet time after a catalog change before xDS resources are rebuilt and pushed.',
      ),
      maxDelay: duration('500ms').describe('Longest a push waits for the catalog to go quiet.'),
      keepalive: duration('30s').describe('HTTP/2 keepalive ping interval on xDS connections.'),
    })
    .prefault({}),
  api: z
    .strictObject({
      maxWait: duration('10m').describe('Longest a blocking query (?index=) is held.'),
      defaultWait: duration('5m').describe('Wait of a blocking query that names none.'),
    })
    .prefault({}),
  federation: federationSchema.describe(
    'Peering with Tributaries in other clouds: export policy and EDS failover.',
  ),
  auth: z
    .strictObject({
      readAuth: z
        .enum(['open', 'token'])
        .default('open')
        .describe(
          'open: reads (/v1/services, /v1/sources, /v1/watch, /v1/registrations, /debug) need no token; token: they need one with the read or admin scope.',
        ),
      tokens: z
        .array(tokenSchema)
        .default([])
        .describe(
          'API tokens: {name, sha256, scopes}; sha256 is the hex SHA-256 of the secret; scopes: read, register:<namespace>, register:*, peer:<name>, admin.',
        ),
      tokensFile: z
        .string()
        .min(1)
        .optional()
        .describe(
          'YAML or JSON file of more tokens (tokens: [...], same fields), relative to the config file.',
        ),
      rateLimit: z
        .strictObject({
          perSecond: z
            .number()
            .positive()
            .default(50)
            .describe('Requests per second each token may make (token bucket refill rate).'),
          burst: z
            .number()
            .int()
            .min(1)
            .default(100)
            .describe('Requests a token may make at once before the rate applies.'),
        })
        .prefault({}),
    })
    .prefault({}),
};

/** The fields every source has, whatever its kind; the kind's own fields are checked by its factory. */
export const sourceCommonSchema = z.looseObject({
  kind: z.string().describe('Which registry adapter: see the source kinds in README.md.'),
  ...common,
});

/** The whole file: global settings, and sources checked for their common fields. */
export const configSchema = z.strictObject({
  ...globalSchema,
  sources: z.array(sourceCommonSchema).default([]).describe('Registries to watch.'),
});

export type RawConfig = z.infer<typeof configSchema>;
