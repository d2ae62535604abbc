/**
 * VM registrations: register (idempotent upsert by id), heartbeat, deregister and list, with the
 * scope, conflict and capacity checks made before anything is written. Every write is committed by
 * the store before the call returns; then the change goes out on the feed the `rest` adapter reads.
 *
 * Expiry is derived from the persisted `lastHeartbeatAt` (src/model/registration.ts): one unref'd
 * timer waits for the earliest deadline of a heap, re-announces a registration whose TTL ran out
 * (its health is re-derived downstream) and removes one whose grace passed. After a restart the
 * deadlines are recomputed from the stored times, and what expired while the daemon was down is
 * removed at start.
 */
import { Subject, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import { describeWriteScopes, mayWrite, type Principal } from '../auth/scopes.js';
import { describeError, TributaryError } from '../errors.js';
import {
  expiresAt,
  isExpired,
  isRemovable,
  nextTransition,
  type Registration,
  type RegistrationChange,
  type RegistrationFeed,
  type ReportedStatus,
} from '../model/registration.js';
import { serviceKeyOf } from '../model/service.js';
import { DeadlineHeap } from './deadlines.js';
import type { RegistrationStore } from './store.js';

/** What a register call carries; ttl/grace undefined = the configured defaults. */
export type RegistrationInput = Omit<
  Registration,
  'owner' | 'registeredAt' | 'lastHeartbeatAt' | 'ttlMs' | 'graceMs'
> & {
  readonly ttlMs: number | null | undefined;
  readonly graceMs: number | undefined;
};

/** A heartbeat's optional status and note (unset: kept as they were). */
export interface HeartbeatInput {
  readonly status?: ReportedStatus | undefined;
  readonly note?: string | undefined;
}

/** Limits and defaults, in milliseconds. */
export interface RegistrationOptions {
  readonly defaultTtlMs: number;
  readonly defaultGraceMs: number;
  readonly maxRegistrations: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Retry delay of removals whose store write failed. */
const RETRY_MS = 1000;
/** setTimeout's largest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The registration service of the daemon; also the RegistrationFeed of the `rest` adapter. */
export class RegistrationService implements RegistrationFeed {
  private readonly feed = new Subject<RegistrationChange>();
  private readonly byService = new Map<string, Set<string>>();
  private readonly byCheckId = new Map<string, string>();
  private readonly deadlines = new DeadlineHeap();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  readonly now: () => number;

  constructor(
    private readonly store: RegistrationStore,
    private readonly options: RegistrationOptions,
  ) {
    this.now = options.now ?? Date.now;
    for (const registration of store.values()) this.index(registration);
  }

  /** Removes what expired while the daemon was down, then schedules the remaining deadlines. */
  start(): void {
    const now = this.now();
    const gone = [...this.store.values()].filter((r) => isRemovable(r, now));
    this.remove(gone, now);
    for (const registration of this.store.values()) this.track(registration, now);
  }

  /** Stops the timer and completes the feed. Idempotent. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.feed.complete();
  }

  current(): readonly Registration[] {
    return [...this.store.values()];
  }

  changes(): Observable<RegistrationChange> {
    return this.feed.asObservable();
  }

  get(id: string): Registration | undefined {
    return this.store.get(id);
  }

  /** The registration whose (Consul) TTL check has this id. */
  getByCheckId(checkId: string): Registration | undefined {
    const id = this.byCheckId.get(checkId);
    return id === undefined ? undefined : this.store.get(id);
  }

  /** Registrations, optionally only those whose namespace passes `visible`, sorted by id. */
  list(visible: (namespace: string) => boolean = () => true): Registration[] {
    return [...this.store.values()]
      .filter((r) => visible(r.namespace))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Creates or replaces the registration `input.id`; a re-registration renews it. */
  register(input: RegistrationInput, principal: Principal): { registration: Registration; created: boolean } {
    const planned = this.planRegister(input, principal);
    this.commit(planned.registration, this.store.get(input.id), this.now());
    return planned;
  }

  /**
   * What `register` would commit, with every check (scope, conflicts, capacity) made and nothing
   * written: a write-through store is written with it first.
   */
  planRegister(
    input: RegistrationInput,
    principal: Principal,
  ): { registration: Registration; created: boolean } {
    requireWrite(principal, input.namespace, 'body.namespace');
    const existing = this.store.get(input.id);
    if (existing !== undefined && existing.namespace !== input.namespace) {
      throw new TributaryError(
        'TRB_API_CONFLICT',
        `registration "${input.id}" belongs to namespace "${existing.namespace}", not "${input.namespace}"; deregister it there first`,
        { field: 'params.id' },
      );
    }
    this.checkPorts(input);
    const checkOwner = this.byCheckId.get(input.checkId);
    if (checkOwner !== undefined && checkOwner !== input.id) {
      throw new TributaryError(
        'TRB_API_CONFLICT',
        `check id "${input.checkId}" belongs to registration "${checkOwner}"`,
        { field: 'body.Check.CheckID' },
      );
    }
    if (existing === undefined && this.store.size >= this.options.maxRegistrations) {
      throw new TributaryError(
        'TRB_API_LIMIT',
        `maxRegistrations (${this.options.maxRegistrations}) is reached: deregister instances or raise the rest source's maxRegistrations`,
      );
    }
    const now = this.now();
    const registration: Registration = {
      ...input,
      ttlMs: input.ttlMs === undefined ? this.options.defaultTtlMs : input.ttlMs,
      graceMs: input.graceMs ?? this.options.defaultGraceMs,
      owner: principal.name,
      registeredAt: existing?.registeredAt ?? now,
      lastHeartbeatAt: now,
    };
    return { registration, created: existing === undefined };
  }

  /** Renews the registration `id`, optionally with a new status and note. */
  heartbeat(id: string, input: HeartbeatInput, principal: Principal): Registration {
    const registration = this.planHeartbeat(id, input, principal);
    this.commit(registration, this.store.get(id), this.now());
    return registration;
  }

  /** What `heartbeat` would commit, checked and not written. */
  planHeartbeat(id: string, input: HeartbeatInput, principal: Principal): Registration {
    const existing = this.requireWritable(id, principal);
    return {
      ...existing,
      status: input.status ?? existing.status,
      note: input.note ?? existing.note,
      lastHeartbeatAt: this.now(),
    };
  }

  /** Removes the registration `id` at once. */
  deregister(id: string, principal: Principal): Registration {
    const existing = this.requireWritable(id, principal);
    this.store.delete([id]);
    this.unindex(existing);
    this.feed.next({ type: 'delete', registration: existing, reason: 'deregistered' });
    return existing;
  }

  /** The registration `id`, if `principal` may write it (404 and 403 otherwise). */
  requireWritable(id: string, principal: Principal): Registration {
    const existing = this.require(id);
    requireWrite(principal, existing.namespace, 'params.id');
    return existing;
  }

  private require(id: string): Registration {
    const existing = this.store.get(id);
    if (existing === undefined) {
      throw new TributaryError('TRB_API_NOT_FOUND', `registration "${id}" not found`, { field: 'params.id' });
    }
    return existing;
  }

  private commit(registration: Registration, previous: Registration | undefined, now: number): void {
    this.store.put(registration);
    if (previous !== undefined) this.unindex(previous);
    this.index(registration);
    this.feed.next({ type: 'upsert', registration });
    this.track(registration, now);
  }

  /**
   * Every instance of one service must agree on each port: a name means one service port and
   * protocol, a service port has one name. A registration that disagrees is refused (409) rather
   * than turned into a service whose ports flip with the last writer.
   */
  private checkPorts(input: RegistrationInput): void {
    const ids = this.byService.get(serviceKeyOf({ namespace: input.namespace, name: input.service }));
    for (const id of ids ?? []) {
      const other = this.store.get(id);
      if (other === undefined || other.id === input.id) continue;
      input.ports.forEach((port, i) => {
        for (const theirs of other.ports) {
          const sameName = theirs.name === port.name;
          const sameNumber = theirs.servicePort === port.servicePort;
          if (sameName === sameNumber && (!sameName || theirs.protocol === port.protocol)) continue;
          throw new TributaryError(
            'TRB_API_CONFLICT',
            `body.ports[${i}]: service ${input.namespace}/${input.service} already has port "${theirs.name}" = ${theirs.servicePort}/${theirs.protocol} (registration "${other.id}"); this registration says "${port.name}" = ${port.servicePort}/${port.protocol}`,
            { field: `body.ports[${i}]` },
          );
        }
      });
    }
  }

  private index(registration: Registration): void {
    const key = serviceKeyOf({ namespace: registration.namespace, name: registration.service });
    let ids = this.byService.get(key);
    if (ids === undefined) this.byService.set(key, (ids = new Set()));
    ids.add(registration.id);
    this.byCheckId.set(registration.checkId, registration.id);
  }

  private unindex(registration: Registration): void {
    const key = serviceKeyOf({ namespace: registration.namespace, name: registration.service });
    const ids = this.byService.get(key);
    ids?.delete(registration.id);
    if (ids?.size === 0) this.byService.delete(key);
    if (this.byCheckId.get(registration.checkId) === registration.id)
      this.byCheckId.delete(registration.checkId);
  }

  /** Queues the registration's next self-driven transition and re-arms the timer when it is sooner. */
  private track(registration: Registration, now: number): void {
    const at = nextTransition(registration, now);
    if (at === undefined || this.stopped) return;
    this.deadlines.push({ at, id: registration.id });
    if (at < this.timerAt) this.arm(at, now);
  }

  private arm(at: number, now: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_DELAY_MS, Math.max(0, at - now)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const now = this.now();
    const removals: Registration[] = [];
    for (const deadline of this.deadlines.popDue(now)) {
      const registration = this.store.get(deadline.id);
      if (registration === undefined) continue;
      if (isRemovable(registration, now)) {
        if (!removals.includes(registration)) removals.push(registration);
      } else if (isExpired(registration, now) && expiresAt(registration) === deadline.at) {
        // The TTL ran out: announce it so health is re-derived, and wait for the grace to pass.
        this.options.logger.info(
          { id: registration.id, namespace: registration.namespace, serviceName: registration.service },
          'registration missed its heartbeat; unhealthy',
        );
        this.feed.next({ type: 'upsert', registration });
        this.track(registration, now);
      }
      // Otherwise the entry is stale (renewed since): its newer deadline is in the heap.
    }
    this.remove(removals, now);
    const next = this.deadlines.peek();
    if (next !== undefined) this.arm(next.at, this.now());
  }

  private remove(registrations: readonly Registration[], now: number): void {
    if (registrations.length === 0) return;
    try {
      this.store.delete(registrations.map((r) => r.id));
    } catch (error) {
      this.options.logger.error(
        { error: describeError(error) },
        'expired registrations could not be removed; retrying',
      );
      for (const r of registrations) this.deadlines.push({ at: now + RETRY_MS, id: r.id });
      return;
    }
    for (const registration of registrations) {
      this.unindex(registration);
      this.options.logger.info(
        {
          id: registration.id,
          namespace: registration.namespace,
          serviceName: registration.service,
          lastHeartbeatAt: new Date(registration.lastHeartbeatAt).toISOString(),
        },
        'registration expired; removed',
      );
      this.feed.next({ type: 'delete', registration, reason: 'expired' });
    }
  }
}

function requireWrite(principal: Principal, namespace: string, field: string): void {
  if (mayWrite(principal, namespace)) return;
  throw new TributaryError(
    'TRB_API_FORBIDDEN',
    `token "${principal.name}" may not write namespace "${namespace}" (it has ${describeWriteScopes(principal)})`,
    { field },
  );
}
