/**
 * The floors of PERFORMANCE.md §3, measured in the same run as the daemon: fan-out of one buffer to
 * N receivers over raw TCP and over grpc-js (pre-serialised, passthrough serializer), and node:http
 * serving a cached body under the same REST load generator. Server pinned like the daemon, client
 * like the generator.
 */
import { IpcChild } from '../lib/child.js';
import { nowMs } from '../proxy/protocol.js';
import { quantile } from '../lib/stats.js';
import { rpsAtP99, wrkAvailable, type WrkResult } from '../lib/wrk.js';
import type { FloorClientCommand, FloorServerCommand } from './protocol.js';

export interface FanoutFloor {
  readonly kind: 'tcp' | 'grpc';
  readonly n: number;
  /** Receivers written per round. */
  readonly k: number;
  readonly size: number;
  readonly streamsPerConnection: number;
  readonly rounds: number;
  readonly failedRounds: number;
  /** Round time: first write -> last receiver had the bytes (ms). */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** Server CPU per write (µs), median over rounds (round CPU / k). */
  readonly serverCpuUsPerWrite: number;
  /** Generator CPU per round (ms), median. */
  readonly clientCpuMsPerRound: number;
  readonly setupMs: number;
  /** Server RSS growth per receiver after connecting (KiB). */
  readonly serverRssKiBPerStream: number;
}

export interface FanoutOptions {
  readonly kind: 'tcp' | 'grpc';
  readonly n: number;
  readonly ks: readonly number[];
  readonly size: number;
  readonly streamsPerConnection: number;
  readonly rounds: number;
  readonly serverCore: number | undefined;
}

/** One fan-out floor: starts server and client, connects n receivers, runs `rounds` per k. */
export async function fanoutFloor(o: FanoutOptions): Promise<FanoutFloor[]> {
  const server = IpcChild.start<FloorServerCommand>('floor-server', 'floors/server.js', o.serverCore);
  const client = IpcChild.start<FloorClientCommand>('floor-client', 'floors/client.js');
  try {
    const { port } = await server.request<{ port: number }>({ cmd: 'start', kind: o.kind });
    const rssBefore = await server.request<number>({ cmd: 'rss' });
    const t0 = nowMs();
    await client.request({
      cmd: 'connect',
      kind: o.kind,
      port,
      n: o.n,
      streamsPerConnection: o.streamsPerConnection,
    });
    const deadline = Date.now() + 60_000;
    while ((await server.request<number>({ cmd: 'count' })) < o.n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const setupMs = nowMs() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const serverRssKiBPerStream = ((await server.request<number>({ cmd: 'rss' })) - rssBefore) / 1024 / o.n;
    const bytes = o.kind === 'grpc' ? o.size + 5 : o.size;
    const results: FanoutFloor[] = [];
    for (const k of o.ks) {
      const times: number[] = [];
      const cpu: number[] = [];
      const clientCpu: number[] = [];
      let failed = 0;
      const warmup = 5;
      for (let r = 0; r < o.rounds + warmup; r++) {
        await client.request<number>({ cmd: 'arm', k, bytes });
        const cBefore = await client.request<number>({ cmd: 'cpu' });
        const round = await server.request<{ t0: number }>({ cmd: 'round', k, size: o.size });
        const last = await client.request<number>({ cmd: 'wait', timeoutMs: 10_000 }, 15_000);
        // let the server finish flushing before reading its CPU (it is otherwise idle)
        await new Promise((res) => setTimeout(res, 5));
        const serverCpu = await server.request<number>({ cmd: 'cpu' });
        const cAfter = await client.request<number>({ cmd: 'cpu' });
        if (r < warmup) continue;
        if (last < 0) {
          failed += 1;
          continue;
        }
        times.push(last - round.t0);
        cpu.push(serverCpu / k);
        clientCpu.push((cAfter - cBefore) / 1000);
        await new Promise((res) => setTimeout(res, 5));
      }
      results.push({
        kind: o.kind,
        n: o.n,
        k,
        size: o.size,
        streamsPerConnection: o.streamsPerConnection,
        rounds: times.length,
        failedRounds: failed,
        p50Ms: quantile(times, 0.5),
        p90Ms: quantile(times, 0.9),
        p99Ms: quantile(times, 0.99),
        serverCpuUsPerWrite: quantile(cpu, 0.5),
        clientCpuMsPerRound: quantile(clientCpu, 0.5),
        setupMs,
        serverRssKiBPerStream,
      });
    }
    return results;
  } finally {
    await client.close({ cmd: 'close' });
    await server.close({ cmd: 'stop' });
  }
}

export interface HttpFloor {
  readonly path: string;
  readonly bytes: number;
  readonly best: WrkResult | undefined;
  readonly runs: readonly WrkResult[];
}

/** node:http serving cached bodies of the given sizes; req/s at p99 <= boundMs per body. */
export async function httpFloor(
  bodies: Record<string, number>,
  serverCore: number | undefined,
  seconds: number,
  boundMs: number,
): Promise<HttpFloor[]> {
  if (!wrkAvailable()) return [];
  const server = IpcChild.start<FloorServerCommand>('http-floor', 'floors/server.js', serverCore);
  try {
    const { port } = await server.request<{ port: number }>({ cmd: 'start', kind: 'http', bodies });
    const out: HttpFloor[] = [];
    for (const [path, bytes] of Object.entries(bodies)) {
      const { best, runs } = await rpsAtP99(`http://127.0.0.1:${port}/${path}`, boundMs, seconds);
      out.push({ path, bytes, best, runs });
    }
    return out;
  } finally {
    await server.close({ cmd: 'stop' });
  }
}
