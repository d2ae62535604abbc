import { describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import { holdDurationMs } from '../../../src/api/blocking.js';
import {
  blockingQuerySchema,
  parseDuration,
  parseInput,
  parseQuery,
  servicesQuerySchema,
  watchHeadersSchema,
} from '../../../src/api/query.js';
import { TributaryError } from '../../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['5m', 300_000],
    ['1500ms', 1500],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['30', 30_000],
    ['0', 0],
    ['0.25', 250],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '10x', '-5s', '5 m', '1e3', 'ms10', '10s '])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('holdDurationMs', () => {
  const limits = { maxWaitMs: 600_000, defaultWaitMs: 300_000 };

  it('uses the default wait and caps at the maximum', () => {
    expect(holdDurationMs(undefined, { ...limits, random: () => 0 })).toBe(300_000);
    expect(holdDurationMs(3_600_000, { ...limits, random: () => 0 })).toBe(600_000);
  });

  it('adds at most wait/16 of jitter', () => {
    expect(holdDurationMs(16_000, { ...limits, random: () => 0.999999 })).toBe(16_999);
  });
});

describe('parseInput', () => {
  function failure(
    input: unknown,
    schema: z.ZodType = servicesQuerySchema,
    prefix = 'query',
  ): TributaryError {
    try {
      parseInput(schema, input, prefix);
    } catch (error) {
      if (error instanceof TributaryError) return error;
    }
    throw new Error('expected a TributaryError');
  }

  it('returns typed values and drops unknown parameters', () => {
    expect(
      parseInput(servicesQuerySchema, { index: '12', wait: '2s', namespace: 'x', other: 'y' }, 'query'),
    ).toEqual({
      index: 12,
      wait: 2000,
      namespace: 'x',
    });
  });

  it.each([
    [{ index: '-1' }, 'query.index', 'query.index: must be a non-negative integer'],
    [{ index: '1.5' }, 'query.index', 'query.index: must be a non-negative integer'],
    [{ index: '99999999999999999999' }, 'query.index', 'query.index: must be a non-negative integer'],
    [
      { wait: 'soon' },
      'query.wait',
      'query.wait: must be a duration like 10s, 5m or 1500ms, or a number of seconds',
    ],
    [
      { selector: 'a in' },
      'query.selector',
      'query.selector: expected "(" to open the value list, found the end of the selector',
    ],
  ])('rejects %j naming %s', (input, field, message) => {
    const error = failure(input);
    expect(error.code).toBe('TRB_API_BAD_REQUEST');
    expect(error.httpStatus).toBe(400);
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });

  it('names headers with their own prefix', () => {
    const error = failure({ 'last-event-id': 'abc' }, watchHeadersSchema, 'header');
    expect(error.field).toBe('header.last-event-id');
  });
});

describe('parseQuery', () => {
  it('answers an empty query as zod parses {}, once per schema', () => {
    const empty = parseQuery(servicesQuerySchema, Object.create(null));
    expect(empty).toEqual(parseInput(servicesQuerySchema, {}, 'query'));
    expect(parseQuery(servicesQuerySchema, {})).toBe(empty);
    expect(parseQuery(servicesQuerySchema, undefined)).toBe(empty);
    expect(Object.isFrozen(empty)).toBe(true);
    expect(parseQuery(blockingQuerySchema, {})).toEqual({});
  });

  it('validates any parameter with the schema', () => {
    expect(parseQuery(blockingQuerySchema, { index: '7', wait: '1s' })).toEqual({ index: 7, wait: 1000 });
    expect(() => parseQuery(blockingQuerySchema, { index: 'abc' })).toThrow(
      'query.index: must be a non-negative integer',
    );
    expect(parseQuery(blockingQuerySchema, { other: 'x' })).toEqual({});
  });
});
