/**
 * The rest source's I/O shell: on subscribe, a snapshot of every registered service and `synced`;
 * then, per registration change, the upsert (or delete) of the one service it belongs to — only when
 * what that registration contributes changed, so a heartbeat that changes nothing costs nothing.
 */
import { Observable } from 'rxjs';
import { TributaryError } from '../../src/errors.js';
import type { Registration, RegistrationChange, RegistrationFeed } from '../../src/model/registration.js';
import type { ServiceRecord } from '../../src/model/service.js';
import type { Registry, RegistryContext, SourceEvent } from '../../src/registry.js';
import type { RestSourceConfig } from './config.js';
import { buildServiceRecord, endpointsOf, serviceKeyOfRegistration } from './translate.js';

/** One subscription's index of the registrations, by service. */
class RestSourceSession {
  private readonly byService = new Map<string, Map<string, Registration>>();
  /** Per registration id: its service key and the JSON of its endpoints when last rendered. */
  private readonly contributions = new Map<string, { key: string; json: string }>();

  constructor(
    private readonly feed: RegistrationFeed,
    private readonly emit: (event: SourceEvent) => void,
  ) {}

  /** The snapshot of every service registered now. */
  snapshot(): SourceEvent {
    const now = this.feed.now();
    for (const registration of this.feed.current()) this.place(registration, now);
    const services: ServiceRecord[] = [];
    for (const group of this.byService.values()) {
      const record = buildServiceRecord([...group.values()], now);
      if (record !== undefined) services.push(record);
    }
    return { type: 'snapshot', services };
  }

  apply(change: RegistrationChange): void {
    const now = this.feed.now();
    const { registration } = change;
    const before = this.contributions.get(registration.id);
    if (change.type === 'delete') {
      if (before === undefined) return;
      this.unplace(registration.id, before.key);
      this.render(before.key, now);
      return;
    }
    const json = JSON.stringify(endpointsOf(registration, now));
    const key = serviceKeyOfRegistration(registration);
    if (before?.key === key && before.json === json) {
      this.byService.get(key)?.set(registration.id, registration); // renewed: same endpoints
      return;
    }
    if (before !== undefined && before.key !== key) {
      this.unplace(registration.id, before.key);
      this.render(before.key, now);
    }
    this.place(registration, now, json);
    this.render(key, now);
  }

  private place(registration: Registration, now: number, json?: string): void {
    const key = serviceKeyOfRegistration(registration);
    let group = this.byService.get(key);
    if (group === undefined) this.byService.set(key, (group = new Map()));
    group.set(registration.id, registration);
    this.contributions.set(registration.id, {
      key,
      json: json ?? JSON.stringify(endpointsOf(registration, now)),
    });
  }

  private unplace(id: string, key: string): void {
    this.contributions.delete(id);
    const group = this.byService.get(key);
    group?.delete(id);
    if (group?.size === 0) this.byService.delete(key);
  }

  private render(key: string, now: number): void {
    const group = this.byService.get(key);
    const record = group === undefined ? undefined : buildServiceRecord([...group.values()], now);
    if (record !== undefined) {
      this.emit({ type: 'upsert', service: record });
      return;
    }
    const slash = key.indexOf('/');
    this.emit({ type: 'delete', namespace: key.slice(0, slash), name: key.slice(slash + 1) });
  }
}

/** Events of the registrations in `feed`: cold; each subscription indexes them on its own. */
export function watchRegistrations(feed: RegistrationFeed): Observable<SourceEvent> {
  return new Observable<SourceEvent>((subscriber) => {
    const session = new RestSourceSession(feed, (event) => subscriber.next(event));
    // current() and the subscription happen in one synchronous turn: no change falls between them.
    const subscription = feed.changes().subscribe({
      next: (change) => session.apply(change),
      error: (error: unknown) => subscriber.error(error),
    });
    subscriber.next(session.snapshot());
    subscriber.next({ type: 'status', state: 'synced' });
    return () => subscription.unsubscribe();
  });
}

/** The rest source `id` (`rest/<name>`) as a Registry over the daemon's registration feed. */
export function createRestRegistry(
  id: string,
  _config: RestSourceConfig,
  context: RegistryContext,
): Registry {
  const feed = context.registrations;
  if (feed === undefined) {
    throw new TributaryError(
      'TRB_INTERNAL',
      `source ${id}: no registration feed (only the daemon runs a rest source)`,
    );
  }
  return { id, kind: 'rest', events: () => watchRegistrations(feed) };
}
