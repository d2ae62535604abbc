/**
 * Consul's HTTP API payloads as zod schemas of the fields the adapter reads (unknown fields pass
 * through). Shapes: https://developer.hashicorp.com/consul/api-docs/health#list-service-instances-for-service
 * and ../shared/fixtures/consul/.
 */
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string()).nullish();

/** A service tagged address is `{Address, Port}` (the docs' samples spell them `address`, `port`). */
const serviceTaggedAddress = z
  .looseObject({
    Address: z.string().optional(),
    Port: z.number().optional(),
    address: z.string().optional(),
    port: z.number().optional(),
  })
  .transform((a) => ({ address: a.Address ?? a.address ?? '', port: a.Port ?? a.port ?? 0 }));

const nodeSchema = z.looseObject({
  ID: z.string().optional(),
  Node: z.string(),
  Address: z.string(),
  Datacenter: z.string().optional(),
  TaggedAddresses: stringMap,
  Meta: stringMap,
});

const serviceSchema = z.looseObject({
  ID: z.string(),
  Service: z.string(),
  Tags: z.array(z.string()).nullish(),
  Address: z.string().nullish(),
  Port: z.number().int(),
  TaggedAddresses: z.record(z.string(), serviceTaggedAddress).nullish(),
  Meta: stringMap,
  Weights: z.looseObject({ Passing: z.number().optional(), Warning: z.number().optional() }).nullish(),
  Kind: z.string().nullish(),
  Namespace: z.string().nullish(),
});

const checkSchema = z.looseObject({
  CheckID: z.string(),
  Status: z.string(),
  ServiceID: z.string().nullish(),
  Name: z.string().optional(),
  Output: z.string().optional(),
});

/** One entry of `GET /v1/health/service/{name}`: a service instance, its node and their checks. */
export const healthEntrySchema = z.looseObject({
  Node: nodeSchema,
  Service: serviceSchema,
  Checks: z.array(checkSchema).nullish(),
});

export type HealthEntry = z.output<typeof healthEntrySchema>;
export type HealthCheck = z.output<typeof checkSchema>;

/** `GET /v1/catalog/services`: service name → tags of its instances. */
export const catalogServicesSchema = z.record(z.string(), z.array(z.string()).nullable());

export type CatalogServices = z.output<typeof catalogServicesSchema>;

/**
 * Parses a health reply entry by entry: a malformed entry is reported with its path and left out,
 * the others are kept. A reply that is not a list is one error.
 */
export function parseHealthEntries(body: unknown): { entries: HealthEntry[]; errors: string[] } {
  if (!Array.isArray(body)) return { entries: [], errors: ['the reply is not a list of health entries'] };
  const entries: HealthEntry[] = [];
  const errors: string[] = [];
  body.forEach((raw, i) => {
    const parsed = healthEntrySchema.safeParse(raw);
    if (parsed.success) {
      entries.push(parsed.data);
      return;
    }
    const issue = parsed.error.issues[0];
    const path = ['', ...(issue?.path ?? [])]
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[');
    errors.push(`[${i}]${path}: ${issue?.message ?? 'invalid'}`);
  });
  return { entries, errors };
}
