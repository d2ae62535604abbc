/**
 * Blocking queries with Consul semantics (https://developer.hashicorp.com/consul/api-docs/features/blocking):
 * `?index=<n>&wait=<duration>` answers at once when the catalog revision differs from `n`, and
 * otherwise holds until a relevant change or until the wait (plus up to wait/16 jitter) elapses.
 * A revision lower than `n` (the client saw an older or replaced database) also answers at once,
 * so the client resets to the index it gets back. Unlike Consul, `index=0` is a real revision (a
 * new, empty catalog) and blocks while the catalog is at 0: a first read simply sends no index.
 */
import { Subscription } from 'rxjs';
import type { CatalogChange, CatalogReader } from '../catalog/view.js';

/** Limits of blocking queries, in milliseconds. */
export interface BlockingLimits {
  /** Upper bound of `wait` before jitter. */
  readonly maxWaitMs: number;
  /** `wait` when a request gives `index` without it. */
  readonly defaultWaitMs: number;
  /** Source of randomness for the jitter; Math.random by default. */
  readonly random?: () => number;
}

/** What one blocking request asks for; `waitMs` undefined means the default wait. */
export interface BlockingRequest {
  readonly index: number | undefined;
  readonly waitMs: number | undefined;
  /** Whether a change can alter this request's answer; changes it rejects do not wake it. */
  readonly relevant: (change: CatalogChange) => boolean;
}

/** How long to hold at most: the wait capped at maxWaitMs, plus up to wait/16 of jitter, like Consul. */
export function holdDurationMs(waitMs: number | undefined, limits: BlockingLimits): number {
  const wait = Math.min(waitMs ?? limits.defaultWaitMs, limits.maxWaitMs);
  const random = limits.random ?? Math.random;
  return wait + Math.floor((random() * wait) / 16);
}

/** True when a request must wait: it gave an index and the catalog is still exactly at it. */
export function mustHold(catalog: CatalogReader, request: BlockingRequest): boolean {
  return request.index !== undefined && catalog.view().revision === request.index && request.waitMs !== 0;
}

/**
 * Resolves when the request may be answered: at once unless `mustHold`; otherwise on the first
 * relevant change past the index, when the hold time elapses, when the change feed ends, or when
 * any of `signals` aborts (client gone, server closing). Every listener, subscription and timer is
 * released before it resolves. Never rejects.
 */
export function awaitBlockingQuery(
  catalog: CatalogReader,
  request: BlockingRequest,
  limits: BlockingLimits,
  signals: readonly AbortSignal[],
): Promise<void> {
  if (!mustHold(catalog, request) || signals.some((signal) => signal.aborted)) return Promise.resolve();
  const index = request.index ?? 0;
  return new Promise<void>((resolve) => {
    // One container for the feed subscription: adding to it once it is closed unsubscribes at once.
    const subscriptions = new Subscription();
    const finish = (): void => {
      if (subscriptions.closed) return;
      subscriptions.unsubscribe();
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, holdDurationMs(request.waitMs, limits));
    for (const signal of signals) signal.addEventListener('abort', finish, { once: true });
    subscriptions.add(
      catalog.changes().subscribe({
        next: (change) => {
          if (change.revision > index && request.relevant(change)) finish();
        },
        error: finish,
        complete: finish,
      }),
    );
    // A change committed between the first check and the subscription would otherwise be missed.
    if (catalog.view().revision !== index) finish();
  });
}
