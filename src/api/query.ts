/**
 * Validation at the edge: zod schemas for query strings and headers, and the one function that
 * turns a failed parse into a TributaryError naming the field (`query.index: must be …`).
 */
import { z } from 'zod';
import { TributaryError } from '../errors.js';
import { parseSelector, type Selector } from './selector.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `10s`, `5m`, `1500ms`, `1m30s` (Go-style, as Consul accepts) or a plain number of seconds
 * into milliseconds; undefined when the text is none of these.
 */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (text === '') return undefined;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  while (part.lastIndex < text.length) {
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

const single = z.string({ error: 'must be given once' });

const nonNegativeInteger = single.transform((text, ctx) => {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    ctx.addIssue('must be a non-negative integer');
    return z.NEVER;
  }
  return value;
});

const duration = single.transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue('must be a duration like 10s, 5m or 1500ms, or a number of seconds');
    return z.NEVER;
  }
  return ms;
});

const selector = single.transform((text, ctx): Selector => {
  const parsed = parseSelector(text);
  if (!parsed.valid) {
    ctx.addIssue(parsed.errors.join('; '));
    return z.NEVER;
  }
  return parsed.value;
});

/** An optional text parameter; the empty string counts as absent. */
const optionalText = single.optional().transform((text) => (text === '' ? undefined : text));

const blocking = { index: nonNegativeInteger.optional(), wait: duration.optional() };

/** `?index=&wait=` of every blocking endpoint (wait in milliseconds). */
export const blockingQuerySchema = z.object(blocking);

/** `GET /v1/services`. */
export const servicesQuerySchema = z.object({
  ...blocking,
  namespace: optionalText,
  source: optionalText,
  selector: selector.optional(),
});

/** `GET /v1/watch`. */
export const watchQuerySchema = z.object({ since: nonNegativeInteger.optional(), namespace: optionalText });

/** The headers `GET /v1/watch` reads; an empty Last-Event-ID counts as absent, as in the SSE spec. */
export const watchHeadersSchema = z.object({
  'last-event-id': single
    .optional()
    .transform((text) => (text === '' ? undefined : text))
    .pipe(nonNegativeInteger.optional()),
});

/** Validated blocking parameters. */
export type BlockingQuery = z.output<typeof blockingQuerySchema>;

/** True when a parsed query string holds no parameter at all (`request.query` of a URL without `?`). */
function isEmptyQuery(input: unknown): boolean {
  if (input === undefined || input === null) return true;
  if (typeof input !== 'object') return false;
  for (const key in input) if (Object.hasOwn(input, key)) return false;
  return true;
}

const emptyQueries = new WeakMap<z.ZodType, unknown>();

/**
 * `parseInput` for query strings, without zod for the common request that has none: the result of
 * parsing `{}` is computed once per schema and shared (it is frozen, so no caller can alter it).
 */
export function parseQuery<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (!isEmptyQuery(input)) return parseInput(schema, input, 'query');
  let empty = emptyQueries.get(schema) as z.output<S> | undefined;
  if (empty === undefined) {
    empty = Object.freeze(parseInput(schema, {}, 'query')) as z.output<S>;
    emptyQueries.set(schema, empty);
  }
  return empty;
}

/**
 * Parses `input` (a query object or headers) with `schema`; on failure throws a
 * TRB_API_BAD_REQUEST whose field is `<prefix>.<path>` and whose message starts with it.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].join('.');
  throw new TributaryError('TRB_API_BAD_REQUEST', `${field}: ${issue?.message ?? 'is invalid'}`, { field });
}
