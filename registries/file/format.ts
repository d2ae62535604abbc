/**
 * The VM file format, as a zod schema of its shape only. Types and unknown keys are checked here;
 * the meaning of values (IP literals, port ranges, protocols, health, DNS labels) is checked by
 * src/model/validate.ts on the translated records, so those messages exist once.
 */
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());

const vmPortSchema = z.strictObject({
  number: z.number(),
  name: z.string().optional(),
  protocol: z.string().optional(),
});

const vmEndpointSchema = z.strictObject({
  address: z.string(),
  id: z.string().optional(),
  ports: z.record(z.string(), z.number()).optional(),
  health: z.string().optional(),
  weight: z.number().optional(),
  locality: z
    .strictObject({
      region: z.string().optional(),
      zone: z.string().optional(),
      subzone: z.string().optional(),
    })
    .optional(),
  labels: stringMap.optional(),
  cluster: z.string().optional(),
  network: z.string().optional(),
});

const vmServiceSchema = z.strictObject({
  namespace: z.string().optional(),
  name: z.string(),
  labels: stringMap.optional(),
  ports: z.array(vmPortSchema),
  endpoints: z.array(vmEndpointSchema).optional(),
});

/** A whole VM file: `{ services: [...] }`. */
export const vmFileSchema = z.strictObject({ services: z.array(vmServiceSchema) });

/** One VM file as parsed, before defaults. */
export type VmFile = z.infer<typeof vmFileSchema>;
/** One service of a VM file. */
export type VmService = VmFile['services'][number];
/** One VM (instance) of a service. */
export type VmEndpoint = NonNullable<VmService['endpoints']>[number];

/** A shape problem: where (path into the document), why, and whether it points at a key. */
export interface ShapeProblem {
  readonly path: readonly (string | number)[];
  readonly reason: string;
  /** True when the path ends in a key that should be pointed at rather than its value. */
  readonly atKey?: boolean;
}

const KIND_NAMES: Readonly<Record<string, string>> = {
  object: 'a map',
  record: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
};

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a map';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** Checks the shape of a parsed document; never throws. Problems are in document order of zod's walk. */
export function checkVmFileShape(data: unknown): { file: VmFile } | { problems: ShapeProblem[] } {
  const parsed = vmFileSchema.safeParse(data ?? {});
  if (parsed.success) return { file: parsed.data };
  const problems: ShapeProblem[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push({ path: [...path, key], reason: 'unknown field', atKey: true });
    } else if (issue.code === 'invalid_type') {
      const value = valueAt(data, path);
      const expected = KIND_NAMES[issue.expected] ?? issue.expected;
      const reason = value === undefined ? 'is required' : `must be ${expected}, got ${describeValue(value)}`;
      problems.push({ path, reason });
    } else {
      problems.push({ path, reason: issue.message });
    }
  }
  return { problems };
}
