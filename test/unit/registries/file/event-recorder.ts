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
import type { ServiceRecord } from '../../../../src/model/service.js';
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

  /**
   * After the first snapshot the source sends only what changed (upserts and deletes, then a status):
   * awaits the next change and the status that closes it, and returns the whole state folded from
   * every event so far, as a snapshot sorted by service key.
   */
  async changed(ms?: number): Promise<SnapshotEvent> {
    await this.next((e): e is SourceEvent => e.type !== 'status', ms);
    await this.next((e): e is StatusEvent => e.type === 'status', ms);
    return this.state();
  }

  /** Everything the events so far say the source holds. */
  state(): SnapshotEvent {
    const services = new Map<string, ServiceRecord>();
    for (const e of this.events.slice(0, this.cursor)) {
      if (e.type === 'snapshot') {
        services.clear();
        for (const s of e.services) services.set(`${s.namespace}/${s.name}`, s);
      } else if (e.type === 'upsert') services.set(`${e.service.namespace}/${e.service.name}`, e.service);
      else if (e.type === 'delete') services.delete(`${e.namespace}/${e.name}`);
    }
    const sorted = [...services.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s);
    return { type: 'snapshot', services: sorted };
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
