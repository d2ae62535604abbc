/**
 * Real xDS clients in their own processes (so each gets its own bootstrap): grpc-js-xds under node,
 * gRPC C-core under Debian's /usr/bin/python3 when python3-grpcio imports there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLIENTS = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'clients');
const DEBIAN_PYTHON = '/usr/bin/python3';

/** The outcome of one RPC as the client saw it. */
export type RpcResult = { ok: true; reply: string } | { ok: false; code: number; details: string };

export type ClientKind = 'grpc-js' | 'c-core';

/** True when Debian's python3 can import grpc (python3-grpcio installed). */
export function cCoreAvailable(): boolean {
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import grpc'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

/** The client kinds to run: grpc-js always; C-core when importable (CI installs it). */
export function clientKinds(): ClientKind[] {
  return cCoreAvailable() ? ['grpc-js', 'c-core'] : ['grpc-js'];
}

/** A gRPC xDS bootstrap pointing at the daemon. grpc-js needs node.locality (XDS.md §3.1). */
export function bootstrapFor(
  xdsPort: number,
  options: { nodeId?: string; ignoreResourceDeletion?: boolean } = {},
): string {
  return JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: options.ignoreResourceDeletion ? ['ignore_resource_deletion'] : [],
      },
    ],
    node: {
      id: options.nodeId ?? 'conformance-client',
      cluster: 'test',
      locality: { region: 'eu-west-1', zone: 'eu-west-1a' },
    },
  });
}

/** One client process; `call` sends an RPC and resolves with what the client saw. */
export class XdsClientProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (r: RpcResult) => void>();
  private nextId = 0;
  readonly stderr: string[] = [];

  constructor(
    readonly kind: ClientKind,
    bootstrap: string,
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap };
    delete env.GRPC_XDS_BOOTSTRAP;
    this.child =
      kind === 'grpc-js'
        ? spawn(process.execPath, [join(CLIENTS, 'grpc-js-client.mjs')], {
            env,
            stdio: ['pipe', 'pipe', 'pipe'],
          })
        : spawn(DEBIAN_PYTHON, [join(CLIENTS, 'ccore_client.py')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { id: number } & RpcResult;
      const resolve = this.pending.get(parsed.id);
      this.pending.delete(parsed.id);
      resolve?.(parsed);
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  /** One unary RPC to `target` with a deadline. */
  call(target: string, deadlineMs = 3000): Promise<RpcResult> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `${this.kind} client gave no answer within ${deadlineMs + 5000} ms: ${this.stderr.slice(-5).join('\n')}`,
          ),
        );
      }, deadlineMs + 5000);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin!.write(`${JSON.stringify({ id, target, deadlineMs })}\n`);
    });
  }

  /** Calls until `test` holds for a result (bounded by count and time); returns that result. */
  async callUntil(target: string, test: (r: RpcResult) => boolean, timeoutMs = 20_000): Promise<RpcResult> {
    const deadline = Date.now() + timeoutMs;
    let last: RpcResult | undefined;
    for (let i = 0; i < 400 && Date.now() < deadline; i++) {
      last = await this.call(target, 1000);
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.kind}: no matching result within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }

  /** Ends the process (bounded). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
