import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  NEVER,
  Observable,
  Subject,
  concat,
  filter,
  firstValueFrom,
  lastValueFrom,
  of,
  take,
  throwError,
  timeout,
  toArray,
} from 'rxjs';
import type { Batch } from '../../../src/catalog/batch.js';
import {
  bufferWindow,
  restartingEvents,
  runPipeline,
  type PipelineOptions,
} from '../../../src/pipeline/merge.js';
import type { Registry, SourceEvent } from '../../../src/registry.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

/** Bound on every await: a hung pipeline fails the test instead of the run. */
const WAIT = { first: 2_000, each: 2_000 };

/**
 * A registry whose n-th subscription (1-based) plays `play(n)`; it counts subscriptions and
 * teardowns so tests can see restarts and releases.
 */
class FakeRegistry implements Registry {
  readonly kind: string;
  subscriptions = 0;
  teardowns = 0;

  constructor(
    readonly id: string,
    private readonly play: (subscription: number) => Observable<SourceEvent>,
  ) {
    this.kind = id.split('/')[0]!;
  }

  events(): Observable<SourceEvent> {
    return new Observable<SourceEvent>((subscriber) => {
      this.subscriptions += 1;
      const inner = this.play(this.subscriptions).subscribe(subscriber);
      return () => {
        this.teardowns += 1;
        inner.unsubscribe();
      };
    });
  }
}

function snapshotOf(...names: string[]): SourceEvent {
  return {
    type: 'snapshot',
    services: names.map((name, i) =>
      aServiceRecord({ name, endpoints: [anEndpoint({ address: `10.0.0.${i + 1}` })] }),
    ),
  };
}

function options(overrides: Partial<PipelineOptions> = {}): PipelineOptions {
  return { windowMs: 10, backoff: { baseMs: 5, maxMs: 20, random: () => 1 }, ...overrides };
}

function keysOf(batch: Batch, sourceId: string): string[] {
  const sb = batch.find((b) => b.sourceId === sourceId);
  return [...(sb?.snapshot?.keys() ?? []), ...(sb?.upserts.keys() ?? [])];
}

describe('restartingEvents', () => {
  it('reports a failure as a down status, then resubscribes after the backoff delay', async () => {
    const registry = new FakeRegistry('file/vms', (n) =>
      n === 1
        ? concat(
            of(snapshotOf('a')),
            throwError(() => new Error('disk gone')),
          )
        : concat(of(snapshotOf('b')), NEVER),
    );
    const failures: [string, string, number][] = [];
    const events = await firstValueFrom(
      restartingEvents(
        registry,
        options({ onSourceError: (id, error, ms) => failures.push([id, (error as Error).message, ms]) }),
      ).pipe(take(3), toArray(), timeout(WAIT)),
    );
    expect(events.map((e) => e.type)).toEqual(['snapshot', 'status', 'snapshot']);
    expect(events[1]).toEqual({ type: 'status', state: 'down', error: 'disk gone' });
    expect(failures).toEqual([['file/vms', 'disk gone', 5]]);
    expect(registry.subscriptions).toBe(2);
    expect(registry.teardowns).toBe(2);
  });

  it('restarts a registry whose events() completes, reporting it down in between', async () => {
    const registry = new FakeRegistry('file/vms', (n) =>
      n === 1 ? of(snapshotOf('a')) : concat(of(snapshotOf('b')), NEVER),
    );
    const events = await firstValueFrom(
      restartingEvents(registry, options()).pipe(take(3), toArray(), timeout(WAIT)),
    );
    expect(events.map((e) => e.type)).toEqual(['snapshot', 'status', 'snapshot']);
    expect(events[1]).toEqual({ type: 'status', state: 'down', error: 'source file/vms stopped emitting' });
    expect(registry.subscriptions).toBe(2);
  });

  it('restarts a registry whose events() throws synchronously', async () => {
    let calls = 0;
    const registry: Registry = {
      id: 'consul/dc1',
      kind: 'consul',
      events: () => {
        calls += 1;
        if (calls === 1) throw new Error('bad config');
        return concat(of(snapshotOf('a')), NEVER);
      },
    };
    const events = await firstValueFrom(
      restartingEvents(registry, options()).pipe(take(2), toArray(), timeout(WAIT)),
    );
    expect(events.map((e) => e.type)).toEqual(['status', 'snapshot']);
    expect(calls).toBe(2);
  });

  it('backs off further on each consecutive failure and starts over after a snapshot', async () => {
    const registry = new FakeRegistry('file/vms', (n) => {
      if (n <= 3) return throwError(() => new Error(`fail ${n}`));
      if (n === 4)
        return concat(
          of(snapshotOf('a')),
          throwError(() => new Error('fail 4')),
        );
      return concat(of(snapshotOf('final')), NEVER);
    });
    const delays: number[] = [];
    await firstValueFrom(
      restartingEvents(registry, options({ onSourceError: (_id, _error, ms) => delays.push(ms) })).pipe(
        filter((e) => e.type === 'snapshot' && e.services[0]?.name === 'final'),
        timeout(WAIT),
      ),
    );
    expect(delays).toEqual([5, 10, 20, 5]);
    expect(registry.subscriptions).toBe(5);
  });
});

