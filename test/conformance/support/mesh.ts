/**
 * One conformance world: the built daemon (file registry on a temp dir), loopback echo backends and
 * helpers to declare services in VM files, as a user would.
 */
import { DaemonProcess, Workspace, getJson } from '../../integration/support/daemon.js';
import { startBackend, type Backend } from './backends.js';

export interface VmEndpoint {
  readonly backend: Backend;
  readonly health?: 'healthy' | 'unhealthy' | 'draining' | 'unknown';
}

/** A running daemon plus backends; close() stops everything. */
export class Mesh {
  readonly ws = new Workspace();
  daemon!: DaemonProcess;
  url = '';
  xdsPort = 0;
  private readonly backends: Backend[] = [];

  /** Starts `count` backends and the daemon. */
  static async start(count: number): Promise<Mesh> {
    const mesh = new Mesh();
    for (let i = 1; i <= count; i++) mesh.backends.push(await startBackend(`b${i}`));
    mesh.ws.write('vms/.keep.yaml', 'services: []\n');
    await mesh.startDaemon();
    return mesh;
  }

  backend(i: number): Backend {
    return this.backends[i - 1]!;
  }

  /** Stops the daemon and starts it again on the same xDS port, as after an upgrade. */
  async restart(): Promise<void> {
    await this.daemon.stop();
    await this.startDaemon(this.xdsPort);
  }

  async startDaemon(grpcPort = 0): Promise<void> {
    const started = await DaemonProcess.serve(this.ws.config('', grpcPort), this.ws.dir);
    this.daemon = started.daemon;
    this.url = started.url;
    const listening = await this.daemon.waitForLog((l) => l.msg === 'listening');
    this.xdsPort = Number(String(listening.grpc).split(':').pop());
  }

  /** Declares (or replaces) service `<name>.test` on port 50051 with these endpoints. */
  declare(name: string, endpoints: readonly VmEndpoint[], labels: Record<string, string> = {}): void {
    const lines = endpoints.map(
      (e) =>
        `      - { address: 127.0.0.1, id: ${e.backend.name}, ports: { grpc: ${e.backend.port} }, health: ${e.health ?? 'healthy'} }`,
    );
    const labelText = Object.entries(labels)
      .map(([k, v]) => `${k}: "${v}"`)
      .join(', ');
    this.ws.write(
      `vms/${name}.yaml`,
      `services:\n  - name: ${name}\n    namespace: test\n    labels: { ${labelText} }\n    ports: [{ number: 50051, name: grpc, protocol: grpc }]\n    endpoints:\n${lines.join('\n') || '      []'}\n`,
    );
  }

  /** Removes the VM file of a service. */
  remove(name: string): void {
    this.ws.write(`vms/${name}.yaml`, 'services: []\n');
  }

  /** The xDS target of a declared service. */
  static target(name: string): string {
    return `xds:///${name}.test:50051`;
  }

  /** GET /debug/syncz. */
  async syncz(): Promise<SynczJson> {
    return (await getJson<SynczJson>(`${this.url}/debug/syncz`)).body;
  }

  /** One metric's value summed over its series (0 when absent). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      if (Object.entries(labels).every(([k, v]) => (match[2] ?? '').includes(`${k}="${v}"`)))
        total += Number(match[3]);
    }
    return total;
  }

  async close(): Promise<void> {
    await this.daemon?.stop().catch(() => undefined);
    for (const b of this.backends) await b.stop();
    this.ws.cleanup();
  }
}

export interface SynczJson {
  streams: {
    nodeId: string;
    userAgent: string;
    types: {
      typeUrl: string;
      names: string[];
      lastSentVersion: string | null;
      ackedVersion: string | null;
      lastNack: { version: string; nonce: string; message: string } | null;
    }[];
  }[];
}
