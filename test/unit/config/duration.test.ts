import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['1500ms', 1_500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['0.5s', 500],
    ['1.5m', 90_000],
    ['0ms', 0],
    [' 20ms ', 20],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads a bare number, as text or number, as seconds', () => {
    expect(parseDuration('3')).toBe(3_000);
    expect(parseDuration(3)).toBe(3_000);
    expect(parseDuration(0.25)).toBe(250);
  });

  it.each(['', 'soon', '10 s', '-1s', '5d', '10S', 'ms', '1e3ms', '1.s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});
