import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { pino } from 'pino';
import { TokenBuckets } from '../../../src/auth/rate-limit.js';
import { hashSecret, TokenSet } from '../../../src/auth/tokens.js';
import {
  parsePortSpec,
  registerRegistrationCommands,
  registrationBodyOf,
} from '../../../src/cli/commands/register.js';
import { RegistrationService } from '../../../src/registration/service.js';
import { RegistrationStore } from '../../../src/registration/store.js';
import { startHarness, type Harness } from '../api/harness.js';
import { createTestIo, type TestIo } from './io.js';

describe('register command options', () => {
  it('reads port specs: number, name=number, name=number/protocol', () => {
    expect(parsePortSpec('8080')).toEqual({ number: 8080 });
    expect(parsePortSpec('http=8080/http')).toEqual({ name: 'http', number: 8080, protocol: 'http' });
    expect(() => parsePortSpec('http:8080')).toThrow(/--port: "http:8080" is not \[name=\]number/);
  });

  it('builds the native body', () => {
    expect(
      registrationBodyOf({
        api: 'x',
        id: 'vm-1',
        service: 'payments',
        namespace: 'shop',
        address: '10.0.0.1',
        port: ['http=8080/http'],
        label: ['version=v1', 'a=b=c'],
        ttl: '15s',
        zone: 'z1',
      }),
    ).toEqual({
      service: 'payments',
      namespace: 'shop',
      address: '10.0.0.1',
      ports: [{ name: 'http', number: 8080, protocol: 'http' }],
      labels: { version: 'v1', a: 'b=c' },
      locality: { region: '', zone: 'z1' },
      ttl: '15s',
    });
  });
});

describe('register, heartbeat, deregister commands', () => {
  let harness: Harness;
  let store: RegistrationStore;
  let service: RegistrationService;

  beforeEach(async () => {
    store = RegistrationStore.open(':memory:');
    service = new RegistrationService(store, {
      defaultTtlMs: 30_000,
      defaultGraceMs: 60_000,
      maxRegistrations: 100,
      logger: pino({ level: 'silent' }),
    });
    harness = await startHarness(undefined, {
      auth: {
        tokens: new TokenSet([{ name: 'vm', sha256: hashSecret('t0ken'), scopes: ['register:shop'] }]),
        buckets: new TokenBuckets({ perSecond: 1000, burst: 1000 }),
        readAuth: 'open',
      },
      registrations: {
        service,
        consul: { defaultNamespace: 'default', namespaceMetaKey: 'tributary-namespace' },
      },
    });
  });
  afterEach(async () => {
    await harness.close();
    service.stop();
    store.close();
  });

  function run(io: TestIo, args: string[]): Promise<unknown> {
    const program = new Command().exitOverride();
    registerRegistrationCommands(program, io.io);
    return program.parseAsync([...args, '--api', harness.url], { from: 'user' });
  }

  it('registers with $TRIBUTARY_TOKEN, heartbeats once and deregisters', async () => {
    const io = createTestIo({ TRIBUTARY_TOKEN: 't0ken' });
    await run(io, [
      'register',
      '--id',
      'vm-1',
      '--service',
      'payments',
      '--namespace',
      'shop',
      '--address',
      '10.0.0.1',
      '--port',
      'http=8080/http',
    ]);
    expect(io.exitCode).toBeUndefined();
    expect(io.out.join('')).toContain('registered vm-1: shop/payments at 10.0.0.1 (http=8080/http)');
    await run(io, ['heartbeat', 'vm-1', '--status', 'warning', '--note', 'slow']);
    expect(service.get('vm-1')).toMatchObject({ status: 'warning', note: 'slow' });
    await run(io, ['deregister', 'vm-1']);
    expect(io.out.at(-1)).toBe('deregistered vm-1\n');
    expect(service.list()).toEqual([]);
  });

  it('reports a refused write with the server’s message and exit code 1', async () => {
    const io = createTestIo();
    await run(io, [
      'register',
      '--id',
      'vm-1',
      '--service',
      'payments',
      '--namespace',
      'shop',
      '--address',
      '10.0.0.1',
      '--port',
      '80',
    ]);
    expect(io.exitCode).toBe(1);
    expect(io.err.join('')).toContain('a bearer token is required');
  });

  it('loops heartbeats until interrupted, and ends with an error once the registration is gone', async () => {
    const io = createTestIo({ TRIBUTARY_TOKEN: 't0ken' });
    await run(io, [
      'register',
      '--id',
      'vm-1',
      '--service',
      'payments',
      '--namespace',
      'shop',
      '--address',
      '10.0.0.1',
      '--port',
      '80',
    ]);
    const loop = run(io, ['heartbeat', 'vm-1', '--loop', '--interval', '20ms']);
    await io.untilOutputs(2);
    io.interrupt();
    await loop;
    expect(io.exitCode).toBeUndefined();
    expect(io.out.at(-1)).toMatch(/^heartbeat vm-1: stopped after \d+ heartbeat\(s\)\n$/);

    const gone = createTestIo({ TRIBUTARY_TOKEN: 't0ken' });
    service.deregister('vm-1', { name: 'test', scopes: new Set(['admin']) });
    await run(gone, ['heartbeat', 'vm-1', '--loop', '--interval', '20ms']);
    expect(gone.exitCode).toBe(1);
    expect(gone.err.join('')).toContain('registration "vm-1" not found');
  });
});
