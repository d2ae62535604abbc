import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { TributaryError } from '../../../src/errors.js';
import type { Registration } from '../../../src/model/registration.js';
import type { RegistrationMirror } from '../../../src/registration/mirror.js';
import { RegistrationService } from '../../../src/registration/service.js';
import { RegistrationStore } from '../../../src/registration/store.js';
import { RegistrationWriter } from '../../../src/registration/writer.js';
import { aPrincipal, anInput } from './fixtures.js';

const SHOP = aPrincipal('register:shop');

/** A mirror that records calls and fails while `down`. */
class RecordingMirror implements RegistrationMirror {
  readonly description = 'consul agent http://test';
  readonly calls: string[] = [];
  down = false;
  closed = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  private async record(what: string): Promise<void> {
    this.calls.push(what);
    await this.gate;
    if (this.down)
      throw new TributaryError('TRB_REGISTRY_UNREACHABLE', `${this.description}: connect ECONNREFUSED`);
  }
  put(r: Registration): Promise<void> {
    return this.record(`put ${r.id} ${r.status} ${r.address}`);
  }
  heartbeat(r: Registration): Promise<void> {
    return this.record(`heartbeat ${r.id} ${r.status} ${r.note}`);
  }
  remove(r: Registration): Promise<void> {
    return this.record(`remove ${r.id}`);
  }
  close(): void {
    this.closed = true;
  }
}

describe('RegistrationWriter (registrationStore: consul)', () => {
  let dir: string;
  let store: RegistrationStore;
  let service: RegistrationService;
  let mirror: RecordingMirror;
  let writer: RegistrationWriter;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-writer-'));
    store = RegistrationStore.open(join(dir, 'tributary.db'));
    const logger = pino({ level: 'silent' });
    service = new RegistrationService(store, {
      defaultTtlMs: 60_000,
      defaultGraceMs: 60_000,
      maxRegistrations: 10,
      logger,
      now: () => Date.now(), // Fake timers (one test) move it too.
    });
    service.start();
    mirror = new RecordingMirror();
    writer = new RegistrationWriter(service, mirror, logger);
  });
  afterEach(async () => {
    await writer.close();
    service.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes to Consul first, then commits locally; heartbeat and deregister pass through', async () => {
    const { created } = await writer.register(anInput(), SHOP);
    expect(created).toBe(true);
    expect(service.get('vm-1')).toBeDefined();
    await writer.heartbeat('vm-1', { status: 'warning', note: 'disk 91%' }, SHOP);
    expect(service.get('vm-1')).toMatchObject({ status: 'warning', note: 'disk 91%' });
    await writer.deregister('vm-1', SHOP);
    expect(service.get('vm-1')).toBeUndefined();
    expect(mirror.calls).toEqual([
      'put vm-1 passing 10.0.0.1',
      'heartbeat vm-1 warning disk 91%',
      'remove vm-1',
    ]);
  });

  it('commits nothing when Consul is down, and says where it failed', async () => {
    mirror.down = true;
    await expect(writer.register(anInput(), SHOP)).rejects.toThrow(
      /consul agent http:\/\/test: connect ECONNREFUSED/,
    );
    expect(service.get('vm-1')).toBeUndefined();
    expect(store.size).toBe(0);

    mirror.down = false;
    await writer.register(anInput(), SHOP);
    mirror.down = true;
    await expect(writer.heartbeat('vm-1', { status: 'critical' }, SHOP)).rejects.toMatchObject({
      code: 'TRB_REGISTRY_UNREACHABLE',
    });
    expect(service.get('vm-1')?.status).toBe('passing');
    await expect(writer.deregister('vm-1', SHOP)).rejects.toThrow(/ECONNREFUSED/);
    expect(service.get('vm-1')).toBeDefined();
  });

  it('checks scope and conflicts before writing anything to Consul', async () => {
    await expect(writer.register(anInput({ namespace: 'finance' }), SHOP)).rejects.toMatchObject({
      code: 'TRB_API_FORBIDDEN',
    });
    await expect(writer.heartbeat('nope', {}, SHOP)).rejects.toMatchObject({ code: 'TRB_API_NOT_FOUND' });
    await expect(writer.deregister('nope', SHOP)).rejects.toMatchObject({ code: 'TRB_API_NOT_FOUND' });
    expect(mirror.calls).toEqual([]);
  });

  it('runs writes one at a time, in arrival order', async () => {
    mirror.hold();
    const first = writer.register(anInput({ address: '10.0.0.1' }), SHOP);
    const second = writer.register(anInput({ address: '10.0.0.2' }), SHOP);
    await new Promise((resolve) => setImmediate(resolve));
    expect(mirror.calls).toEqual(['put vm-1 passing 10.0.0.1']);
    mirror.release();
    await Promise.all([first, second]);
    expect(mirror.calls).toEqual(['put vm-1 passing 10.0.0.1', 'put vm-1 passing 10.0.0.2']);
    expect(service.get('vm-1')?.address).toBe('10.0.0.2');
  });

  it('removes an expired registration from Consul too, and re-writes every registration on resync', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      await writer.register(anInput({ ttlMs: 1000, graceMs: 0 }), SHOP);
      await writer.register(anInput({ id: 'vm-2', checkId: 'service:vm-2' }), SHOP);
      jest.advanceTimersByTime(1500);
      await new Promise((resolve) => setImmediate(resolve));
      expect(service.get('vm-1')).toBeUndefined();
      expect(mirror.calls).toContain('remove vm-1');
      mirror.calls.length = 0;
      await writer.resync();
      expect(mirror.calls).toEqual(['put vm-2 passing 10.0.0.1']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('without a mirror it is the service itself (sqlite)', async () => {
    const plain = new RegistrationWriter(service, undefined, pino({ level: 'silent' }));
    expect(plain.store).toBe('sqlite');
    await plain.register(anInput(), SHOP);
    expect(service.get('vm-1')).toBeDefined();
    await plain.close();
  });
});
