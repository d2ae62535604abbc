/**
 * The Kubernetes objects the adapter reads, as zod schemas of the fields it uses (unknown fields pass
 * through): discovery.k8s.io/v1 EndpointSlice, v1 Service and v1 Node. Shapes: REGISTRIES.md
 * "Kubernetes" and ../shared/fixtures/kubernetes/.
 */
import { z } from 'zod';

const labels = z.record(z.string(), z.string()).nullish();

const metadataSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().nullish(),
  resourceVersion: z.string().nullish(),
  labels,
});

const conditionsSchema = z.looseObject({
  ready: z.boolean().nullish(),
  serving: z.boolean().nullish(),
  terminating: z.boolean().nullish(),
});

const sliceEndpointSchema = z.looseObject({
  addresses: z.array(z.string()),
  conditions: conditionsSchema.nullish(),
  hostname: z.string().nullish(),
  nodeName: z.string().nullish(),
  zone: z.string().nullish(),
});

const slicePortSchema = z.looseObject({
  name: z.string().nullish(),
  port: z.number().int().nullish(),
  protocol: z.string().nullish(),
  appProtocol: z.string().nullish(),
});

/** A discovery.k8s.io/v1 EndpointSlice. */
export const endpointSliceSchema = z.looseObject({
  metadata: metadataSchema,
  addressType: z.string(),
  endpoints: z.array(sliceEndpointSchema).nullish(),
  ports: z.array(slicePortSchema).nullish(),
});

const servicePortSchema = z.looseObject({
  name: z.string().nullish(),
  port: z.number().int(),
  targetPort: z.union([z.number().int(), z.string()]).nullish(),
  protocol: z.string().nullish(),
  appProtocol: z.string().nullish(),
});

/** A v1 Service. */
export const serviceSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      type: z.string().nullish(),
      clusterIP: z.string().nullish(),
      externalName: z.string().nullish(),
      ports: z.array(servicePortSchema).nullish(),
    })
    .nullish(),
});

/** A v1 Node (only its labels matter). */
export const nodeSchema = z.looseObject({ metadata: metadataSchema });

export type EndpointSlice = z.output<typeof endpointSliceSchema>;
export type SliceEndpoint = z.output<typeof sliceEndpointSchema>;
export type SlicePort = z.output<typeof slicePortSchema>;
export type Service = z.output<typeof serviceSchema>;
export type ServicePortSpec = z.output<typeof servicePortSchema>;
export type Node = z.output<typeof nodeSchema>;

/** `metadata.resourceVersion` of any object (BOOKMARKs carry only that), or undefined. */
export function resourceVersionOf(object: unknown): string | undefined {
  const parsed = z
    .looseObject({ metadata: z.looseObject({ resourceVersion: z.string().nullish() }) })
    .safeParse(object);
  return parsed.success ? (parsed.data.metadata.resourceVersion ?? undefined) : undefined;
}

/** A watch ERROR event's `Status`: its HTTP-like code and message. */
export function statusOf(object: unknown): { code: number; message: string } {
  const parsed = z
    .looseObject({
      code: z.number().optional(),
      message: z.string().optional(),
      reason: z.string().optional(),
    })
    .safeParse(object);
  if (!parsed.success) return { code: 0, message: 'malformed Status' };
  return { code: parsed.data.code ?? 0, message: parsed.data.message ?? parsed.data.reason ?? '' };
}

/** The first problem of a failed parse as `path: message`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${path || '.'}: ${issue?.message ?? 'invalid'}`;
}
