/**
 * The only fan-in (ARCHITECTURE.md §1): every registry's events, each source restarted with capped
 * backoff when it fails, validated, then coalesced latest-wins within a short window into batches.
 */
import {
  Observable,
  NEVER,
  catchError,
  concat,
  defer,
  map,
  merge,
  of,
  retry,
  takeUntil,
  tap,
  throwError,
  timer,
  type OperatorFunction,
} from 'rxjs';
import type { Batch } from '../catalog/batch.js';
import { describeError } from '../errors.js';
import type { Registry, SourceEvent } from '../registry.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { coalesce, type TaggedEvent } from './coalesce.js';
import { checkEvent } from './validate.js';

export interface PipelineOptions {
  /** Coalescing window: a batch closes this long after the first event in it. */
  readonly windowMs: number;
  /** A window closes early once it holds this many events (default 10,000). */
  readonly maxBatchEvents?: number;
  readonly backoff: BackoffOptions;
  /** Completes the pipeline: sources are unsubscribed and the last window is flushed. */
  readonly stop$?: Observable<unknown>;
  /** Called when a source fails, before it is restarted. */
  readonly onSourceError?: (sourceId: string, error: unknown, retryInMs: number) => void;
}

/** One registry's events, restarted after failures; a failure is reported as a `down` status. */
export function restartingEvents(registry: Registry, options: PipelineOptions): Observable<SourceEvent> {
  let attempt = 0;
  // A watch that ends on its own has stopped watching: treat it as a failure and restart it.
  const ended = defer(() => throwError(() => new Error(`source ${registry.id} stopped emitting`)));
  return defer(() => concat(registry.events(), ended)).pipe(
    tap((event) => {
      if (event.type === 'snapshot') attempt = 0;
    }),
    catchError((error: unknown) =>
      concat(
        of<SourceEvent>({ type: 'status', state: 'down', error: describeError(error) }),
        throwError(() => error),
      ),
    ),
    retry({
      delay: (error: unknown) => {
        attempt += 1;
        const ms = backoffDelay(attempt, options.backoff);
        options.onSourceError?.(registry.id, error, ms);
        return timer(ms);
      },
    }),
  );
}

/**
 * Collects values into windows: a window opens at its first value and closes `windowMs` later, or at
 * once when it holds `maxSize` values. On completion the open window is flushed, so a clean
 * shutdown commits the last batch.
 */
export function bufferWindow<T>(windowMs: number, maxSize: number): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let open: T[] = [];
      let timeout: NodeJS.Timeout | undefined;
      const flush = (): void => {
        clearTimeout(timeout);
        timeout = undefined;
        if (open.length === 0) return;
        const closed = open;
        open = [];
        subscriber.next(closed);
      };
      const subscription = source.subscribe({
        next: (value) => {
          open.push(value);
          if (open.length >= maxSize) flush();
          else timeout ??= setTimeout(flush, windowMs);
        },
        error: (error: unknown) => {
          flush();
          subscriber.error(error);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        clearTimeout(timeout);
        subscription.unsubscribe();
      };
    });
}

/** Merges, validates and coalesces every registry's events into catalog batches. */
export function runPipeline(registries: readonly Registry[], options: PipelineOptions): Observable<Batch> {
  return merge(
    ...registries.map((registry) =>
      restartingEvents(registry, options).pipe(
        map((event): TaggedEvent => ({ sourceId: registry.id, event: checkEvent(event) })),
      ),
    ),
  ).pipe(
    takeUntil(options.stop$ ?? NEVER),
    bufferWindow(options.windowMs, options.maxBatchEvents ?? 10_000),
    map(coalesce),
  );
}
