/** The duration fields of source configs: `500ms`, `15s`, `5m`, `1h`, or a number of seconds. */
import { z } from 'zod';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** `3600000` → `1 h`, `600000` → `600 s`, `100` → `100 ms`. */
export function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** A duration field with a default, in milliseconds within [minMs, maxMs]. */
export const durationField = (fallback: string, minMs: number, maxMs: number) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const match = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
      const ms =
        typeof value === 'number'
          ? Math.round(value * 1000)
          : match
            ? Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!)
            : NaN;
      if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `"${value}" is not a duration from ${formatMs(minMs)} to ${formatMs(maxMs)} (like 500ms, 15s, 5m)`,
        });
        return z.NEVER;
      }
      return ms;
    });
