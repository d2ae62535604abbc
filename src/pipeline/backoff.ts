/** Capped exponential backoff with full jitter (AWS "full jitter"): delay in [0, min(cap, base·2^n)]. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Injected for tests; defaults to Math.random. */
  readonly random?: () => number;
}

/** Delay before retry number `attempt` (1-based). Never below baseMs/2, so a flapping source cannot spin. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt - 1, 30));
  const floor = Math.min(ceiling, options.baseMs / 2);
  return Math.round(floor + (ceiling - floor) * (options.random ?? Math.random)());
}
