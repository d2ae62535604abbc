/**
 * VM registrations made over REST (native API or Consul-agent API): the persisted record, the pure
 * lifecycle rules that derive health and expiry from persisted times, and the feed through which
 * the `rest` registry adapter sees them (ARCHITECTURE.md §2: writes go through the registration
 * store, which feeds registries/rest like any other source).
 */
import type { Observable } from 'rxjs';
import type { Health, Locality } from './endpoint.js';
import type { Protocol } from './service.js';

export const REPORTED_STATUSES = ['passing', 'warning', 'critical'] as const;
/** What the instance last reported about itself (Consul's TTL check statuses). */
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

/** One port of a registered instance. */
export interface RegistrationPort {
  /** Port name (a DNS label), the same across every instance of the service. */
  readonly name: string;
  /** The port the instance listens on (the endpoint's target port). */
  readonly number: number;
  /** The service port: the cluster name uses it. Defaults to `number`. */
  readonly servicePort: number;
  readonly protocol: Protocol;
}

/** Which API created the registration (decides the defaults applied and how it is listed). */
export type RegistrationApi = 'native' | 'consul';

/** One registered instance, as persisted. Times are epoch milliseconds. */
export interface Registration {
  /** Globally unique registration id (Consul's service ID). */
  readonly id: string;
  readonly namespace: string;
  readonly service: string;
  readonly address: string;
  readonly ports: readonly RegistrationPort[];
  readonly labels: Readonly<Record<string, string>>;
  /** Consul tags, kept for the Consul-agent API; not part of the catalog. */
  readonly tags: readonly string[];
  readonly locality: Locality;
  /** Weight while passing. */
  readonly weight: number;
  /** Weight while the instance reports `warning` (Consul's `Weights.Warning`). */
  readonly warningWeight: number;
  /** Time to live after the last heartbeat; null = never expires (a Consul service without a TTL check). */
  readonly ttlMs: number | null;
  /** Time after the TTL ran out before the registration is removed. */
  readonly graceMs: number;
  readonly status: ReportedStatus;
  /** The note of the last heartbeat (Consul's check output). */
  readonly note: string;
  /** Name of the token that last wrote it. */
  readonly owner: string;
  readonly api: RegistrationApi;
  /** Consul check id of its TTL check (`service:<id>` unless the registration named one). */
  readonly checkId: string;
  readonly registeredAt: number;
  readonly lastHeartbeatAt: number;
}

/** A change of the registration set, in commit order. */
export type RegistrationChange =
  | { readonly type: 'upsert'; readonly registration: Registration }
  | {
      readonly type: 'delete';
      readonly registration: Registration;
      readonly reason: 'deregistered' | 'expired';
    };

/**
 * What the `rest` adapter reads: the committed registrations, the changes after them (a
 * registration whose TTL runs out is re-announced as an `upsert`, so health can be re-derived),
 * and the clock every derivation uses.
 */
export interface RegistrationFeed {
  current(): readonly Registration[];
  changes(): Observable<RegistrationChange>;
  now(): number;
}

/** When the TTL runs out (the instance turns unhealthy); undefined when it never expires. */
export function expiresAt(registration: Registration): number | undefined {
  return registration.ttlMs === null ? undefined : registration.lastHeartbeatAt + registration.ttlMs;
}

/** When the registration is removed (TTL plus grace passed); undefined when it never expires. */
export function removeAt(registration: Registration): number | undefined {
  const expiry = expiresAt(registration);
  return expiry === undefined ? undefined : expiry + registration.graceMs;
}

/** True once the TTL ran out at `now` (no heartbeat within ttl). */
export function isExpired(registration: Registration, now: number): boolean {
  const expiry = expiresAt(registration);
  return expiry !== undefined && now >= expiry;
}

/** True once TTL plus grace passed at `now`: the registration must be removed. */
export function isRemovable(registration: Registration, now: number): boolean {
  const removal = removeAt(registration);
  return removal !== undefined && now >= removal;
}

/** Catalog health at `now`: unhealthy once expired or reported critical; healthy otherwise. */
export function registrationHealth(registration: Registration, now: number): Health {
  if (isExpired(registration, now)) return 'unhealthy';
  return registration.status === 'critical' ? 'unhealthy' : 'healthy';
}

/** The endpoint weight at `now`: the warning weight while reporting `warning`. */
export function registrationWeight(registration: Registration): number {
  return registration.status === 'warning' ? registration.warningWeight : registration.weight;
}

/** The next moment after `now` at which the registration changes state by itself, if any. */
export function nextTransition(registration: Registration, now: number): number | undefined {
  const expiry = expiresAt(registration);
  if (expiry === undefined) return undefined;
  if (now < expiry) return expiry;
  const removal = expiry + registration.graceMs;
  return now < removal ? removal : undefined;
}
