/**
 * Runs the built daemon (dist/) as a child process on random loopback ports with a temporary data
 * dir, as a user would: config file in, JSON logs out. Every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..');
const ENTRY = join(ROOT, 'dist', 'src', 'cli', 'index.js');
const START_TIMEOUT_MS = 20_000;

/** One JSON log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A scratch directory for one test: config, VM files, data dir. Removed by cleanup(). */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-it-'));
  readonly vmDir = join(this.dir, 'vms');
  readonly dataDir = join(this.dir, 'data');

  /** Writes a file relative to the workspace and returns its path. */
  write(relative: string, text: string): string {
    const path = join(this.dir, relative);
    mkdirSync(dirname(path), { recursive: true });
    // write-then-rename, as editors and config management do, so the watcher never reads half a file
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    return path;
  }

  /** A config file on random loopback ports with the file registry on ./vms. */
  config(extra = '', grpcPort = 0): string {
    return this.write(
      'tributary.yaml',
      `dataDir: data
http: { host: 127.0.0.1, port: 0 }
grpc: { host: 127.0.0.1, port: ${grpcPort} }
log: { level: debug }
pipeline: { window: 10ms, retryBase: 50ms, retryMax: 200ms }
sources:
  - kind: file
    name: vms
    paths: [vms]
    debounceMs: 20
${extra}`,
    );
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A running daemon process. */
export class DaemonProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly waiters = new Set<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { msg: line, level: 'raw' };
      }
      this.logs.push(parsed);
      for (const w of this.waiters) {
        if (w.test(parsed)) {
          this.waiters.delete(w);
          w.resolve(parsed);
        }
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }

  /** Spawns `tributary <args>`. */
  static spawn(args: string[], cwd: string): DaemonProcess {
    return new DaemonProcess(
      spawn(process.execPath, [ENTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
  }

  /** Starts `serve --config <file>` and resolves with the HTTP base URL once it listens. */
  static async serve(configFile: string, cwd: string): Promise<{ daemon: DaemonProcess; url: string }> {
    const daemon = DaemonProcess.spawn(['serve', '--config', configFile], cwd);
    const listening = await daemon.waitForLog((l) => l.msg === 'listening');
    return { daemon, url: String(listening.http) };
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(test: (l: LogLine) => boolean, timeoutMs = START_TIMEOUT_MS): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const waiter = { test, resolve: (l: LogLine) => (clearTimeout(timer), res(l)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        rej(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.join('\n')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        rej(new Error(`daemon exited with ${code} before the log line; stderr: ${this.stderr.join('\n')}`));
      });
    });
  }

  /** SIGTERM and wait for exit (bounded). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 15_000).unref());
    const outcome = await Promise.race([this.exited, timeout]);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error('daemon did not stop within 15 s of SIGTERM');
    }
    return outcome;
  }
}

/** GET JSON with the X-Tributary-Index header. */
export async function getJson<T>(url: string): Promise<{ status: number; index: number; body: T }> {
  const res = await fetch(url);
  return {
    status: res.status,
    index: Number(res.headers.get('x-tributary-index')),
    body: (await res.json()) as T,
  };
}

/** Polls a predicate through a blocking query loop until it holds (bounded by count and time). */
export async function waitForCatalog<T>(
  url: string,
  test: (body: T) => boolean,
  timeoutMs = 10_000,
): Promise<{ index: number; body: T }> {
  const deadline = Date.now() + timeoutMs;
  let index = 0;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const res = await getJson<T>(index > 0 ? `${url}${sep}index=${index}&wait=1s` : url);
    if (res.status === 200 && test(res.body)) return { index: res.index, body: res.body };
    index = res.index;
  }
  throw new Error(`catalog at ${url} did not reach the expected state within ${timeoutMs} ms`);
}
