import { describe, expect, it } from '@jest/globals';
import { retryAfterSeconds, TokenBuckets } from '../../../src/auth/rate-limit.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with the wait until the next token', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, true]);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterMs: 500 });
    now = 250;
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterMs: 250 });
    now = 500;
    expect(buckets.take('a').allowed).toBe(true);
  });

  it('keeps one bucket per key and never refills past the burst', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, () => now);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('b').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    now = 60_000;
    expect([buckets.take('a').allowed, buckets.take('a').allowed]).toEqual([true, false]);
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect([retryAfterSeconds(1), retryAfterSeconds(1000), retryAfterSeconds(1001)]).toEqual([1, 1, 2]);
  });
});
