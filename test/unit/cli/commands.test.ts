import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { registerServiceCommand } from '../../../src/cli/commands/service.js';
import { registerServicesCommand } from '../../../src/cli/commands/services.js';
import { aCatalogEndpoint, aCatalogService, FakeCatalog } from '../../fakes/catalog.js';
import { startHarness, type Harness } from '../api/harness.js';
import { createTestIo, type TestIo } from './io.js';

const PAYMENTS = aCatalogService({
  namespace: 'shop',
  name: 'payments',
  labels: { team: 'pay' },
  ports: [
    { number: 8080, name: 'http', protocol: 'http' },
    { number: 9090, name: 'grpc', protocol: 'grpc' },
  ],
  sources: ['kubernetes/east', 'file/vms'],
  endpoints: [
    aCatalogEndpoint({
      address: '10.0.0.1',
      sourceId: 'kubernetes/east',
      origins: [
        { sourceId: 'kubernetes/east', instanceId: 'pod-1', cluster: 'east', network: '' },
        { sourceId: 'file/vms', instanceId: 'vm-1', cluster: '', network: '' },
      ],
    }),
    aCatalogEndpoint({
      address: '10.0.0.2',
      port: 9090,
      servicePort: 9090,
      health: 'draining',
      weight: 5,
      locality: { region: 'us-east-1', zone: '', subzone: '' },
      sourceId: 'file/vms',
      stale: true,
    }),
  ],
});
const BILLING = aCatalogService({ namespace: 'finance', name: 'billing', labels: { team: 'money' } });

function run(register: (program: Command, io: TestIo['io']) => Command, io: TestIo, args: string[]) {
  const program = new Command().exitOverride();
  register(program, io.io);
  return program.parseAsync(args, { from: 'user' });
}

describe('CLI read commands', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(new FakeCatalog([PAYMENTS, BILLING], undefined, { revision: 4 }));
  });
  afterEach(async () => {
    await harness.close();
  });

  it('prints the services table', async () => {
    const io = createTestIo();
    await run(registerServicesCommand, io, ['services', '--api', harness.url]);
    expect(io.exitCode).toBeUndefined();
    expect(io.out.join('')).toBe(
      [
        'NAMESPACE   NAME       PORTS                 ENDPOINTS   HEALTHY   SOURCES                    STALE',
        'finance     billing    8080/http             1           1         file/vms                   no',
        'shop        payments   8080/http,9090/grpc   2           1         kubernetes/east,file/vms   yes',
        '',
      ].join('\n'),
    );
  });

  it('passes --namespace and --selector, and uses TRIBUTARY_API', async () => {
    const io = createTestIo({ TRIBUTARY_API: `${harness.url}/` });
    await run(registerServicesCommand, io, ['services', '-n', 'shop', '--selector', 'team in (pay)']);
    expect(io.out.join('').split('\n').slice(1, -1)).toHaveLength(1);
    expect(io.out.join('')).toContain('payments');
  });

  it('reports the server error on stderr with exit code 1', async () => {
    const io = createTestIo();
    await run(registerServicesCommand, io, ['services', '--api', harness.url, '--selector', 'team in']);
    expect(io.out).toEqual([]);
    expect(io.exitCode).toBe(1);
    expect(io.err.join('')).toBe(
      'error: query.selector: expected "(" to open the value list, found the end of the selector (TRB_API_BAD_REQUEST, HTTP 400)\n',
    );
  });

  it('re-prints the table on every change with --watch until interrupted', async () => {
    const io = createTestIo();
    const done = run(registerServicesCommand, io, ['services', '--api', harness.url, '--watch']);
    await io.untilOutputs(1);
    await harness.catalog.untilSubscribers(1);
    harness.catalog.apply({ upsert: [aCatalogService({ namespace: 'shop', name: 'cart' })] });
    await io.untilOutputs(2);
    expect(io.out[1]).toMatch(/^\nNAMESPACE/);
    expect(io.out[1]).toContain('cart');
    io.interrupt();
    await done;
    expect(io.exitCode).toBeUndefined();
    await harness.catalog.untilSubscribers(0);
  });

  it('prints one service with its endpoints', async () => {
    const io = createTestIo();
    await run(registerServiceCommand, io, ['service', 'shop/payments', '--api', harness.url]);
    expect(io.exitCode).toBeUndefined();
    expect(io.out.join('')).toBe(
      [
        'Service:  shop/payments',
        'Hostname: payments.shop.svc.cluster.local',
        'Ports:    http:8080/http, grpc:9090/grpc',
        'Labels:   team=pay',
        'Sources:  kubernetes/east, file/vms',
        'Revision: 1',
        '',
        'ADDRESS    PORT   SERVICE-PORT   HEALTH     WEIGHT   LOCALITY               SOURCE                 STALE',
        '10.0.0.1   8080   8080           healthy    1        eu-west-1/eu-west-1a   kubernetes/east (+1)   no',
        '10.0.0.2   9090   9090           draining   5        us-east-1              file/vms               yes',
        '',
      ].join('\n'),
    );
  });

  it('reports a missing service', async () => {
    const io = createTestIo();
    await run(registerServiceCommand, io, ['service', 'shop/nope', '--api', harness.url]);
    expect(io.exitCode).toBe(1);
    expect(io.err.join('')).toBe('error: service "shop/nope" not found (TRB_API_NOT_FOUND, HTTP 404)\n');
  });

  it('rejects a reference without a namespace', async () => {
    const io = createTestIo();
    await run(registerServiceCommand, io, ['service', 'payments', '--api', harness.url]);
    expect(io.exitCode).toBe(1);
    expect(io.err.join('')).toBe('error: expected <namespace>/<name>, got "payments"\n');
  });

  it('says when the API cannot be reached', async () => {
    const io = createTestIo();
    const url = harness.url;
    await harness.close();
    await run(registerServicesCommand, io, ['services', '--api', url]);
    expect(io.exitCode).toBe(1);
    expect(io.err.join('')).toMatch(
      /^error: cannot reach Tributary at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    harness = await startHarness();
  });
});