describe('runPipeline', () => {
  it('delivers events of two sources within one window as one batch', async () => {
    const a = new Subject<SourceEvent>();
    const b = new Subject<SourceEvent>();
    const registries = [new FakeRegistry('file/vms', () => a), new FakeRegistry('consul/dc1', () => b)];
    const first = firstValueFrom(runPipeline(registries, options()).pipe(timeout(WAIT)));
    a.next(snapshotOf('payments'));
    b.next({ type: 'upsert', service: aServiceRecord({ name: 'orders' }) });
    b.next({ type: 'status', state: 'synced' });
    const batch = await first;
    expect(batch.map((sb) => sb.sourceId)).toEqual(['file/vms', 'consul/dc1']);
    expect(keysOf(batch, 'file/vms')).toEqual(['default/payments']);
    expect(keysOf(batch, 'consul/dc1')).toEqual(['default/orders']);
    expect(batch[1]?.status?.state).toBe('synced');
    expect(registries.map((r) => r.teardowns)).toEqual([1, 1]);
  });

  it('validates events on the way: bad records are dropped with their reasons', async () => {
    const registry = new FakeRegistry('file/vms', () =>
      concat(
        of<SourceEvent>({
          type: 'snapshot',
          services: [
            aServiceRecord({ name: 'good' }),
            aServiceRecord({ name: 'bad', endpoints: [anEndpoint({ port: 0 })] }),
          ],
        }),
        NEVER,
      ),
    );
    const batch = await firstValueFrom(runPipeline([registry], options()).pipe(timeout(WAIT)));
    expect(batch[0]?.snapshot?.get('default/bad')?.endpoints).toEqual([]);
    expect(batch[0]?.recordErrors.get('default/bad')).toEqual([
      'services[1].endpoints[0].port: 0 is not a port number (1-65535)',
    ]);
  });

  it('restarts a failed registry after a backoff, the down status reaching the catalog', async () => {
    const registry = new FakeRegistry('file/vms', (n) =>
      n === 1 ? throwError(() => new Error('refused')) : concat(of(snapshotOf('payments')), NEVER),
    );
    const batches = await firstValueFrom(
      runPipeline([registry], options({ windowMs: 1 })).pipe(
        filter((batch) => batch.some((sb) => sb.snapshot !== undefined)),
        timeout(WAIT),
      ),
    );
    expect(registry.subscriptions).toBe(2);
    expect(keysOf(batches, 'file/vms')).toEqual(['default/payments']);
  });

  it('reports the down status before the restart', async () => {
    const registry = new FakeRegistry('file/vms', (n) =>
      n === 1 ? throwError(() => new Error('refused')) : NEVER,
    );
    const slow = options({ windowMs: 1, backoff: { baseMs: 200, maxMs: 200, random: () => 1 } });
    const batch = await firstValueFrom(runPipeline([registry], slow).pipe(timeout(WAIT)));
    expect(batch[0]?.status).toEqual({ state: 'down', error: 'refused', stale: undefined });
    expect(registry.subscriptions).toBe(1);
  });

  it('on stop, flushes the open window, completes and unsubscribes every registry', async () => {
    const a = new Subject<SourceEvent>();
    const b = new Subject<SourceEvent>();
    const registries = [new FakeRegistry('file/vms', () => a), new FakeRegistry('consul/dc1', () => b)];
    const stop$ = new Subject<void>();
    const all = lastValueFrom(
      runPipeline(registries, options({ windowMs: 60_000, stop$ })).pipe(toArray(), timeout(WAIT)),
    );
    a.next(snapshotOf('payments'));
    b.next(snapshotOf('orders'));
    stop$.next();
    const batches = await all;
    expect(batches).toHaveLength(1);
    expect(keysOf(batches[0]!, 'file/vms')).toEqual(['default/payments']);
    expect(keysOf(batches[0]!, 'consul/dc1')).toEqual(['default/orders']);
    expect(registries.map((r) => [r.subscriptions, r.teardowns])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(a.observed).toBe(false);
    expect(b.observed).toBe(false);
  });

  it('on stop, cancels a pending restart', async () => {
    const registry = new FakeRegistry('file/vms', () => throwError(() => new Error('refused')));
    const stop$ = new Subject<void>();
    const retries: number[] = [];
    const all = lastValueFrom(
      runPipeline(
        [registry],
        options({
          stop$,
          backoff: { baseMs: 60_000, maxMs: 60_000 },
          onSourceError: (_id, _e, ms) => retries.push(ms),
        }),
      ).pipe(toArray(), timeout(WAIT)),
    );
    // The registry failed synchronously on subscribe: a restart is now pending for a minute.
    expect(retries).toHaveLength(1);
    stop$.next();
    const batches = await all;
    expect(batches).toHaveLength(1);
    expect(batches[0]?.[0]?.status?.state).toBe('down');
    expect(registry.subscriptions).toBe(1);
  });
});

describe('bufferWindow', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('closes a window early once it holds maxSize values', () => {
    const source = new Subject<number>();
    const windows: number[][] = [];
    const subscription = source.pipe(bufferWindow(60_000, 3)).subscribe((w) => windows.push(w));
    [1, 2, 3, 4].forEach((n) => source.next(n));
    expect(windows).toEqual([[1, 2, 3]]);
    source.complete();
    expect(windows).toEqual([[1, 2, 3], [4]]);
    subscription.unsubscribe();
  });

  it('closes a window windowMs after its first value, however many follow', () => {
    jest.useFakeTimers();
    const source = new Subject<number>();
    const windows: number[][] = [];
    const subscription = source.pipe(bufferWindow(10, 100)).subscribe((w) => windows.push(w));
    source.next(1);
    jest.advanceTimersByTime(6);
    source.next(2);
    jest.advanceTimersByTime(4);
    expect(windows).toEqual([[1, 2]]);
    source.next(3);
    jest.advanceTimersByTime(9);
    expect(windows).toEqual([[1, 2]]);
    jest.advanceTimersByTime(1);
    expect(windows).toEqual([[1, 2], [3]]);
    subscription.unsubscribe();
  });

  it('emits no empty windows', () => {
    jest.useFakeTimers();
    const source = new Subject<number>();
    const windows: number[][] = [];
    const subscription = source.pipe(bufferWindow(10, 100)).subscribe((w) => windows.push(w));
    jest.advanceTimersByTime(100);
    source.complete();
    expect(windows).toEqual([]);
    subscription.unsubscribe();
  });

  it('flushes the open window before passing an error on', () => {
    const source = new Subject<number>();
    const seen: (number[] | string)[] = [];
    source.pipe(bufferWindow(60_000, 100)).subscribe({
      next: (w) => seen.push(w),
      error: (e: unknown) => seen.push((e as Error).message),
    });
    source.next(1);
    source.error(new Error('boom'));
    expect(seen).toEqual([[1], 'boom']);
  });

  it('clears its timer when unsubscribed', () => {
    jest.useFakeTimers();
    const source = new Subject<number>();
    const windows: number[][] = [];
    const subscription = source.pipe(bufferWindow(10, 100)).subscribe((w) => windows.push(w));
    source.next(1);
    subscription.unsubscribe();
    expect(jest.getTimerCount()).toBe(0);
    expect(source.observed).toBe(false);
  });
});
