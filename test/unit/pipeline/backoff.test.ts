import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from '../../../src/pipeline/backoff.js';

const options = { baseMs: 100, maxMs: 1_000 };
const low = { ...options, random: () => 0 };
const high = { ...options, random: () => 1 };

describe('backoffDelay', () => {
  it('waits between half the base and the base on the first retry', () => {
    expect(backoffDelay(1, low)).toBe(50);
    expect(backoffDelay(1, high)).toBe(100);
  });

  it('doubles the ceiling with each attempt', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, high))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffDelay(5, high)).toBe(1_000);
    expect(backoffDelay(60, high)).toBe(1_000);
    expect(backoffDelay(1_000, high)).toBe(1_000);
  });

  it('never goes below half the base, so a flapping source cannot spin', () => {
    expect([1, 2, 10, 100].map((n) => backoffDelay(n, low))).toEqual([50, 50, 50, 50]);
  });

  it('respects a cap below half the base', () => {
    expect(backoffDelay(1, { baseMs: 100, maxMs: 10, random: () => 0 })).toBe(10);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10, random: () => 1 })).toBe(10);
  });

  it('stays within the bounds with the default random source', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(50);
      expect(delay).toBeLessThanOrEqual(Math.min(1_000, 100 * 2 ** (attempt - 1)));
    }
  });
});
