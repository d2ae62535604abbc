/** The informer loop on a scripted API (no network): retries, backoff, 410 and resumption. */
import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import type { KubernetesReads, ListPage, WatchRequest } from '../../../../registries/kubernetes/client.js';
import { backoffDelay, Informer, type Clock } from '../../../../registries/kubernetes/informer.js';

const TIMING = {
  pageSize: 2,
  listTimeoutMs: 5000,
  watchTimeoutMs: 60_000,
  minIntervalMs: 0,
  retryBaseMs: 100,
  retryMaxMs: 1000,
};

/** A clock whose sleeps are recorded and return at once; `stopAfter` sleeps abort the run. */
function recordingClock(controller: AbortController, stopAfter: number): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => 0,
    sleep: (ms) => {
      sleeps.push(ms);
      if (sleeps.length >= stopAfter) controller.abort();
      return Promise.resolve();
    },
  };
}

type Step = { list: ListPage | Error } | { watch: { events: [string, unknown][]; end: unknown } };

/** KubernetesReads that plays `steps` in order (lists and watches each take the next of their kind). */
function scripted(steps: Step[]): KubernetesReads & { watched: WatchRequest[]; listed: number } {
  const lists = steps.flatMap((s) => ('list' in s ? [s.list] : []));
  const watches = steps.flatMap((s) => ('watch' in s ? [s.watch] : []));
  const reads = {
    watched: [] as WatchRequest[],
    listed: 0,
    list: () => {
      const next = lists[reads.listed++] ?? new Error('no more lists');
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    watch: (
      _kind: unknown,
      _ns: unknown,
      request: WatchRequest,
      onEvent: (type: string, object: unknown) => void,
      onDone: (error: unknown) => void,
    ) => {
      const step = watches[reads.watched.length] ?? { events: [], end: new Error('no more watches') };
      reads.watched.push(request);
      setImmediate(() => {
        for (const [type, object] of step.events) onEvent(type, object);
        onDone(step.end);
      });
      return Promise.resolve(() => undefined);
    },
  };
  return reads;
}

const page = (rv: string, ...names: string[]): ListPage => ({
  items: names.map((name) => ({ metadata: { name, resourceVersion: rv } })),
  resourceVersion: rv,
  continueToken: undefined,
});
const object = (name: string, rv: string) => ({ metadata: { name, namespace: 'shop', resourceVersion: rv } });

describe('kubernetes informer', () => {
  it('backs off exponentially with ±25 % jitter, capped', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, 100, 1000, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay(1, 100, 1000, () => 0)).toBe(75);
    expect(backoffDelay(1, 100, 1000, () => 1)).toBe(125);
    expect(backoffDelay(30, 100, 1000, () => 1)).toBe(1000);
  });

  it('retries a failing list with growing delays, reporting each failure', async () => {
    const controller = new AbortController();
    const clock = recordingClock(controller, 4);
    const failures: unknown[] = [];
    const reads = scripted([{ list: new Error('connect ECONNREFUSED') }]);
    const informer = new Informer(
      reads,
      'service',
      undefined,
      undefined,
      TIMING,
      {
        replace: () => undefined,
        upsert: () => undefined,
        remove: () => undefined,
        healthy: () => undefined,
        failed: (e) => failures.push(e),
      },
      clock,
      () => 0.5,
    );
    await informer.run(controller.signal);
    expect(clock.sleeps).toEqual([100, 200, 400, 800]);
    expect(failures).toHaveLength(4);
  });

  it('resumes from the last resourceVersion (events and bookmarks), relists after an ERROR 410 or HTTP 410', async () => {
    const controller = new AbortController();
    const clock = recordingClock(controller, 2);
    const seen: string[] = [];
    const reads = scripted([
      { list: page('10', 'a') },
      {
        watch: {
          events: [
            ['ADDED', object('b', '11')],
            ['BOOKMARK', { metadata: { resourceVersion: '15' } }],
          ],
          end: null,
        },
      },
      { watch: { events: [['ERROR', { kind: 'Status', code: 410, reason: 'Expired' }]], end: null } },
      { list: page('20', 'a', 'b') },
      {
        watch: {
          events: [['DELETED', object('a', '21')]],
          end: Object.assign(new Error('Gone'), { statusCode: 410 }),
        },
      },
      { list: page('30', 'b') },
      { watch: { events: [], end: new ApiException(500, 'boom', '{"message":"etcd leader changed"}', {}) } },
    ]);
    const informer = new Informer(
      reads,
      'slice',
      'shop',
      undefined,
      TIMING,
      {
        replace: (objects) => seen.push(`replace ${objects.length}`),
        upsert: () => seen.push('upsert'),
        remove: () => seen.push('remove'),
        healthy: () => undefined,
        failed: (e) => seen.push(`failed ${(e as ApiException<string>).code}`),
      },
      clock,
      () => 0.5,
    );
    await informer.run(controller.signal);
    expect(reads.watched.map((w) => w.resourceVersion)).toEqual(['10', '15', '20', '30']);
    expect(seen).toEqual(['replace 1', 'upsert', 'replace 2', 'remove', 'replace 1', 'failed 500']);
    expect(reads.watched[0]).toMatchObject({ timeoutSeconds: 60 });
    // a second 410 in a row waits minInterval before relisting; the 500 waits the first backoff
    expect(clock.sleeps).toEqual([0, 100]);
  });
});
