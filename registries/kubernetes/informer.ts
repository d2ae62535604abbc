/**
 * One informer: list (paginated) then watch one kind of object in one namespace (or all), as
 * REGISTRIES.md "Kubernetes" says: the list's resourceVersion starts the watch; ADDED/MODIFIED/
 * DELETED and BOOKMARK advance it; a watch that ends (timeoutSeconds) resumes from it; a 410 (HTTP
 * or ERROR event) relists and hands the complete list over in one step; any other failure is
 * reported and retried with capped, jittered backoff, resuming from the last resourceVersion.
 * Stopping aborts the request in flight and every wait.
 */
import type { KubernetesReads, ListPage } from './client.js';
import { WatchStatusError, statusCodeOf } from './failures.js';
import { resourceVersionOf, statusOf } from './payload.js';
import type { ObjectKind } from './records.js';

import { systemClock, type Clock } from '../shared/clock.js';

export { systemClock, type Clock };

/** Capped exponential backoff with ±25 % jitter: attempt 1 → ~base, 2 → ~2·base, … ≤ max. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(Math.min(maxMs, raw * (0.75 + random() * 0.5)));
}

export interface InformerTiming {
  readonly pageSize: number;
  readonly listTimeoutMs: number;
  readonly watchTimeoutMs: number;
  readonly minIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** What the informer tells its owner; called synchronously, never after stop. */
export interface InformerHandlers {
  /** The complete result of a list: replaces everything this informer had. */
  replace(objects: readonly unknown[]): void;
  upsert(object: unknown): void;
  remove(object: unknown): void;
  /** A list completed or a watch connected: the informer is healthy. */
  healthy(): void;
  failed(error: unknown): void;
}

/** How long past its timeoutSeconds a watch may stay open before it is given up. */
export const STALL_GRACE_MS = 30_000;

/** The outcome of one watch request. */
type WatchEnd = 'ended' | 'expired';

export class Informer {
  private resourceVersion: string | undefined;

  constructor(
    private readonly reads: KubernetesReads,
    private readonly kind: ObjectKind,
    private readonly namespace: string | undefined,
    private readonly labelSelector: string | undefined,
    private readonly timing: InformerTiming,
    private readonly handlers: InformerHandlers,
    private readonly clock: Clock = systemClock,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let expiredInRow = 0;
    while (!signal.aborted) {
      const started = this.clock.now();
      try {
        if (this.resourceVersion === undefined) {
          const { items, resourceVersion } = await this.listAll(signal);
          if (signal.aborted) return;
          this.handlers.replace(items);
          this.resourceVersion = resourceVersion;
          this.handlers.healthy();
          failures = 0;
        }
        const end = await this.watchOnce(this.resourceVersion, signal);
        if (signal.aborted) return;
        failures = 0;
        if (end === 'expired') {
          this.resourceVersion = undefined; // relist; the old objects stay until the list is complete
          if (++expiredInRow > 1) await this.clock.sleep(this.timing.minIntervalMs, signal);
          continue;
        }
        expiredInRow = 0;
        const wait = this.timing.minIntervalMs - (this.clock.now() - started);
        if (wait > 0) await this.clock.sleep(wait, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (statusCodeOf(error) === 410) {
          // resourceVersion (or a list's continue token) too old: relist from scratch
          this.resourceVersion = undefined;
          if (++expiredInRow > 1) await this.clock.sleep(this.timing.minIntervalMs, signal);
          continue;
        }
        failures += 1;
        this.handlers.failed(error);
        await this.clock.sleep(
          backoffDelay(failures, this.timing.retryBaseMs, this.timing.retryMaxMs, this.random),
          signal,
        );
      }
    }
  }

  /** Every page of the list; only a complete list is returned. */
  private async listAll(signal: AbortSignal): Promise<{ items: unknown[]; resourceVersion: string }> {
    const items: unknown[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    for (let page = 0; page < 100_000 && !signal.aborted; page++) {
      const reply = await this.listPage(continueToken, signal);
      items.push(...reply.items);
      resourceVersion = reply.resourceVersion;
      continueToken = reply.continueToken;
      if (continueToken === undefined) break;
    }
    return { items, resourceVersion };
  }

  /** One page, aborted when `signal` aborts or the API server takes longer than `listTimeoutMs`. */
  private async listPage(continueToken: string | undefined, signal: AbortSignal): Promise<ListPage> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timing.listTimeoutMs);
    try {
      return await this.reads.list(this.kind, this.namespace, {
        limit: this.timing.pageSize,
        continueToken,
        labelSelector: this.labelSelector,
        signal: controller.signal,
      });
    } catch (error) {
      if (timedOut) throw new Error(`the list got no reply within ${this.timing.listTimeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** One watch request from `resourceVersion`, until it ends, expires (410) or fails. */
  private watchOnce(resourceVersion: string, signal: AbortSignal): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve, reject) => {
      let settled = false;
      let expired = false;
      let failure: unknown;
      let stalled = false;
      let abort: (() => void) | undefined;
      const onAbort = (): void => abort?.();
      // A watch the API server never ends (a half-open connection) is given up after its timeout
      // and a grace period, and resumed like one that ended.
      const stall = setTimeout(() => {
        stalled = true;
        abort?.();
      }, this.timing.watchTimeoutMs + STALL_GRACE_MS);
      stall.unref();
      const settle = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        signal.removeEventListener('abort', onAbort);
        abort?.();
        if (signal.aborted || stalled) resolve('ended');
        else if (failure !== undefined) reject(failure);
        else if (error !== null && error !== undefined && !expired) reject(error);
        else resolve(expired ? 'expired' : 'ended');
      };
      const onEvent = (type: string, object: unknown): void => {
        if (settled || signal.aborted || expired || failure !== undefined) return;
        if (type === 'ERROR') {
          const status = statusOf(object);
          if (status.code === 410) expired = true;
          else failure = new WatchStatusError(status.code || 500, status.message || 'watch ERROR event');
          abort?.();
          return;
        }
        const rv = resourceVersionOf(object);
        if (type === 'ADDED' || type === 'MODIFIED') this.handlers.upsert(object);
        else if (type === 'DELETED') this.handlers.remove(object);
        else if (type !== 'BOOKMARK') return;
        if (rv !== undefined && rv !== '') this.resourceVersion = rv;
      };
      this.reads
        .watch(
          this.kind,
          this.namespace,
          {
            resourceVersion,
            timeoutSeconds: Math.max(1, Math.round(this.timing.watchTimeoutMs / 1000)),
            labelSelector: this.labelSelector,
          },
          onEvent,
          settle,
        )
        .then(
          (stop) => {
            abort = stop;
            if (settled || signal.aborted) {
              stop();
              settle(null);
              return;
            }
            signal.addEventListener('abort', onAbort, { once: true });
            this.handlers.healthy();
          },
          (error: unknown) => settle(error ?? new Error('watch failed')),
        );
    });
  }
}
