/** The peer source's own configuration fields (`kind`, `name` and `priority` are added by the loader). */
import { isIP } from 'node:net';
import { z } from 'zod';
import { durationField } from '../shared/duration.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_KEY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const localitySchema = z.strictObject({
  region: z.string().default('').describe('Region of the gateway.'),
  zone: z.string().default('').describe('Zone of the gateway.'),
  subzone: z.string().default('').describe('Subzone of the gateway.'),
});

const gatewaySchema = z.strictObject({
  address: z
    .string()
    .refine((a) => isIP(a) !== 0, 'must be an IP address')
    .describe("IP address of one of the peer's network gateways, as this cloud reaches it."),
  port: z.number().int().min(1).max(65535).describe('Port of the gateway.'),
  locality: localitySchema
    .optional()
    .describe('Locality of the gateway; without it, the region most endpoints behind it have.'),
});

/** One gateway into the peer's network. */
export type PeerGateway = z.infer<typeof gatewaySchema>;

/**
 * Where the peer Tributary is (its REST API, which serves `GET /v1/catalog/watch` as Server-Sent
 * Events), how to authenticate, what to ask for and how its endpoints are reached. See README "Peer source".
 */
export const peerSourceSchema = z
  .strictObject({
    address: z
      .url({
        protocol: /^https?$/,
        error: 'must be an http:// or https:// URL like https://peer.example:8080',
      })
      .describe("HTTP(S) address of the peer Tributary's REST API (https:// for TLS)."),
    token: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Peer token the peer issued to this cloud, sent as Authorization: Bearer; use ${ENV_VAR} to keep it out of the file.',
      ),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding the peer token (read at each start), relative to the config file.'),
    caFile: z.string().min(1).optional().describe("PEM CA bundle that signs the peer's HTTPS certificate."),
    certFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM client certificate, when the peer verifies clients.'),
    keyFile: z.string().min(1).optional().describe('PEM key of the client certificate.'),
    namespaces: z
      .array(z.string().regex(DNS_LABEL, 'must be a namespace (a DNS label)'))
      .default([])
      .describe("Namespaces to import; empty means every one the peer's export policy allows."),
    services: z
      .array(z.string().regex(SERVICE_KEY, 'must be a service as namespace/name'))
      .default([])
      .describe('Services (namespace/name) to import, beside `namespaces`; empty means no narrowing.'),
    network: z
      .string()
      .default('')
      .describe(
        "The peer's network: stamped on imported endpoints that name none; '' is this cloud's default network.",
      ),
    gateways: z
      .array(gatewaySchema)
      .default([])
      .describe(
        "Gateways into the peer's network; when given, each service port's endpoints are replaced by one endpoint per gateway.",
      ),
    expiry: durationField('1h', 1, 30 * 86_400_000).describe(
      'After the peer has been unreachable this long, its imported services are dropped.',
    ),
    heartbeatTimeout: durationField('45s', 10, 3_600_000).describe(
      'No event or keepalive for this long: the connection is considered dead and reopened.',
    ),
    retryBase: durationField('1s', 1, 600_000).describe(
      'First retry delay after a failed connection (doubles per failure, with jitter).',
    ),
    retryMax: durationField('30s', 1, 3_600_000).describe(
      'Cap on the retry delay; a refused token is retried at this pace.',
    ),
    connectTimeout: durationField('10s', 10, 600_000).describe(
      'Time allowed for the peer to answer the watch request with its headers.',
    ),
  })
  .refine((c) => c.token === undefined || c.tokenFile === undefined, {
    message: 'give token or tokenFile, not both',
    path: ['tokenFile'],
  })
  .refine((c) => c.token !== undefined || c.tokenFile !== undefined, {
    message: 'a peer token is required: give token or tokenFile',
    path: ['token'],
  })
  .refine((c) => (c.certFile === undefined) === (c.keyFile === undefined), {
    message: 'certFile and keyFile go together',
    path: ['keyFile'],
  })
  .refine((c) => c.gateways.length === 0 || c.network !== '', {
    message: "gateways put the peer on another network: name it in `network` (it must not be '')",
    path: ['network'],
  });

/** A validated peer source configuration, defaults applied (durations in milliseconds). */
export type PeerSourceConfig = z.infer<typeof peerSourceSchema>;
