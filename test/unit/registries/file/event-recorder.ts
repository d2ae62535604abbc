/** Test helper: records a source's events and awaits the next matching one, with a bounded wait. */
import {
  concat,
  filter,
  firstValueFrom,
  range,
  Subject,
  take,
  timeout,
  type Observable,
  type Subscription,
} from 'rxjs';
import type { SnapshotEvent, SourceEvent, SourceState, StatusEvent } from '../../../../src/registry.js';

/** Subscribes on construction; `close()` unsubscribes. */
export class EventRecorder {
  readonly events: SourceEvent[] = [];
  private readonly arrivals = new Subject<number>();
  private readonly subscription: Subscription;
  private cursor = 0;

  constructor(events$: Observable<SourceEvent>) {
    this.subscription = events$.subscribe({
      next: (event) => {
        this.events.push(event);
        this.arrivals.next(this.events.length - 1);
      },
      error: (error: unknown) => this.arrivals.error(error),
    });
  }

  /** The next event after those already awaited that matches, within `ms`. */
  async next<E extends SourceEvent>(match: (event: SourceEvent) => event is E, ms = 5000): Promise<E> {
    const start = this.cursor;
    const pending = this.events.length - start;
    const index = await firstValueFrom(
      concat(range(start, pending), this.arrivals).pipe(
        filter((i) => match(this.events[i]!)),
        take(1),
        timeout({
          first: ms,
          with: () => Promise.reject(new Error(`no matching event within ${ms} ms: ${this.describe()}`)),
        }),
      ),
    );
    this.cursor = index + 1;
    return this.events[index] as E;
  }

  /** The next snapshot. */
  snapshot(ms?: number): Promise<SnapshotEvent> {
    return this.next((e): e is SnapshotEvent => e.type === 'snapshot', ms);
  }

  /** The next status event in `state`. */
  status(state: SourceState, ms?: number): Promise<StatusEvent> {
    return this.next((e): e is StatusEvent => e.type === 'status' && e.state === state, ms);
  }

  /** Events after index `from`, for asserting what did not happen in between. */
  since(from: number): SourceEvent[] {
    return this.events.slice(from);
  }

  /** The index the next awaited event will be searched from. */
  get position(): number {
    return this.cursor;
  }

  close(): void {
    this.subscription.unsubscribe();
    this.arrivals.complete();
  }

  private describe(): string {
    return JSON.stringify(
      this.events.map((e) => (e.type === 'status' ? `${e.state}${e.error ? `(${e.error})` : ''}` : e.type)),
    );
  }
}

/** Names of the services in a snapshot, with their endpoint addresses, for compact assertions. */
export function summarize(snapshot: SnapshotEvent): string[] {
  return snapshot.services.map(
    (s) => `${s.namespace}/${s.name}@${[...new Set(s.endpoints.map((e) => e.address))].join(',')}`,
  );
}
