import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { problemOf } from '../../../src/api/problem.js';
import { TributaryError } from '../../../src/errors.js';
import { getJson, startHarness, type Harness } from './harness.js';

describe('problemOf', () => {
  it('keeps a TributaryError code, status, message and field', () => {
    const error = new TributaryError('TRB_API_BAD_REQUEST', 'query.wait: bad', { field: 'query.wait' });
    expect(problemOf(error)).toEqual({
      status: 400,
      body: { error: { code: 'TRB_API_BAD_REQUEST', message: 'query.wait: bad', field: 'query.wait' } },
    });
  });

  it('leaves out field when no field is to blame', () => {
    expect(problemOf(new TributaryError('TRB_API_GONE', 'too old')).body).toEqual({
      error: { code: 'TRB_API_GONE', message: 'too old' },
    });
  });

  it('reports fastify client errors as bad requests with their status', () => {
    const error = Object.assign(new Error('Unsupported Media Type'), {
      statusCode: 415,
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
    expect(problemOf(error)).toEqual({
      status: 415,
      body: { error: { code: 'TRB_API_BAD_REQUEST', message: 'Unsupported Media Type' } },
    });
  });

  it('hides the details of anything else behind a TRB_INTERNAL 500', () => {
    expect(problemOf(new Error('secret path /etc/x'))).toEqual({
      status: 500,
      body: { error: { code: 'TRB_INTERNAL', message: 'internal error; see the server log' } },
    });
    expect(problemOf(Object.assign(new Error('x'), { statusCode: 503 })).status).toBe(500);
  });
});

describe('error responses from fastify itself', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(async () => {
    await harness.close();
  });

  it('answers a malformed URL with the problem shape', async () => {
    const { response, body } = await getJson(harness, '/v1/services/%zz/x');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(body).toEqual({
      error: { code: 'TRB_API_BAD_REQUEST', message: "'/v1/services/%zz/x' is not a valid url component" },
    });
  });

  it('answers an unparsable body with the problem shape', async () => {
    const { response, body } = await getJson(harness, '/v1/services', {
      method: 'POST',
      body: '{bad',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'TRB_API_BAD_REQUEST' } });
  });
});
