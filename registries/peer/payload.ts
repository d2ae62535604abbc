/**
 * The peer's catalog watch feed (`GET /v1/catalog/watch`, README "Federation"): the JSON of its
 * `snapshot`, `change` and `heartbeat` events as zod schemas. A record is the JSON of ServiceRecord
 * (src/model/service.ts); the pipeline validates it further (names, label keys, weights), so the
 * schemas check the shapes the translation reads and name the path of what is wrong.
 */
import { z } from 'zod';
import { HEALTH_STATES } from '../../src/model/endpoint.js';
import { PROTOCOLS } from '../../src/model/service.js';
import { fieldPath, type ValidationResult } from '../../src/model/validation.js';

const labels = z.record(z.string(), z.string());

const endpointSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  servicePort: z.number().int(),
  health: z.enum(HEALTH_STATES),
  weight: z.number().int(),
  locality: z.object({ region: z.string(), zone: z.string(), subzone: z.string() }),
  labels,
  instanceId: z.string(),
  cluster: z.string(),
  network: z.string(),
});

const recordSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  ports: z
    .array(z.object({ number: z.number().int(), name: z.string(), protocol: z.enum(PROTOCOLS) }))
    .readonly(),
  labels,
  endpoints: z.array(endpointSchema).readonly(),
});

/** One exported service as the peer sends it (unknown fields are stripped). */
export type PeerRecord = z.output<typeof recordSchema>;

const position = { epoch: z.string().min(1), revision: z.number().int().min(0) };

const snapshotSchema = z.object({ ...position, services: z.array(recordSchema).readonly() });
const changeSchema = z.object({
  ...position,
  upserts: z.array(recordSchema).readonly(),
  deletes: z.array(z.object({ namespace: z.string(), name: z.string() })).readonly(),
});
const heartbeatSchema = z.object(position);

/** One event of the feed, decoded. */
export type PeerEvent =
  | ({ readonly type: 'snapshot' } & z.output<typeof snapshotSchema>)
  | ({ readonly type: 'change' } & z.output<typeof changeSchema>)
  | ({ readonly type: 'heartbeat' } & z.output<typeof heartbeatSchema>);

const SCHEMAS = { snapshot: snapshotSchema, change: changeSchema, heartbeat: heartbeatSchema } as const;

/** The SSE event types of the feed; others are ignored (a newer peer may send more). */
export function isPeerEventType(type: string): type is keyof typeof SCHEMAS {
  return Object.hasOwn(SCHEMAS, type);
}

/** `services[0].endpoints[2].port: expected number, received string` for each issue. */
function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = fieldPath('', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
    return `${path === '' ? '(event)' : path}: ${issue.message}`;
  });
}

/** Decodes the `data` of one event of `type`; never throws. */
export function parsePeerEvent(type: keyof typeof SCHEMAS, data: string): ValidationResult<PeerEvent> {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    return { valid: false, errors: [`not JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const parsed = SCHEMAS[type].safeParse(json);
  if (!parsed.success) return { valid: false, errors: describeIssues(parsed.error) };
  return { valid: true, value: { ...parsed.data, type } as PeerEvent };
}
