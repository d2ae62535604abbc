/**
 * The xDS server against real clients nobody here wrote: @grpc/grpc-js-xds and gRPC C-core (Debian's
 * python3-grpcio). Backends are declared in VM files; the clients call xds:///<name>.test:50051.
 * XDS.md §5 item numbers are in the test names.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DaemonProcess, getJson } from '../integration/support/daemon.js';
import { Mesh } from './support/mesh.js';
import {
  XdsClientProcess,
  bootstrapFor,
  cCoreAvailable,
  clientKinds,
  type ClientKind,
  type RpcResult,
} from './support/clients.js';

const kinds = clientKinds();
if (process.env.TRIBUTARY_REQUIRE_CCORE === '1' && !kinds.includes('c-core')) {
  throw new Error(
    'TRIBUTARY_REQUIRE_CCORE=1 but /usr/bin/python3 cannot import grpc (apt-get install python3-grpcio)',
  );
}
if (!cCoreAvailable())
  process.stdout.write('gRPC C-core client skipped: /usr/bin/python3 cannot import grpc\n');

const servedBy = (r: RpcResult): string => (r.ok ? r.reply : `error ${r.code}`);

let mesh: Mesh;
beforeAll(async () => {
  mesh = await Mesh.start(3);
});
afterAll(async () => {
  await mesh?.close();
});

describe.each(kinds)('%s client', (kind: ClientKind) => {
  const prefix = kind === 'grpc-js' ? 'js' : 'cc';
  let client: XdsClientProcess | undefined;
  let nodes = 0;

  function connect(options: { ignoreResourceDeletion?: boolean } = {}): XdsClientProcess {
    nodes += 1;
    client = new XdsClientProcess(
      kind,
      bootstrapFor(mesh.xdsPort, { nodeId: `${prefix}-node-${nodes}`, ...options }),
    );
    return client;
  }

  afterEach(async () => {
    await client?.stop();
    client = undefined;
  });

  it('items 2, 22-28: the first call succeeds and calls round-robin across endpoints', async () => {
    const name = `${prefix}-rr`;
    mesh.declare(name, [{ backend: mesh.backend(1) }, { backend: mesh.backend(2) }]);
    const c = connect();
    await c.callUntil(Mesh.target(name), (r) => r.ok);
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(servedBy(await c.call(Mesh.target(name))));
    expect([...seen].sort()).toEqual(['backend:b1', 'backend:b2']);

    // What the operator sees: every type SYNCED, and the CLA the proxy holds with both backends.
    const status = await runCli(['proxy-status', '--api', mesh.url]);
    expect(status).toMatch(
      new RegExp(`${prefix}-node-${nodes}\\s+\\S.*\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+SYNCED`),
    );
    const dump = JSON.stringify(
      (await getJson(`${mesh.url}/debug/config_dump?node=${prefix}-node-${nodes}`)).body,
    );
    expect(dump).toContain(`"port_value":${mesh.backend(1).port}`);
    expect(dump).toContain(`"port_value":${mesh.backend(2).port}`);
    expect(dump).toContain(`outbound|50051||${name}.test.svc.cluster.local`);
  });

  it('items 10, 16: an added endpoint starts receiving calls; a removed one stops', async () => {
    const name = `${prefix}-churn`;
    mesh.declare(name, [{ backend: mesh.backend(1) }]);
    const c = connect();
    expect(servedBy(await c.callUntil(Mesh.target(name), (r) => r.ok))).toBe('backend:b1');

    mesh.declare(name, [{ backend: mesh.backend(1) }, { backend: mesh.backend(3) }]);
    await c.callUntil(Mesh.target(name), (r) => servedBy(r) === 'backend:b3');

    mesh.declare(name, [{ backend: mesh.backend(3) }]);
    // Converged when a run of calls sees only b3; b1 must never come back after that.
    await waitFor(async () => (await servedSet(c, name, 6)).join() === 'backend:b3');
    expect(await servedSet(c, name, 8)).toEqual(['backend:b3']);
  });

  it('item 27: an endpoint flipped unhealthy (or draining) gets no calls', async () => {
    const name = `${prefix}-health`;
    mesh.declare(name, [{ backend: mesh.backend(1) }, { backend: mesh.backend(2) }]);
    const c = connect();
    await c.callUntil(Mesh.target(name), (r) => servedBy(r) === 'backend:b1');
    mesh.declare(name, [
      { backend: mesh.backend(1), health: 'unhealthy' },
      { backend: mesh.backend(2), health: 'draining' },
      { backend: mesh.backend(3) },
    ]);
    await waitFor(async () => (await servedSet(c, name, 6)).join() === 'backend:b3');
    expect(await servedSet(c, name, 8)).toEqual(['backend:b3']);
  });

  it('item 17: withdrawing every endpoint fails calls fast instead of using stale endpoints', async () => {
    const name = `${prefix}-withdraw`;
    mesh.declare(name, [{ backend: mesh.backend(1) }]);
    const c = connect();
    await c.callUntil(Mesh.target(name), (r) => r.ok);
    mesh.declare(name, []);
    const failed = await c.callUntil(Mesh.target(name), (r) => !r.ok);
    expect(failed.ok).toBe(false);
  });

  it('items 6-8: an invalid change is NACKed, the last good config keeps serving, the fix is accepted', async () => {
    const name = `${prefix}-nack`;
    mesh.declare(name, [{ backend: mesh.backend(1) }]);
    const c = connect();
    await c.callUntil(Mesh.target(name), (r) => r.ok);
    const nacksBefore = await mesh.metric('tributary_xds_nacks_total', { type: 'cds' });

    // gRPC clients reject LEAST_REQUEST (XDS.md §3.1): a realistic bad change.
    const t0 = Date.now();
    const mark = (what: string): void =>
      void process.stdout.write(`${kind} nack: ${what} at ${Date.now() - t0} ms\n`);
    mesh.declare(name, [{ backend: mesh.backend(2) }], { 'tributary.io/lb-policy': 'LEAST_REQUEST' });
    await waitFor(
      async () => (await mesh.metric('tributary_xds_nacks_total', { type: 'cds' })) > nacksBefore,
    );
    const stream = (await mesh.syncz()).streams.find((s) => s.nodeId === `${prefix}-node-${nodes}`);
    const cds = stream?.types.find((t) => t.typeUrl.endsWith('Cluster'));
    expect(cds?.lastNack?.message).toMatch(/LEAST_REQUEST|lb_policy|LB policy/i);
    expect(cds?.ackedVersion).not.toBe(cds?.lastSentVersion);
    mark('NACK seen');
    // The cluster kept its last good config; EDS (not NACKed) moved to b2.
    await c.callUntil(Mesh.target(name), (r) => servedBy(r) === 'backend:b2');
    mark('EDS change served');
    const responsesAfterNack = await mesh.metric('tributary_xds_responses_total', { type: 'cds' });

    mesh.declare(name, [{ backend: mesh.backend(2) }], { 'tributary.io/lb-policy': 'ROUND_ROBIN' });
    await waitFor(async () => {
      const s = (await mesh.syncz()).streams.find((x) => x.nodeId === `${prefix}-node-${nodes}`);
      const t = s?.types.find((x) => x.typeUrl.endsWith('Cluster'));
      return t !== undefined && t.ackedVersion === t.lastSentVersion;
    });
    expect(await mesh.metric('tributary_xds_responses_total', { type: 'cds' })).toBeGreaterThan(
      responsesAfterNack,
    );
    expect(servedBy(await c.call(Mesh.target(name)))).toBe('backend:b2');
  });

  it('item 15: a removed service makes calls fail (the cluster is reported deleted)', async () => {
    const name = `${prefix}-gone`;
    mesh.declare(name, [{ backend: mesh.backend(1) }]);
    const c = connect();
    await c.callUntil(Mesh.target(name), (r) => r.ok);
    mesh.remove(name);
    const failed = await c.callUntil(Mesh.target(name), (r) => !r.ok);
    expect(failed.ok).toBe(false);
  });

  it('item 31: with ignore_resource_deletion a removed service keeps serving', async () => {
    const name = `${prefix}-keep`;
    mesh.declare(name, [{ backend: mesh.backend(1) }]);
    const c = connect({ ignoreResourceDeletion: true });
    await c.callUntil(Mesh.target(name), (r) => r.ok);
    const responses = await mesh.metric('tributary_xds_responses_total', { type: 'cds' });
    mesh.remove(name);
    await waitFor(
      async () => (await mesh.metric('tributary_xds_responses_total', { type: 'cds' })) > responses,
    );
    for (let i = 0; i < 5; i++) expect(servedBy(await c.call(Mesh.target(name)))).toBe('backend:b1');
  });

  it('items 29-30: after a daemon restart with different content the client follows it', async () => {
    const name = `${prefix}-restart`;
    mesh.declare(name, [{ backend: mesh.backend(1) }]);
    const c = connect();
    await c.callUntil(Mesh.target(name), (r) => servedBy(r) === 'backend:b1');
    const port = mesh.xdsPort;
    await mesh.daemon.stop();
    mesh.declare(name, [{ backend: mesh.backend(2) }]);
    await mesh.startDaemon(port);
    await c.callUntil(Mesh.target(name), (r) => servedBy(r) === 'backend:b2', 30_000);
  });
});

/** Runs the CLI and returns its stdout. */
async function runCli(args: string[]): Promise<string> {
  const p = DaemonProcess.spawn(args, mesh.ws.dir);
  expect(await p.exited).toBe(0);
  await new Promise((r) => setImmediate(r));
  return p.logs.map((l) => l.msg).join('\n');
}

/** Who served `count` calls, sorted and deduplicated. */
async function servedSet(c: XdsClientProcess, name: string, count: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(servedBy(await c.call(Mesh.target(name))));
  return [...seen].sort();
}

async function waitFor(test: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
