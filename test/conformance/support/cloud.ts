/**
 * One cloud of a federation test: a daemon with its file registry, peer sources and export policy on
 * fixed loopback HTTP ports (so peers can be configured before it starts and it can restart on the
 * same address), and helpers to declare `<name>.test` services on echo backends.
 */
import { createServer } from 'node:net';
import { hashSecret } from '../../../src/auth/tokens.js';
import { DaemonProcess, Workspace, getJson, waitForCatalog } from '../../integration/support/daemon.js';
import type { Backend } from './backends.js';

/** A free loopback TCP port (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The secret peer `importer` presents to cloud `exporter`. */
export const peerSecret = (importer: string, exporter: string): string => `secret-${importer}-at-${exporter}`;

export interface PeerLink {
  /** The exporting cloud. */
  readonly from: Cloud;
  /** Source name (the origin stamped on what it imports); default the exporting cloud's name. */
  readonly name?: string;
  readonly extra?: string;
  readonly token?: string;
}

export interface CloudSetup {
  /** Peers allowed to import from this cloud, with the namespaces each may import. */
  readonly exports?: readonly { readonly peer: string; readonly namespaces: readonly string[] }[];
  readonly imports?: readonly PeerLink[];
  readonly importedPriority?: number;
}

export interface ServiceJson {
  sources: string[];
  endpoints: { address: string; port: number; health: string; stale: boolean; sourceId: string }[];
}

export class Cloud {
  readonly ws = new Workspace();
  daemon: DaemonProcess | undefined;
  xdsPort = 0;

  private constructor(
    readonly name: string,
    readonly httpPort: number,
  ) {
    this.ws.write('vms/.keep.yaml', 'services: []\n');
  }

  static async create(name: string): Promise<Cloud> {
    return new Cloud(name, await freePort());
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** Writes the config and starts the daemon (again, on the same ports and data). */
  async start(setup: CloudSetup): Promise<void> {
    const tokens = (setup.exports ?? []).map(
      (e) =>
        `    - { name: ${e.peer}, sha256: ${hashSecret(peerSecret(e.peer, this.name))}, scopes: ["peer:${e.peer}"] }`,
    );
    const rules = (setup.exports ?? []).map(
      (e) => `    - { peer: ${e.peer}, namespaces: [${e.namespaces.map((n) => `"${n}"`).join(', ')}] }`,
    );
    const peers = (setup.imports ?? []).map(
      (link) => `  - kind: peer
    name: ${link.name ?? link.from.name}
    address: ${link.from.url}
    token: ${link.token ?? peerSecret(this.name, link.from.name)}
    heartbeatTimeout: 1s
    retryBase: 50ms
    retryMax: 300ms
${link.extra ?? ''}`,
    );
    const config = this.ws.write(
      'tributary.yaml',
      `dataDir: data
http: { host: 127.0.0.1, port: ${this.httpPort} }
grpc: { host: 127.0.0.1, port: ${this.xdsPort} }
log: { level: debug }
pipeline: { window: 10ms, retryBase: 50ms, retryMax: 200ms }
auth:
  tokens:
${tokens.join('\n') || '    []'}
federation:
  heartbeat: 200ms
  importedPriority: ${setup.importedPriority ?? 1}
  exports:
${rules.join('\n') || '    []'}
sources:
  - kind: file
    name: vms
    paths: [vms]
    debounceMs: 20
${peers.join('\n')}
`,
    );
    const { daemon } = await DaemonProcess.serve(config, this.ws.dir);
    this.daemon = daemon;
    const listening = await daemon.waitForLog((l) => l.msg === 'listening');
    this.xdsPort = Number(String(listening.grpc).split(':').pop());
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }

  /** Declares (or replaces) `<name>.<namespace>` on port 50051 served by these backends. */
  declare(
    name: string,
    backends: readonly { backend: Backend; health?: string }[],
    namespace = 'test',
  ): void {
    const lines = backends.map(
      ({ backend, health }) =>
        `      - { address: 127.0.0.1, id: ${this.name}-${backend.name}, ports: { grpc: ${backend.port} }, health: ${health ?? 'healthy'} }`,
    );
    this.ws.write(
      `vms/${namespace}-${name}.yaml`,
      `services:\n  - name: ${name}\n    namespace: ${namespace}\n    ports: [{ number: 50051, name: grpc, protocol: grpc }]\n    endpoints:\n${lines.join('\n') || '      []'}\n`,
    );
  }

  /** Waits until service `namespace/name` satisfies `test` (undefined: absent). */
  async until(
    namespace: string,
    name: string,
    test: (service: ServiceJson | undefined) => boolean,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 500 && Date.now() < deadline; i++) {
      const { status, body } = await getJson<ServiceJson>(`${this.url}/v1/services/${namespace}/${name}`);
      if (test(status === 200 ? body : undefined)) return;
      await new Promise((r) => setTimeout(r, 40));
    }
    throw new Error(`${this.name}: ${namespace}/${name} did not reach the expected state in ${timeoutMs} ms`);
  }

  /** Waits until source `id` satisfies `test`. */
  async untilSource(
    id: string,
    test: (source: { state: string; stale: boolean; lastError: string | null }) => boolean,
  ): Promise<{ state: string; stale: boolean; lastError: string | null }> {
    let found: { state: string; stale: boolean; lastError: string | null } | undefined;
    await waitForCatalog<{
      sources: { id: string; state: string; stale: boolean; lastError: string | null }[];
    }>(
      `${this.url}/v1/sources`,
      (body) => {
        found = body.sources.find((s) => s.id === id);
        return found !== undefined && test(found);
      },
      15_000,
    );
    return found!;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    this.ws.cleanup();
  }
}
