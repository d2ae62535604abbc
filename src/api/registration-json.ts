/** The JSON shape of a registration in the native API: the stored fields plus derived health and deadlines. */
import type { Health } from '../model/endpoint.js';
import { expiresAt, registrationHealth, removeAt, type Registration } from '../model/registration.js';

/**
 * One registration as `GET /v1/registrations` and the write routes answer it: the stored fields, times
 * as ISO strings, plus the health and deadlines derived at the moment of the answer.
 */
export type RegistrationJson = Omit<Registration, 'registeredAt' | 'lastHeartbeatAt'> & {
  /** Derived now: unhealthy when reported critical or when the TTL ran out. */
  readonly health: Health;
  readonly registeredAt: string;
  readonly lastHeartbeatAt: string;
  /** When it turns unhealthy without a heartbeat; null = never. */
  readonly expiresAt: string | null;
  /** When it is removed without a heartbeat; null = never. */
  readonly removeAt: string | null;
};

/** `GET /v1/registrations`. */
export interface RegistrationListBody {
  readonly registrations: readonly RegistrationJson[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The JSON of a registration at `now`. */
export function registrationJson(r: Registration, now: number): RegistrationJson {
  return {
    ...r,
    health: registrationHealth(r, now),
    registeredAt: new Date(r.registeredAt).toISOString(),
    lastHeartbeatAt: new Date(r.lastHeartbeatAt).toISOString(),
    expiresAt: iso(expiresAt(r)),
    removeAt: iso(removeAt(r)),
  };
}
