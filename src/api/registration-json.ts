/** The JSON shape of a registration in the native API: the stored fields plus derived health and deadlines. */
import type { Health, Locality } from '../model/endpoint.js';
import {
  expiresAt,
  registrationHealth,
  removeAt,
  type Registration,
  type RegistrationPort,
  type ReportedStatus,
} from '../model/registration.js';

/** One registration as `GET /v1/registrations` and the write routes answer it. */
export interface RegistrationJson {
  readonly id: string;
  readonly namespace: string;
  readonly service: string;
  readonly address: string;
  readonly ports: readonly RegistrationPort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly locality: Locality;
  readonly weight: number;
  readonly warningWeight: number;
  /** Time to live in ms; null = never expires. */
  readonly ttlMs: number | null;
  readonly graceMs: number;
  /** What the instance reported last. */
  readonly status: ReportedStatus;
  /** Derived now: unhealthy when reported critical or when the TTL ran out. */
  readonly health: Health;
  readonly note: string;
  readonly owner: string;
  readonly api: Registration['api'];
  readonly checkId: string;
  readonly registeredAt: string;
  readonly lastHeartbeatAt: string;
  /** When it turns unhealthy without a heartbeat; null = never. */
  readonly expiresAt: string | null;
  /** When it is removed without a heartbeat; null = never. */
  readonly removeAt: string | null;
}

/** `GET /v1/registrations`. */
export interface RegistrationListBody {
  readonly registrations: readonly RegistrationJson[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The JSON of a registration at `now`. */
export function registrationJson(r: Registration, now: number): RegistrationJson {
  return {
    id: r.id,
    namespace: r.namespace,
    service: r.service,
    address: r.address,
    ports: r.ports,
    labels: r.labels,
    tags: r.tags,
    locality: r.locality,
    weight: r.weight,
    warningWeight: r.warningWeight,
    ttlMs: r.ttlMs,
    graceMs: r.graceMs,
    status: r.status,
    health: registrationHealth(r, now),
    note: r.note,
    owner: r.owner,
    api: r.api,
    checkId: r.checkId,
    registeredAt: new Date(r.registeredAt).toISOString(),
    lastHeartbeatAt: new Date(r.lastHeartbeatAt).toISOString(),
    expiresAt: iso(expiresAt(r)),
    removeAt: iso(removeAt(r)),
  };
}
