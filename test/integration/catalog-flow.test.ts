/**
 * The walking skeleton end to end, as a user drives it: VM files in, the daemon process in the
 * middle, REST, blocking queries and the SSE watch out.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DaemonProcess, Workspace, getJson, waitForCatalog } from './support/daemon.js';
import { SseClient } from './support/sse.js';

interface EndpointJson {
  address: string;
  port: number;
  health: string;
  stale: boolean;
  sourceId: string;
  origins: { sourceId: string; instanceId: string }[];
}
interface ServiceJson {
  namespace: string;
  name: string;
  hostname: string;
  endpoints: EndpointJson[];
  revision: number;
}
interface SourcesJson {
  sources: { id: string; state: string; lastError: string | null; stale: boolean; services: number }[];
}

function paymentsYaml(addresses: string[]): string {
  return `services:
  - name: payments
    namespace: shop
    ports: [{ number: 8080, name: http, protocol: http }]
    endpoints:
${addresses.map((a) => `      - { address: ${a}, locality: { region: eu-west-1, zone: eu-west-1a } }`).join('\n')}
`;
}

describe('VM files → catalog → REST', () => {
  let ws: Workspace;
  let daemon: DaemonProcess | undefined;
  let sse: SseClient | undefined;

  beforeEach(() => {
    ws = new Workspace();
    ws.write('vms/payments.yaml', paymentsYaml(['10.0.0.1']));
  });

  afterEach(async () => {
    sse?.close();
    sse = undefined;
    await daemon?.stop();
    daemon = undefined;
    ws.cleanup();
  });

  it('serves a VM file as a service with its endpoints and their provenance', async () => {
    const started = await DaemonProcess.serve(ws.config(), ws.dir);
    daemon = started.daemon;
    const { body } = await waitForCatalog<ServiceJson>(
      `${started.url}/v1/services/shop/payments`,
      (s) => s.endpoints?.length === 1,
    );
    expect(body.hostname).toBe('payments.shop.svc.cluster.local');
    expect(body.endpoints[0]).toMatchObject({
      address: '10.0.0.1',
      port: 8080,
      health: 'healthy',
      stale: false,
      sourceId: 'file/vms',
    });
    expect(body.endpoints[0]!.origins[0]!.sourceId).toBe('file/vms');
    const list = await getJson<{ services: { name: string }[] }>(`${started.url}/v1/services?namespace=shop`);
    expect(list.body.services.map((s) => s.name)).toEqual(['payments']);
  });

  it('delivers an edit to REST, to a pending blocking query and to the SSE watch', async () => {
    const started = await DaemonProcess.serve(ws.config(), ws.dir);
    daemon = started.daemon;
    const url = `${started.url}/v1/services/shop/payments`;
    const first = await waitForCatalog<ServiceJson>(url, (s) => s.endpoints?.length === 1);

    sse = new SseClient(`${started.url}/v1/watch?since=${first.index}`);
    expect((await sse.opened).headers.get('content-type')).toMatch(/^text\/event-stream/);
    const blocked = fetch(`${url}?index=${first.index}&wait=30s`);

    const editedAt = Date.now();
    ws.write('vms/payments.yaml', paymentsYaml(['10.0.0.1', '10.0.0.2']));

    const res = await blocked;
    const latencyMs = Date.now() - editedAt;
    const index = Number(res.headers.get('x-tributary-index'));
    const body = (await res.json()) as ServiceJson;
    expect(index).toBeGreaterThan(first.index);
    expect(body.endpoints.map((e) => e.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    process.stdout.write(`edit → blocking query answered in ${latencyMs} ms\n`);

    const change = await sse.until((e) => e.event === 'change');
    expect(Number(change.id)).toBe(index);
    const data = JSON.parse(change.data) as {
      services: { name: string; op: string; service?: ServiceJson }[];
    };
    expect(data.services).toEqual([expect.objectContaining({ name: 'payments', op: 'upsert' })]);
    expect(data.services[0]!.service!.endpoints).toHaveLength(2);
  });

  it('keeps the last good data of a broken file and shows the error with file and line', async () => {
    const started = await DaemonProcess.serve(ws.config(), ws.dir);
    daemon = started.daemon;
    const url = `${started.url}/v1/services/shop/payments`;
    const first = await waitForCatalog<ServiceJson>(url, (s) => s.endpoints?.length === 1);

    ws.write('vms/payments.yaml', paymentsYaml(['10.0.0.1', '10.0.0.999']));
    const sources = await waitForCatalog<SourcesJson>(
      `${started.url}/v1/sources`,
      (b) => b.sources[0]?.state === 'degraded',
    );
    expect(sources.body.sources[0]!.lastError).toMatch(/payments\.yaml:\d+:\d+: .*endpoints\[1\]\.address/);
    expect(sources.body.sources[0]!.lastError).toContain('10.0.0.999');

    const after = await getJson<ServiceJson>(url);
    expect(after.body.endpoints.map((e) => e.address)).toEqual(['10.0.0.1']);
    expect(after.body.revision).toBe(first.body.revision);

    ws.write('vms/payments.yaml', paymentsYaml(['10.0.0.1', '10.0.0.3']));
    const fixed = await waitForCatalog<ServiceJson>(url, (s) => s.endpoints?.length === 2);
    expect(fixed.body.endpoints.map((e) => e.address)).toEqual(['10.0.0.1', '10.0.0.3']);
    const healthy = await getJson<SourcesJson>(`${started.url}/v1/sources`);
    expect(healthy.body.sources[0]).toMatchObject({ state: 'synced', lastError: null });
  });

  it('stops cleanly on SIGTERM and logs the last revision', async () => {
    const started = await DaemonProcess.serve(ws.config(), ws.dir);
    await waitForCatalog<ServiceJson>(
      `${started.url}/v1/services/shop/payments`,
      (s) => s.endpoints?.length === 1,
    );
    expect(await started.daemon.stop('SIGTERM')).toBe(0);
    expect(started.daemon.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
