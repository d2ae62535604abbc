/**
 * Per-key token buckets (one per API token): `burst` requests at once, refilled at `perSecond`.
 * Pure apart from the injected clock; memory is one entry per key (keys are configured token names).
 */

/** Bucket parameters. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** The outcome of one request: allowed, or refused with the wait until a token is available. */
export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token buckets keyed by token name. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token from `key`'s bucket, or says how long until one is available. */
  take(key: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, updatedAt: now };
    const refill = (Math.max(0, now - bucket.updatedAt) / 1000) * this.limit.perSecond;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + refill);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / this.limit.perSecond) * 1000) };
  }
}

/** `Retry-After` in whole seconds (at least 1), as RFC 9110 §10.2.3 wants it. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
