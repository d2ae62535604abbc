/** The adapters' retry delay: capped exponential backoff with jitter, randomness injected. */

/** Capped exponential backoff with ±25 % jitter: attempt 1 → ~base, 2 → ~2·base, … ≤ max. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(Math.min(maxMs, raw * (0.75 + random() * 0.5)));
}
