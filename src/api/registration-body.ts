/**
 * Validation of registration bodies at the edge (zod): the native API's register and heartbeat
 * bodies, turned into the registration service's input. Every failure names its field
 * (`body.ports[0].number: …`) through parseInput.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { TributaryError } from '../errors.js';
import { EMPTY_LOCALITY } from '../model/endpoint.js';
import { REPORTED_STATUSES, type RegistrationPort } from '../model/registration.js';
import { PROTOCOLS } from '../model/service.js';
import { isLabelKey, MAX_LABEL_VALUE, MAX_WEIGHT } from '../model/validate.js';
import type { HeartbeatInput, RegistrationInput } from '../registration/service.js';
import { parseDuration } from './query.js';

/** Largest body of a registration request (bytes). */
export const REGISTRATION_BODY_LIMIT = 64 * 1024;
/** Most ports one registration may list. */
export const MAX_PORTS = 32;
/** Most labels one registration may carry. */
export const MAX_LABELS = 64;
/** Longest note a heartbeat may carry. */
export const MAX_NOTE = 1024;
/** Shortest and longest TTL accepted. */
export const MIN_TTL_MS = 100;
export const MAX_TTL_MS = 24 * 3_600_000;
/** Longest grace accepted. */
export const MAX_GRACE_MS = 7 * 24 * 3_600_000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Registration ids: Consul-style service ids. */
export const ID_PATTERN = /^[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}$/;

export const dnsLabel = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, "must be lowercase letters, digits and '-', starting and ending with a letter or digit");

export const ipAddress = z.string().refine((text) => isIP(text) !== 0, 'must be an IPv4 or IPv6 address');

export const portNumber = z
  .number({ error: 'must be a port number (1-65535)' })
  .int('must be a port number (1-65535)')
  .min(1, 'must be a port number (1-65535)')
  .max(65535, 'must be a port number (1-65535)');

export const weight = z.number().int().min(1).max(MAX_WEIGHT);

/** A label map: at most MAX_LABELS keys like Kubernetes label keys, string values. */
export const labelsSchema = z
  .record(z.string(), z.string().max(MAX_LABEL_VALUE))
  .superRefine((labels, ctx) => {
    const keys = Object.keys(labels);
    if (keys.length > MAX_LABELS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_LABELS} labels` });
    for (const key of keys) {
      if (!isLabelKey(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is not a valid label key' });
      }
    }
  });

/** A duration (`15s`, `1m30s`, `500ms`, or a number of seconds) within [min, max], in milliseconds. */
export function durationField(minMs: number, maxMs: number) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? Math.round(value * 1000) : parseDuration(value);
    if (ms === undefined || !Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration like 15s, 1m or 500ms' });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be between ${minMs} ms and ${maxMs} ms` });
      return z.NEVER;
    }
    return ms;
  });
}

const portSchema = z.strictObject({
  name: dnsLabel.optional(),
  number: portNumber,
  servicePort: portNumber.optional(),
  protocol: z.enum(PROTOCOLS).default('tcp'),
});

const localitySchema = z.strictObject({
  region: z.string().max(128).default(''),
  zone: z.string().max(128).default(''),
  subzone: z.string().max(128).default(''),
});

/** `PUT /v1/registrations/{id}`. Give `port` (one tcp port) or `ports`. */
export const registrationBodySchema = z
  .strictObject({
    service: dnsLabel,
    namespace: dnsLabel.default('default'),
    address: ipAddress,
    port: portNumber.optional(),
    ports: z.array(portSchema).min(1).max(MAX_PORTS).optional(),
    labels: labelsSchema.default({}),
    locality: localitySchema.optional(),
    weight: weight.default(1),
    ttl: durationField(MIN_TTL_MS, MAX_TTL_MS).optional(),
    grace: durationField(0, MAX_GRACE_MS).optional(),
    status: z.enum(REPORTED_STATUSES).default('passing'),
    note: z.string().max(MAX_NOTE).default(''),
  })
  .superRefine((body, ctx) => {
    if ((body.port === undefined) === (body.ports === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'give either port or ports (not both)' });
    }
  });

/** `PUT /v1/registrations/{id}/heartbeat` (the body is optional). */
export const heartbeatBodySchema = z
  .strictObject({
    status: z.enum(REPORTED_STATUSES).optional(),
    note: z.string().max(MAX_NOTE).optional(),
  })
  .optional();

/** Path parameter `{id}`. */
export const idParamsSchema = z.object({
  id: z
    .string()
    .regex(
      ID_PATTERN,
      'must be 1-128 letters, digits, "-", "_", "." or ":", starting with a letter or digit',
    ),
});

/** Ports with names and service ports filled in; a repeated name or service port is a 400. */
export function resolvePorts(
  ports: readonly {
    name?: string | undefined;
    number: number;
    servicePort?: number | undefined;
    protocol: RegistrationPort['protocol'];
  }[],
  field: string,
): RegistrationPort[] {
  const resolved = ports.map((p) => {
    const servicePort = p.servicePort ?? p.number;
    return { name: p.name ?? `port-${servicePort}`, number: p.number, servicePort, protocol: p.protocol };
  });
  const names = new Set<string>();
  const numbers = new Set<number>();
  resolved.forEach((port, i) => {
    if (names.has(port.name) || numbers.has(port.servicePort)) {
      throw new TributaryError(
        'TRB_API_BAD_REQUEST',
        `${field}[${i}]: port "${port.name}" (${port.servicePort}) is listed twice`,
        {
          field: `${field}[${i}]`,
        },
      );
    }
    names.add(port.name);
    numbers.add(port.servicePort);
  });
  return resolved;
}

/** The service input of a validated native body. */
export function toRegistrationInput(
  id: string,
  body: z.output<typeof registrationBodySchema>,
): RegistrationInput {
  const ports =
    body.ports !== undefined
      ? resolvePorts(body.ports, 'body.ports')
      : resolvePorts([{ number: body.port!, protocol: 'tcp' }], 'body.port');
  return {
    id,
    namespace: body.namespace,
    service: body.service,
    address: body.address,
    ports,
    labels: body.labels,
    tags: [],
    locality: body.locality ?? EMPTY_LOCALITY,
    weight: body.weight,
    warningWeight: body.weight,
    ttlMs: body.ttl,
    graceMs: body.grace,
    status: body.status,
    note: body.note,
    api: 'native',
    checkId: `service:${id}`,
  };
}

/** The heartbeat input of a validated body. */
export function toHeartbeatInput(body: z.output<typeof heartbeatBodySchema>): HeartbeatInput {
  return { status: body?.status, note: body?.note };
}
