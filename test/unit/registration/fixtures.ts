/** Registrations and principals for the registration tests. */
import type { Principal } from '../../../src/auth/scopes.js';
import type { Registration } from '../../../src/model/registration.js';
import type { RegistrationInput } from '../../../src/registration/service.js';

/** A registration input with sensible defaults. */
export function anInput(overrides: Partial<RegistrationInput> = {}): RegistrationInput {
  const id = overrides.id ?? 'vm-1';
  return {
    id,
    namespace: 'shop',
    service: 'payments',
    address: '10.0.0.1',
    ports: [{ name: 'http', number: 8080, servicePort: 8080, protocol: 'http' }],
    labels: {},
    tags: [],
    locality: { region: '', zone: '', subzone: '' },
    weight: 1,
    warningWeight: 1,
    ttlMs: undefined,
    graceMs: undefined,
    status: 'passing',
    note: '',
    api: 'native',
    checkId: `service:${id}`,
    ...overrides,
  };
}

/** A stored registration with sensible defaults (ttl 1000 ms, grace 500 ms, heartbeat at 10 000). */
export function aRegistration(overrides: Partial<Registration> = {}): Registration {
  const { ttlMs, graceMs, ...input } = anInput(overrides as Partial<RegistrationInput>);
  return {
    ...input,
    ttlMs: ttlMs === undefined ? 1000 : ttlMs,
    graceMs: graceMs ?? 500,
    owner: 'test',
    registeredAt: 10_000,
    lastHeartbeatAt: 10_000,
    ...overrides,
  };
}

/** A principal with these scopes. */
export function aPrincipal(...scopes: string[]): Principal {
  return { name: `token-${scopes.join('-') || 'none'}`, scopes: new Set(scopes) };
}
