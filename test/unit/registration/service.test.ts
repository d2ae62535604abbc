import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { RegistrationChange } from '../../../src/model/registration.js';
import { RegistrationService, type RegistrationOptions } from '../../../src/registration/service.js';
import { RegistrationStore } from '../../../src/registration/store.js';
import { aPrincipal, anInput } from './fixtures.js';

const SHOP = aPrincipal('register:shop');
const ADMIN = aPrincipal('admin');

describe('RegistrationService', () => {
  let dir: string;
  let store: RegistrationStore;
  let service: RegistrationService;
  let changes: RegistrationChange[];
  let logs: Record<string, unknown>[];

  function open(options: Partial<RegistrationOptions> = {}): RegistrationService {
    store = RegistrationStore.open(join(dir, 'tributary.db'));
    logs = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    service = new RegistrationService(store, {
      defaultTtlMs: 1000,
      defaultGraceMs: 500,
      maxRegistrations: 3,
      logger,
      ...options,
    });
    changes = [];
    service.changes().subscribe((c) => changes.push(c));
    service.start();
    return service;
  }

  function close(): void {
    service.stop();
    store.close();
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: 100_000 });
    dir = mkdtempSync(join(tmpdir(), 'tributary-reg-'));
    open();
  });
  afterEach(() => {
    close();
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers with the default ttl and grace, renews on re-registration, keeps registeredAt', () => {
    expect(service.register(anInput(), SHOP)).toMatchObject({
      created: true,
      registration: { ttlMs: 1000, graceMs: 500, owner: SHOP.name, registeredAt: 100_000 },
    });
    jest.advanceTimersByTime(300);
    const again = service.register(anInput({ address: '10.0.0.9' }), SHOP);
    expect(again.created).toBe(false);
    expect(again.registration).toMatchObject({ registeredAt: 100_000, lastHeartbeatAt: 100_300 });
    expect(changes.map((c) => c.type)).toEqual(['upsert', 'upsert']);
  });

  it('refuses, writing nothing: a foreign namespace (403), an id of another namespace (409), a port conflict (409), the limit (507)', () => {
    service.register(anInput(), ADMIN);
    const refusals = [
      () => service.register(anInput({ id: 'x', namespace: 'finance' }), SHOP),
      () => service.register(anInput({ namespace: 'finance' }), ADMIN),
      () =>
        service.register(
          anInput({
            id: 'vm-2',
            ports: [{ name: 'http', number: 9090, servicePort: 9090, protocol: 'http' }],
          }),
          SHOP,
        ),
      () =>
        service.register(
          anInput({
            id: 'vm-2',
            ports: [{ name: 'web', number: 8080, servicePort: 8080, protocol: 'http' }],
          }),
          SHOP,
        ),
    ];
    const codes = refusals.map((refuse) => {
      try {
        refuse();
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    expect(codes).toEqual(['TRB_API_FORBIDDEN', 'TRB_API_CONFLICT', 'TRB_API_CONFLICT', 'TRB_API_CONFLICT']);
    service.register(anInput({ id: 'vm-2', address: '10.0.0.2' }), SHOP);
    service.register(anInput({ id: 'vm-3', address: '10.0.0.3' }), SHOP);
    expect(() => service.register(anInput({ id: 'vm-4' }), SHOP)).toThrow(
      expect.objectContaining({
        code: 'TRB_API_LIMIT',
        message: expect.stringContaining('maxRegistrations (3)'),
      }),
    );
    expect(service.list().map((r) => r.id)).toEqual(['vm-1', 'vm-2', 'vm-3']);
    expect(service.get('vm-1')?.namespace).toBe('shop');
  });

  it('heartbeats renew and may set status and note; heartbeat and deregister check scope and existence', () => {
    service.register(anInput(), SHOP);
    jest.advanceTimersByTime(200);
    expect(service.heartbeat('vm-1', { status: 'warning', note: 'slow' }, SHOP)).toMatchObject({
      status: 'warning',
      note: 'slow',
      lastHeartbeatAt: 100_200,
    });
    expect(service.heartbeat('vm-1', {}, SHOP)).toMatchObject({ status: 'warning', note: 'slow' });
    expect(() => service.heartbeat('vm-1', {}, aPrincipal('register:finance'))).toThrow(
      expect.objectContaining({ code: 'TRB_API_FORBIDDEN' }),
    );
    expect(() => service.heartbeat('nope', {}, SHOP)).toThrow(
      expect.objectContaining({ code: 'TRB_API_NOT_FOUND' }),
    );
    expect(() => service.deregister('vm-1', aPrincipal('read'))).toThrow(
      expect.objectContaining({ code: 'TRB_API_FORBIDDEN' }),
    );
    service.deregister('vm-1', SHOP);
    expect(service.list()).toEqual([]);
    expect(changes.at(-1)).toMatchObject({ type: 'delete', reason: 'deregistered' });
  });

  it('announces the ttl running out, then removes the registration after the grace, with a log line', () => {
    service.register(anInput(), SHOP);
    jest.advanceTimersByTime(999);
    expect(changes).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({ type: 'upsert', registration: { id: 'vm-1' } });
    jest.advanceTimersByTime(500);
    expect(changes[2]).toMatchObject({ type: 'delete', reason: 'expired' });
    expect(service.list()).toEqual([]);
    expect(logs.map((l) => l.msg)).toEqual([
      'registration missed its heartbeat; unhealthy',
      'registration expired; removed',
    ]);
  });

  it('a heartbeat before the deadline moves it; after expiry it brings the registration back', () => {
    service.register(anInput(), SHOP);
    jest.advanceTimersByTime(900);
    service.heartbeat('vm-1', {}, SHOP);
    jest.advanceTimersByTime(900);
    expect(changes.map((c) => c.type)).toEqual(['upsert', 'upsert']);
    jest.advanceTimersByTime(200);
    expect(changes).toHaveLength(3); // expired at 100_900 + 1000
    service.heartbeat('vm-1', {}, SHOP);
    jest.advanceTimersByTime(900);
    expect(service.list()).toHaveLength(1);
  });

  it('after a restart, removes what expired while down and keeps deadlines from the stored times', () => {
    service.register(anInput({ id: 'short', ttlMs: 200, graceMs: 100 }), SHOP);
    service.register(anInput({ id: 'long', address: '10.0.0.2', ttlMs: 1000, graceMs: 5000 }), SHOP);
    close();
    jest.setSystemTime(100_600);
    open();
    expect(service.list().map((r) => r.id)).toEqual(['long']);
    expect(logs.map((l) => [l.msg, l.id])).toEqual([['registration expired; removed', 'short']]);
    expect(changes).toMatchObject([{ type: 'delete', reason: 'expired', registration: { id: 'short' } }]);
    jest.advanceTimersByTime(399); // long expires at 101_000, from its stored heartbeat
    expect(changes).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(changes[1]).toMatchObject({ type: 'upsert', registration: { id: 'long' } });
  });

  it('finds a registration by its check id', () => {
    service.register(anInput({ checkId: 'custom' }), SHOP);
    expect(service.getByCheckId('custom')?.id).toBe('vm-1');
    expect(() =>
      service.register(anInput({ id: 'vm-2', address: '10.0.0.2', checkId: 'custom' }), SHOP),
    ).toThrow(expect.objectContaining({ code: 'TRB_API_CONFLICT' }));
  });
});
