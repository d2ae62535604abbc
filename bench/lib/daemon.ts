/**
 * The daemon under test: the built CLI (dist/src/cli/index.js) as a separate process, pinned to core
 * 0 when taskset exists, with a generated config (ports 0, data dir in the run's temp dir, file
 * registry on the run's VM directory). Ports come from the `listening` log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { nowMs } from '../proxy/protocol.js';
import { pinned, sleep, track } from './proc.js';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'dist', 'src', 'cli', 'index.js');

/** Settings of the generated config. Durations in ms; undefined = the daemon's default. */
export interface DaemonSettings {
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
  readonly pipelineWindowMs?: number;
  /** The file source's debounce (ms without file-system events before re-reading). */
  readonly fileDebounceMs: number;
}

/** Defaults of the daemon (README configuration reference), for reporting D. */
export const DAEMON_DEFAULTS = { debounceMs: 30, maxDelayMs: 500, pipelineWindowMs: 20 } as const;

/** Writes `<dir>/tributary.yaml` and returns its path. Log level info: `listening` is an info line. */
export function writeConfig(dir: string, settings: DaemonSettings): string {
  const xds: string[] = [];
  if (settings.debounceMs !== undefined) xds.push(`debounce: ${settings.debounceMs}ms`);
  if (settings.maxDelayMs !== undefined) xds.push(`maxDelay: ${settings.maxDelayMs}ms`);
  const text = [
    'dataDir: data',
    'http: { host: 127.0.0.1, port: 0 }',
    'grpc: { host: 127.0.0.1, port: 0 }',
    'log: { level: info }',
    ...(settings.pipelineWindowMs !== undefined
      ? [`pipeline: { window: ${settings.pipelineWindowMs}ms }`]
      : []),
    ...(xds.length > 0 ? [`xds: { ${xds.join(', ')} }`] : []),
    'sources:',
    '  - kind: file',
    '    name: bench',
    '    paths: [vms]',
    `    debounceMs: ${settings.fileDebounceMs}`,
    '',
  ].join('\n');
  const path = join(dir, 'tributary.yaml');
  writeFileSync(path, text);
  return path;
}

type LogLine = Record<string, unknown> & { msg?: string; level?: number | string };

/** A running daemon process. */
export class DaemonProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  readonly spawnedAt: number;
  /** Monotonic ms at which the `listening` line arrived. */
  listeningAt = -1;
  http = '';
  grpc = '';
  private readonly waiters = new Set<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();

  private constructor(
    readonly child: ChildProcess,
    spawnedAt: number,
  ) {
    this.spawnedAt = spawnedAt;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { msg: line, level: 'raw' };
      }
      if (this.logs.length < 10_000) this.logs.push(parsed);
      for (const w of this.waiters) {
        if (w.test(parsed)) {
          this.waiters.delete(w);
          w.resolve(parsed);
        }
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (this.stderr.length < 1000) this.stderr.push(line);
    });
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Spawns `serve --config <file>` (pinned to `core`) and waits for the listening line. */
  static async start(
    configFile: string,
    cwd: string,
    core: number | undefined,
    timeoutMs = 60_000,
    profileDir?: string,
  ): Promise<DaemonProcess> {
    // --cpu-prof writes a .cpuprofile on clean exit (SIGTERM -> stop): for the closing note's profiles
    const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    const [command, args] = pinned(core, process.execPath, [
      ...nodeArgs,
      ENTRY,
      'serve',
      '--config',
      configFile,
    ]);
    const spawnedAt = nowMs();
    const child = track(spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    const daemon = new DaemonProcess(child, spawnedAt);
    try {
      const listening = await daemon.waitForLog((l) => l.msg === 'listening', timeoutMs);
      daemon.listeningAt = nowMs();
      daemon.http = String(listening.http);
      daemon.grpc = String(listening.grpc);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  waitForLog(test: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const waiter = { test, resolve: (l: LogLine) => (clearTimeout(timer), res(l)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        rej(
          new Error(`daemon: no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.join('\n')}`),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        rej(new Error(`daemon exited with ${code}; stderr: ${this.stderr.join('\n')}`));
      });
    });
  }

  /** Polls GET /readyz every `everyMs` until 200 (bounded); returns the monotonic time it answered 200. */
  async waitReady(timeoutMs: number, everyMs = 5): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.http}/readyz`);
        await res.arrayBuffer();
        if (res.status === 200) return nowMs();
      } catch {
        // not up yet
      }
      await sleep(everyMs);
    }
    throw new Error(`daemon not ready within ${timeoutMs} ms`);
  }

  /** SIGTERM, bounded wait, then SIGKILL. Never throws. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 20_000).unref());
    const outcome = await Promise.race([this.exited, timeout]);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, sleep(2000)]);
      return null;
    }
    return outcome;
  }
}

/** Prometheus text → { metric name (with labels) → value }, plus sums per metric name. */
export async function scrapeMetrics(http: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) continue;
    const [, name, labels, value] = match;
    const v = Number(value);
    out.set(`${name}${labels ?? ''}`, v);
    out.set(name!, (out.get(name!) ?? 0) + (Number.isFinite(v) ? v : 0));
  }
  return out;
}

/** Sum of a metric over its series (0 when absent). Histogram buckets are keyed with their labels. */
export function metric(m: Map<string, number>, name: string): number {
  return m.get(name) ?? 0;
}

/** Quantile estimate of a histogram from the delta of two scrapes (linear inside the bucket). */
export function histogramQuantile(
  before: Map<string, number>,
  after: Map<string, number>,
  name: string,
  q: number,
): number {
  const buckets: { le: number; count: number }[] = [];
  for (const [key, value] of after) {
    const match = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(key);
    if (!match) continue;
    const le = match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]);
    buckets.push({ le, count: value - (before.get(key) ?? 0) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
