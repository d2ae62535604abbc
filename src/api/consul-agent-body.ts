/**
 * Consul agent API bodies (https://developer.hashicorp.com/consul/api-docs/agent/service) mapped onto
 * registrations. Keys are matched like Consul's decoder does: case-insensitively, snake_case too
 * (`deregister_critical_service_after`). Only TTL checks exist here: Tributary runs no checks, so a
 * registration with an HTTP, TCP, gRPC or script check is refused rather than silently trusted.
 */
import { z } from 'zod';
import { TributaryError } from '../errors.js';
import { EMPTY_LOCALITY } from '../model/endpoint.js';
import { REPORTED_STATUSES, type Registration } from '../model/registration.js';
import { PROTOCOLS, type Protocol } from '../model/service.js';
import type { RegistrationInput } from '../registration/service.js';
import {
  dnsLabel,
  durationField,
  ID_PATTERN,
  ipAddress,
  labelsSchema,
  MAX_GRACE_MS,
  MAX_TTL_MS,
  MIN_TTL_MS,
  portNumber,
  resolvePorts,
} from './registration-body.js';
import { parseInput } from './query.js';

/** How Consul registrations map onto namespaces. */
export interface ConsulMapping {
  /** Namespace of a registration that names none. */
  readonly defaultNamespace: string;
  /** Meta key whose value is the namespace (before `Namespace`, Consul Enterprise's field). */
  readonly namespaceMetaKey: string;
}

const SERVICE_KEYS = [
  'ID',
  'Name',
  'Tags',
  'Address',
  'Port',
  'Meta',
  'Weights',
  'Check',
  'Checks',
  'Namespace',
  'Kind',
];
const CHECK_KEYS = [
  'CheckID',
  'Name',
  'TTL',
  'DeregisterCriticalServiceAfter',
  'Status',
  'Notes',
  'HTTP',
  'TCP',
  'UDP',
  'GRPC',
  'H2PING',
  'Args',
  'Script',
  'AliasService',
  'AliasNode',
  'Interval',
  'OSService',
];
const WEIGHT_KEYS = ['Passing', 'Warning'];
/** Check kinds Tributary cannot run. */
const RUN_CHECK_KEYS = [
  'HTTP',
  'TCP',
  'UDP',
  'GRPC',
  'H2PING',
  'Args',
  'Script',
  'AliasService',
  'AliasNode',
  'OSService',
];

const fold = (key: string): string => key.replace(/_/g, '').toLowerCase();

/** Renames known keys to Consul's spelling, whatever their case or snake_case; others stay. */
function canonicalKeys(value: unknown, known: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const byFold = new Map(known.map((k) => [fold(k), k]));
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [byFold.get(fold(key)) ?? key, v]));
}

/** The body with every nested structure's keys in Consul's spelling. */
export function canonicalServiceBody(body: unknown): unknown {
  const service = canonicalKeys(body, SERVICE_KEYS) as Record<string, unknown> | unknown;
  if (service === null || typeof service !== 'object' || Array.isArray(service)) return service;
  const s = { ...(service as Record<string, unknown>) };
  if (s.Weights !== undefined) s.Weights = canonicalKeys(s.Weights, WEIGHT_KEYS);
  if (s.Check !== undefined) s.Check = canonicalKeys(s.Check, CHECK_KEYS);
  if (Array.isArray(s.Checks)) s.Checks = s.Checks.map((c) => canonicalKeys(c, CHECK_KEYS));
  return s;
}

const checkSchema = z.looseObject({
  CheckID: z.string().min(1).max(256).optional(),
  Name: z.string().optional(),
  TTL: durationField(MIN_TTL_MS, MAX_TTL_MS).optional(),
  DeregisterCriticalServiceAfter: durationField(0, MAX_GRACE_MS).optional(),
  Status: z.enum(REPORTED_STATUSES).optional(),
  Notes: z.string().optional(),
});

/** `PUT /v1/agent/service/register`. Unknown fields (EnableTagOverride, TaggedAddresses, …) are ignored. */
export const consulServiceSchema = z.looseObject({
  ID: z.string().regex(ID_PATTERN, 'must be 1-128 letters, digits, "-", "_", "." or ":"').optional(),
  Name: dnsLabel,
  Tags: z.array(z.string().max(256)).max(64).nullish(),
  Address: z.union([ipAddress, z.literal('')]).optional(),
  Port: portNumber,
  Meta: labelsSchema.nullish(),
  Weights: z
    .looseObject({
      Passing: z.number().int().min(1).max(1_000_000).optional(),
      Warning: z.number().int().min(0).max(1_000_000).optional(),
    })
    .nullish(),
  Check: checkSchema.nullish(),
  Checks: z.array(checkSchema).nullish(),
  Namespace: z.string().optional(),
  Kind: z.string().optional(),
});

type ConsulCheck = z.output<typeof checkSchema>;
type ConsulService = z.output<typeof consulServiceSchema>;

