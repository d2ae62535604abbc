import { describe, expect, it } from '@jest/globals';
import {
  ApiClientError,
  createApiClient,
  watchBlocking,
  type ApiClient,
  type ApiResponse,
  type QueryParams,
} from '../../../src/cli/api-client.js';

/** A client answering from a script of indexes (or errors); records every query. */
function scriptedClient(script: (number | Error)[], onCall: (call: number) => void = () => undefined) {
  const queries: QueryParams[] = [];
  const client: ApiClient = {
    baseUrl: 'http://test',
    async get<T>(_path: string, query: QueryParams = {}): Promise<ApiResponse<T>> {
      queries.push(query);
      onCall(queries.length);
      const step = script.shift();
      if (step === undefined) throw new Error('script exhausted');
      if (step instanceof Error) throw step;
      return { body: { at: step } as T, index: step, epoch: 'e' };
    },
    async send() {
      throw new Error('not scripted');
    },
  };
  return { client, queries };
}

async function collect(generator: AsyncGenerator<ApiResponse<{ at: number }>>): Promise<number[]> {
  const seen: number[] = [];
  for await (const response of generator) seen.push(response.body.at);
  return seen;
}

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}): typeof fetch {
  return async () => new Response(body, { status, headers });
}

describe('createApiClient', () => {
  it('decodes JSON and the index headers, and drops undefined query values', async () => {
    let url = '';
    const client = createApiClient('http://h:1/base/', async (input) => {
      url = String(input);
      return new Response('{"a":1}', { headers: { 'x-tributary-index': '7', 'x-tributary-epoch': 'e1' } });
    });
    expect(await client.get('/v1/services', { namespace: 'shop', selector: undefined, index: 3 })).toEqual({
      body: { a: 1 },
      index: 7,
      epoch: 'e1',
    });
    expect(url).toBe('http://h:1/base/v1/services?namespace=shop&index=3');
  });

  it("surfaces the server's error JSON", async () => {
    const body = '{"error":{"code":"TRB_API_BAD_REQUEST","message":"query.wait: bad","field":"query.wait"}}';
    const error = await createApiClient('http://h', fakeFetch(400, body))
      .get('/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiClientError);
    expect(error).toMatchObject({
      message: 'query.wait: bad (TRB_API_BAD_REQUEST, HTTP 400)',
      status: 400,
      code: 'TRB_API_BAD_REQUEST',
      field: 'query.wait',
    });
  });

  it('reports a non-JSON error page with its status and an excerpt', async () => {
    await expect(
      createApiClient('http://h', fakeFetch(502, '<html>Bad gateway</html>')).get('/x'),
    ).rejects.toThrow('GET http://h/x answered HTTP 502: <html>Bad gateway</html>');
  });

  it('reports a success that is not JSON', async () => {
    await expect(createApiClient('http://h', fakeFetch(200, 'nope')).get('/x')).rejects.toThrow(
      'GET http://h/x answered with a body that is not JSON',
    );
  });

  it.each(['localhost:8080', 'not a url', 'ftp://h'])('rejects the base URL %j', (url) => {
    expect(() => createApiClient(url)).toThrow(`--api: "${url}" is not an http(s) URL`);
  });
});

describe('watchBlocking', () => {
  const fast = { minIntervalMs: 0, retryMs: 1 };

  it('yields the first answer and each later answer with a new index, sending index and wait', async () => {
    const controller = new AbortController();
    const { client, queries } = scriptedClient([5, 5, 6, 6, 8, 2], (call) => {
      if (call === 6) controller.abort();
    });
    const seen = await collect(
      watchBlocking(client, '/v1/x', { namespace: 'a' }, { ...fast, signal: controller.signal, wait: '1m' }),
    );
    expect(seen).toEqual([5, 6, 8, 2]);
    expect(queries[0]).toEqual({ namespace: 'a' });
    expect(queries[1]).toEqual({ namespace: 'a', index: 5, wait: '1m' });
    expect(queries[5]).toEqual({ namespace: 'a', index: 8, wait: '1m' });
  });

  it('continues from a lower index after the server database was replaced', async () => {
    const controller = new AbortController();
    const { client, queries } = scriptedClient([9, 2, 3], (call) => {
      if (call === 3) controller.abort();
    });
    expect(await collect(watchBlocking(client, '/v1/x', {}, { ...fast, signal: controller.signal }))).toEqual(
      [9, 2, 3],
    );
    expect(queries[2]).toMatchObject({ index: 2 });
  });

  it('retries failures and gives up after maxErrors in a row', async () => {
    const { client, queries } = scriptedClient([
      1,
      new Error('a'),
      new Error('b'),
      2,
      new Error('c'),
      new Error('d'),
      new Error('e'),
    ]);
    const seen: number[] = [];
    const run = async () => {
      for await (const response of watchBlocking<{ at: number }>(
        client,
        '/v1/x',
        {},
        {
          ...fast,
          signal: new AbortController().signal,
          maxErrors: 3,
        },
      )) {
        seen.push(response.body.at);
      }
    };
    await expect(run()).rejects.toThrow('e');
    expect(seen).toEqual([1, 2]);
    expect(queries).toHaveLength(7);
  });

  it('returns at once when already aborted', async () => {
    const { client, queries } = scriptedClient([1]);
    expect(await collect(watchBlocking(client, '/v1/x', {}, { signal: AbortSignal.abort() }))).toEqual([]);
    expect(queries).toHaveLength(0);
  });
});
