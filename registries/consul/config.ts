/** The consul source's own configuration fields (`kind`, `name` and `priority` are added by the loader). */
import { z } from 'zod';
import { durationField } from '../shared/duration.js';
import { PROTOCOLS } from '../../src/model/service.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Consul caps a blocking query's wait at 10 minutes. */
export const MAX_WAIT_MS = 600_000;

const patterns = (description: string) => z.array(z.string().min(1)).default([]).describe(description);

const filterSchema = z
  .strictObject({
    names: patterns(
      'Consul service names to read (globs: * any run, ? one character); empty means every service.',
    ),
    excludeNames: patterns('Consul service names never read (globs), even when `names` matches them.'),
    tags: patterns('Only instances carrying at least one of these tags (globs); empty means any.'),
    excludeTags: patterns('Instances carrying any of these tags (globs) are left out.'),
  })
  .prefault({});

const localitySchema = z
  .strictObject({
    regionMetaKey: z
      .string()
      .min(1)
      .default('region')
      .describe("Node meta key of the endpoint's region; without it the region is the datacenter."),
    zoneMetaKey: z.string().min(1).default('zone').describe("Node meta key of the endpoint's zone."),
    subzoneMetaKey: z.string().min(1).default('subzone').describe("Node meta key of the endpoint's subzone."),
  })
  .prefault({});

/**
 * Where Consul is and how to read it (blocking queries on /v1/catalog/services and
 * /v1/health/service/{name}), and how its services map onto the catalog. See README "Consul source".
 */
export const consulSourceSchema = z
  .strictObject({
    address: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL like http://127.0.0.1:8500' })
      .default('http://127.0.0.1:8500')
      .describe('HTTP(S) address of a Consul agent or server (https:// for TLS).'),
    datacenters: z
      .array(z.string().min(1))
      .default([])
      .describe("Datacenters to read; empty means the agent's own datacenter."),
    token: z
      .string()
      .min(1)
      .optional()
      .describe('ACL token sent as X-Consul-Token; use ${ENV_VAR} to keep it out of the file.'),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding the ACL token (read at each start), relative to the config file.'),
    caFile: z.string().min(1).optional().describe("PEM CA bundle that signs Consul's HTTPS certificate."),
    certFile: z.string().min(1).optional().describe('PEM client certificate, when Consul verifies clients.'),
    keyFile: z.string().min(1).optional().describe('PEM key of the client certificate.'),
    consistency: z
      .enum(['default', 'stale', 'consistent'])
      .default('default')
      .describe(
        'Read consistency: stale spreads reads over every server; consistent asks the leader to confirm.',
      ),
    wait: durationField('5m', 100, MAX_WAIT_MS).describe(
      'Longest a blocking query is held by Consul (it adds up to wait/16 of jitter).',
    ),
    minInterval: durationField('200ms', 0, 60_000).describe(
      'Least time between two queries of one watch (the index can move without a relevant change).',
    ),
    retryBase: durationField('1s', 10, 600_000).describe(
      'First retry delay after a failed query (doubles per failure, with jitter).',
    ),
    retryMax: durationField('30s', 10, 3_600_000).describe('Cap on the retry delay.'),
    requestTimeout: durationField('10s', 100, 600_000).describe(
      'Time allowed for Consul to answer, on top of the wait of a blocking query.',
    ),
    maxWatches: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(512)
      .describe(
        'Most health queries held at once; beyond it the services take turns (each held at most 1 s).',
      ),
    namespace: z
      .string()
      .regex(DNS_LABEL, 'must be a namespace (a DNS label)')
      .default('default')
      .describe('Catalog namespace of Consul services that name none (meta key, tag, Consul namespace).'),
    namespaceMetaKey: z
      .string()
      .min(1)
      .default('tributary-namespace')
      .describe('Service meta key whose value is the catalog namespace.'),
    namespaceTagPrefix: z
      .string()
      .min(1)
      .optional()
      .describe('A tag starting with this prefix names the namespace (e.g. "namespace=" in namespace=shop).'),
    consulNamespaces: z
      .boolean()
      .default(false)
      .describe("Use a service's Consul Enterprise namespace (Service.Namespace) as its catalog namespace."),
    taggedAddress: z
      .enum(['none', 'lan', 'wan', 'lan_ipv4', 'lan_ipv6', 'wan_ipv4', 'wan_ipv6'])
      .default('none')
      .describe(
        'Tagged address used as the endpoint address when an instance has it (service, then node); none: Service.Address, else Node.Address.',
      ),
    warningHealth: z
      .enum(['healthy', 'unhealthy'])
      .default('healthy')
      .describe('Health of an instance whose worst check is warning (its weight is then Weights.Warning).'),
    protocolMetaKey: z
      .string()
      .min(1)
      .default('protocol')
      .describe('Service meta key naming the port protocol (http, http2, grpc, https, tls, tcp, udp).'),
    portNameMetaKey: z
      .string()
      .min(1)
      .default('tributary-port-name')
      .describe('Service meta key naming the port (a DNS label); without it the port is named port-<Port>.'),
    servicePortMetaKey: z
      .string()
      .min(1)
      .default('tributary-service-port')
      .describe(
        'Service meta key holding the service port (the cluster port) when it differs from Port, as write-through registrations carry it.',
      ),
    defaultProtocol: z.enum(PROTOCOLS).default('tcp').describe('Port protocol when the meta key is absent.'),
    locality: localitySchema,
    networks: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        "Network of each datacenter's endpoints (datacenter → network); endpoints on different networks never merge.",
      ),
    filter: filterSchema,
  })
  .refine((c) => c.token === undefined || c.tokenFile === undefined, {
    message: 'give token or tokenFile, not both',
    path: ['tokenFile'],
  })
  .refine((c) => (c.certFile === undefined) === (c.keyFile === undefined), {
    message: 'certFile and keyFile go together',
    path: ['keyFile'],
  });

/** A validated consul source configuration, defaults applied (durations in milliseconds). */
export type ConsulSourceConfig = z.infer<typeof consulSourceSchema>;
