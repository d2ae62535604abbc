/**
 * REST load through Debian's `wrk` (closed loop, keep-alive, one thread on the generator's core). The
 * figure reported is req/s at p99 <= the latency bound: start at 64 connections and step down until
 * p99 fits.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpuMs, track } from './proc.js';

export interface WrkResult {
  readonly connections: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** wrk's CPU share of one core over the run (validity: must stay below 70 %). */
  readonly generatorCpu: number;
}

let available: boolean | undefined;

/** True when `wrk` is on PATH. */
export function wrkAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      available = true;
    } catch (error) {
      // wrk --version exits 1 after printing its banner; ENOENT means missing
      available = (error as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }
  return available;
}

function toMs(text: string): number {
  const match = /^([0-9.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const v = Number(match[1]);
  return match[2] === 'us' ? v / 1000 : match[2] === 'ms' ? v : match[2] === 's' ? v * 1000 : v * 60_000;
}

/** One wrk run (bounded: wrk's own duration plus a kill timer). */
export function runWrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '2s', url], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let out = '';
    let cpu = Number.NaN;
    const started = Date.now();
    const sampler = setInterval(() => {
      const c = cpuMs(child.pid!);
      if (Number.isFinite(c)) cpu = c;
    }, 250);
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 10) * 1000);
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', (error) => {
      clearInterval(sampler);
      clearTimeout(killer);
      reject(error);
    });
    child.once('exit', () => {
      clearInterval(sampler);
      clearTimeout(killer);
      const wall = Date.now() - started;
      const rps = Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? Number.NaN);
      const p50 = /\s50%\s+(\S+)/.exec(out)?.[1];
      const p99 = /\s99%\s+(\S+)/.exec(out)?.[1];
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const socketErrors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      if (!Number.isFinite(rps)) {
        reject(new Error(`wrk output not understood: ${out.slice(0, 400)}`));
        return;
      }
      resolve({
        connections,
        rps,
        p50Ms: p50 ? toMs(p50) : Number.NaN,
        p99Ms: p99 ? toMs(p99) : Number.NaN,
        non2xx,
        socketErrors,
        generatorCpu: cpu / wall,
      });
    });
  });
}

/** req/s at p99 <= boundMs: 64, 16, 4, 1 connections, the first that fits; all runs are returned. */
export async function rpsAtP99(
  url: string,
  boundMs: number,
  seconds: number,
): Promise<{ best: WrkResult | undefined; runs: WrkResult[] }> {
  const runs: WrkResult[] = [];
  // warm-up (JIT, connection setup, first GCs): the first seconds of any server have a long tail
  await runWrk(url, 64, 2);
  for (const c of [64, 16, 4, 1]) {
    const r = await runWrk(url, c, seconds);
    runs.push(r);
    if (r.rps > 0 && r.p99Ms <= boundMs) return { best: r, runs };
  }
  return { best: undefined, runs };
}
