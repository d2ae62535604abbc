/**
 * Nothing lost across restarts: the persisted catalog is served at once (stale) when a source cannot
 * sync, and a `kill -9` in the middle of a burst of file changes leaves a consistent database.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  TYPE_URLS,
  endpointPorts,
  namesOf,
  openAds,
  type SotwStream,
} from '../conformance/support/protocol-client.js';
import { DaemonProcess, Workspace, getJson, waitForCatalog } from './support/daemon.js';

interface ServiceJson {
  endpoints: { address: string; stale: boolean }[];
}
interface SourcesJson {
  sources: { id: string; state: string; lastError: string | null; stale: boolean }[];
}

function vmFile(count: number): string {
  const lines = Array.from({ length: count }, (_, i) => `      - { address: 10.0.1.${i + 1} }`);
  return `services:\n  - name: orders\n    ports: [{ number: 9000 }]\n    endpoints:\n${lines.join('\n')}\n`;
}

describe('durability', () => {
  let ws: Workspace;
  const daemons: DaemonProcess[] = [];

  beforeEach(() => {
    ws = new Workspace();
  });

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop('SIGKILL').catch(() => undefined);
    ws.cleanup();
  });

  async function serve(): Promise<string> {
    const { daemon, url } = await DaemonProcess.serve(ws.config(), ws.dir);
    daemons.push(daemon);
    return url;
  }

  /** The gRPC port of the last daemon started, from its `listening` line. */
  async function grpcPort(): Promise<number> {
    const listening = await daemons[daemons.length - 1]!.waitForLog((l) => l.msg === 'listening');
    return Number(String(listening.grpc).split(':').pop());
  }

  it('serves the last catalog from SQLite at once, marked stale, when the source cannot sync', async () => {
    ws.write('vms/orders.yaml', vmFile(2));
    let url = await serve();
    await waitForCatalog<ServiceJson>(`${url}/v1/services/default/orders`, (s) => s.endpoints?.length === 2);
    expect(await daemons.pop()!.stop()).toBe(0);

    renameSync(join(ws.dir, 'vms'), join(ws.dir, 'vms-unmounted'));
    url = await serve();
    const warm = await getJson<ServiceJson>(`${url}/v1/services/default/orders`);
    expect(warm.status).toBe(200);
    expect(warm.body.endpoints.map((e) => [e.address, e.stale])).toEqual([
      ['10.0.1.1', true],
      ['10.0.1.2', true],
    ]);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const sources = await waitForCatalog<SourcesJson>(
      `${url}/v1/sources`,
      (b) => b.sources[0]?.state !== 'syncing',
    );
    expect(sources.body.sources[0]).toMatchObject({ id: 'file/vms', stale: true });
    expect(sources.body.sources[0]!.lastError).toContain('vms');
    const still = await getJson<ServiceJson>(`${url}/v1/services/default/orders`);
    expect(still.body.endpoints).toHaveLength(2);

    renameSync(join(ws.dir, 'vms-unmounted'), join(ws.dir, 'vms'));
  });

  it('serves xDS from the stored catalog as soon as it listens after a restart, before any source syncs', async () => {
    ws.write('vms/orders.yaml', vmFile(2));
    ws.write('vms/billing.yaml', vmFile(3).replace('orders', 'billing').replaceAll('10.0.1.', '10.0.2.'));
    let url = await serve();
    await waitForCatalog<ServiceJson>(`${url}/v1/services/default/billing`, (s) => s.endpoints?.length === 3);
    await waitForCatalog<ServiceJson>(`${url}/v1/services/default/orders`, (s) => s.endpoints?.length === 2);
    expect(await daemons.pop()!.stop()).toBe(0);

    renameSync(join(ws.dir, 'vms'), join(ws.dir, 'vms-unmounted'));
    url = await serve();
    const orders = 'outbound|9000||orders.default.svc.cluster.local';
    const billing = 'outbound|9000||billing.default.svc.cluster.local';
    const stream: SotwStream = openAds(await grpcPort());
    try {
      // The first stream after the restart: every cluster, and a full CLA, never an empty or partial one.
      stream.request(TYPE_URLS.cluster, []);
      const cds = await stream.next();
      expect(namesOf(cds).sort()).toEqual([billing, orders]);
      stream.ack(cds);
      stream.request(TYPE_URLS.endpoint, [orders]);
      const eds = await stream.next();
      expect(namesOf(eds)).toEqual([orders]);
      expect(endpointPorts(eds.resources[0]!)).toEqual([9000, 9000]);
    } finally {
      stream.close();
    }
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    renameSync(join(ws.dir, 'vms-unmounted'), join(ws.dir, 'vms'));
  });

  it('leaves a consistent catalog after kill -9 during a burst of file changes', async () => {
    ws.write('vms/orders.yaml', vmFile(1));
    let url = await serve();
    await waitForCatalog<ServiceJson>(`${url}/v1/services/default/orders`, (s) => s.endpoints?.length === 1);

    let written = 1;
    for (; written <= 40; written++) {
      ws.write('vms/orders.yaml', vmFile(written));
      await new Promise((r) => setTimeout(r, 5));
      if (written === 25) daemons[0]!.child.kill('SIGKILL');
    }
    await daemons.pop()!.exited;

    url = await serve();
    const warm = await getJson<ServiceJson>(`${url}/v1/services/default/orders`);
    expect(warm.status).toBe(200);
    const count = warm.body.endpoints.length;
    // Whatever revision survived, it is one whole file state: addresses 1..count, nothing torn.
    expect(warm.body.endpoints.map((e) => e.address)).toEqual(
      Array.from({ length: count }, (_, i) => `10.0.1.${i + 1}`),
    );
    expect(count).toBeGreaterThanOrEqual(1);

    const synced = await waitForCatalog<ServiceJson>(
      `${url}/v1/services/default/orders`,
      (s) => s.endpoints?.length === 40,
    );
    expect(synced.body.endpoints.every((e) => !e.stale)).toBe(true);
  });
});
