/** The CLI as a user meets it: validate, serve with a bad config, services and service tables. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DaemonProcess, Workspace, waitForCatalog } from './support/daemon.js';

async function run(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = DaemonProcess.spawn(args, cwd);
  const code = await p.exited;
  await new Promise((r) => setImmediate(r));
  return {
    code,
    stdout: p.logs.map((l) => (l.level === 'raw' ? l.msg : JSON.stringify(l))).join('\n'),
    stderr: p.stderr.join('\n'),
  };
}

const GOOD_VM = `services:
  - name: payments
    namespace: shop
    ports: [{ number: 8080, name: http, protocol: http }]
    endpoints:
      - { address: 10.0.0.1 }
      - { address: 10.0.0.2, health: draining }
`;

describe('tributary CLI', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = new Workspace();
  });
  afterEach(() => ws.cleanup());

  it('validate accepts a good config and its VM files', async () => {
    ws.write('vms/payments.yaml', GOOD_VM);
    const result = await run(['validate', ws.config()], ws.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('OK (1 source(s): file/vms)');
  });

  it('validate names the file, line, field and reason of a bad config', async () => {
    const file = ws.write('bad.yaml', 'sources:\n  - kind: file\n    name: vms\n    paths: []\n');
    const result = await run(['validate', file], ws.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.yaml:4:\d+: sources\[0\]\.paths: /);
  });

  it('validate names the VM file, line and field of a bad endpoint', async () => {
    ws.write('vms/payments.yaml', GOOD_VM.replace('10.0.0.2', 'not-an-ip'));
    const result = await run(['validate', ws.config()], ws.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /file\/vms: .*payments\.yaml:7:\d+: services\[0\]\.endpoints\[1\]\.address: .*not-an-ip/,
    );
  });

  it('serve refuses an invalid config with exit code 2 and the reason', async () => {
    const file = ws.write('bad.yaml', 'http: { port: 99999 }\nsourcez: []\n');
    const result = await run(['serve', '--config', file], ws.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TRB_CONFIG_INVALID');
    expect(result.stderr).toMatch(/bad\.yaml:1:\d+: http\.port: /);
    expect(result.stderr).toMatch(/unknown field\(s\) "sourcez"/);
  });

  it('services and service print readable tables from the REST API', async () => {
    ws.write('vms/payments.yaml', GOOD_VM);
    const { daemon, url } = await DaemonProcess.serve(ws.config(), ws.dir);
    try {
      await waitForCatalog<{ endpoints: unknown[] }>(
        `${url}/v1/services/shop/payments`,
        (s) => s.endpoints?.length === 2,
      );
      const list = await run(['services', '--api', url], ws.dir);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/NAMESPACE\s+NAME/);
      expect(list.stdout).toMatch(/shop\s+payments/);
      const one = await run(['service', 'shop/payments', '--api', url], ws.dir);
      expect(one.code).toBe(0);
      expect(one.stdout).toContain('payments.shop.svc.cluster.local');
      expect(one.stdout).toMatch(/10\.0\.0\.2\s+8080\s+8080\s+draining/);
      const missing = await run(['service', 'shop/nope', '--api', url], ws.dir);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('shop/nope');
    } finally {
      await daemon.stop();
    }
  });
});