/** `PUT /v1/agent/check/update/{check_id}`. */
export const consulCheckUpdateSchema = z
  .looseObject({ Status: z.enum(REPORTED_STATUSES).optional(), Output: z.string().max(1024).optional() })
  .optional();

function bad(field: string, message: string): TributaryError {
  return new TributaryError('TRB_API_BAD_REQUEST', `${field}: ${message}`, { field });
}

/** The one TTL check of a registration, if any; checks Tributary cannot run are refused. */
function ttlCheckOf(service: ConsulService): { check: ConsulCheck; field: string } | undefined {
  const checks: { check: ConsulCheck; field: string }[] = [];
  if (service.Check) checks.push({ check: service.Check, field: 'body.Check' });
  (service.Checks ?? []).forEach((check, i) => checks.push({ check, field: `body.Checks[${i}]` }));
  if (checks.length > 1) throw bad('body.Checks', 'only one (TTL) check per service is supported');
  const only = checks[0];
  if (only === undefined) return undefined;
  const runs = RUN_CHECK_KEYS.find((key) => (only.check as Record<string, unknown>)[key] !== undefined);
  if (runs !== undefined) {
    throw bad(`${only.field}.${runs}`, 'Tributary runs no checks: only TTL checks are supported');
  }
  if (only.check.TTL === undefined) throw bad(`${only.field}.TTL`, 'a TTL check needs a TTL');
  return only;
}

/** The protocol a `protocol` meta value names, else tcp. */
function protocolOf(meta: Readonly<Record<string, string>>): Protocol {
  const value = meta.protocol;
  return value !== undefined && (PROTOCOLS as readonly string[]).includes(value)
    ? (value as Protocol)
    : 'tcp';
}

/** Maps a validated Consul registration onto the service's input. `remoteAddress` stands in for an empty Address. */
export function consulToRegistrationInput(
  raw: unknown,
  mapping: ConsulMapping,
  remoteAddress: string,
): RegistrationInput {
  const service = parseInput(consulServiceSchema, canonicalServiceBody(raw), 'body');
  if (service.Kind !== undefined && service.Kind !== '') {
    throw bad('body.Kind', `"${service.Kind}" services are not supported (only typical services)`);
  }
  const meta = service.Meta ?? {};
  const metaNamespace = meta[mapping.namespaceMetaKey];
  const namespace = metaNamespace ?? (service.Namespace || mapping.defaultNamespace);
  const namespaceField =
    metaNamespace !== undefined ? `body.Meta.${mapping.namespaceMetaKey}` : 'body.Namespace';
  const namespaceCheck = dnsLabel.safeParse(namespace);
  if (!namespaceCheck.success)
    throw bad(namespaceField, namespaceCheck.error.issues[0]?.message ?? 'is invalid');
  const id = service.ID ?? service.Name;
  const address = service.Address || remoteAddress;
  if (!ipAddress.safeParse(address).success)
    throw bad('body.Address', `"${address}" is not an IPv4 or IPv6 address`);
  const ttl = ttlCheckOf(service);
  const weights = service.Weights ?? {};
  return {
    id,
    namespace,
    service: service.Name,
    address,
    ports: resolvePorts([{ number: service.Port, protocol: protocolOf(meta) }], 'body.Port'),
    labels: meta,
    tags: service.Tags ?? [],
    locality: EMPTY_LOCALITY,
    weight: weights.Passing ?? 1,
    warningWeight: Math.max(1, weights.Warning ?? 1),
    ttlMs: ttl === undefined ? null : ttl.check.TTL,
    graceMs: ttl?.check.DeregisterCriticalServiceAfter,
    // Consul starts a TTL check critical until its first pass; a service without checks is passing.
    status: ttl === undefined ? 'passing' : (ttl.check.Status ?? 'critical'),
    note: '',
    api: 'consul',
    checkId: ttl?.check.CheckID ?? `service:${id}`,
  };
}

/** One entry of `GET /v1/agent/services`, with Consul's field names. */
export interface ConsulAgentService {
  readonly ID: string;
  readonly Service: string;
  readonly Tags: readonly string[];
  readonly Meta: Readonly<Record<string, string>>;
  readonly Port: number;
  readonly Address: string;
  readonly Weights: { readonly Passing: number; readonly Warning: number };
  readonly EnableTagOverride: boolean;
  readonly Namespace: string;
  readonly Datacenter: string;
}

/** A registration as Consul's agent lists it (the first port is Consul's one Port). */
export function toConsulAgentService(registration: Registration): ConsulAgentService {
  return {
    ID: registration.id,
    Service: registration.service,
    Tags: registration.tags,
    Meta: registration.labels,
    Port: registration.ports[0]?.number ?? 0,
    Address: registration.address,
    Weights: { Passing: registration.weight, Warning: registration.warningWeight },
    EnableTagOverride: false,
    Namespace: registration.namespace,
    Datacenter: 'tributary',
  };
}
