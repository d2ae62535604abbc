import { describe, expect, it } from '@jest/globals';
import {
  expiresAt,
  isExpired,
  isRemovable,
  nextTransition,
  registrationHealth,
  registrationWeight,
  removeAt,
} from '../../../src/model/registration.js';
import { aRegistration } from '../registration/fixtures.js';

describe('registration lifecycle (derived from persisted times)', () => {
  const r = aRegistration({ lastHeartbeatAt: 10_000, ttlMs: 1000, graceMs: 500 });

  it('expires ttl after the last heartbeat and is removable ttl + grace after it', () => {
    expect(expiresAt(r)).toBe(11_000);
    expect(removeAt(r)).toBe(11_500);
    expect([isExpired(r, 10_999), isExpired(r, 11_000)]).toEqual([false, true]);
    expect([isRemovable(r, 11_499), isRemovable(r, 11_500)]).toEqual([false, true]);
  });

  it('is healthy while passing or warning within the ttl, unhealthy once expired or critical', () => {
    expect(registrationHealth(r, 10_500)).toBe('healthy');
    expect(registrationHealth({ ...r, status: 'warning' }, 10_500)).toBe('healthy');
    expect(registrationHealth({ ...r, status: 'critical' }, 10_500)).toBe('unhealthy');
    expect(registrationHealth(r, 11_000)).toBe('unhealthy');
  });

  it('weighs a warning instance with its warning weight', () => {
    const weighted = { ...r, weight: 10, warningWeight: 2 };
    expect(registrationWeight(weighted)).toBe(10);
    expect(registrationWeight({ ...weighted, status: 'warning' })).toBe(2);
  });

  it('names the next self-driven transition: expiry, then removal, then none', () => {
    expect(nextTransition(r, 10_000)).toBe(11_000);
    expect(nextTransition(r, 11_000)).toBe(11_500);
    expect(nextTransition(r, 11_500)).toBeUndefined();
  });

  it('never expires without a ttl (a Consul service without a TTL check)', () => {
    const forever = { ...r, ttlMs: null };
    expect(expiresAt(forever)).toBeUndefined();
    expect(isRemovable(forever, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(registrationHealth(forever, Number.MAX_SAFE_INTEGER)).toBe('healthy');
    expect(nextTransition(forever, 0)).toBeUndefined();
  });
});
