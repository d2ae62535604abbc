/**
 * One run of one workload against a fresh daemon process: floors, daemon start, RSS at N = 0, proxies
 * connect, RSS at N, idle CPU window, churn through the file registry (warm-up, then the measured
 * window), drain, REST, optional cold start / reconnect storm; then the analysis. Every wait is
 * bounded; every process and socket is closed in `finally`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { analyze, type Analysis, type ChangeRecord } from './analyze.js';
import { fanoutFloor, httpFloor, type FanoutFloor, type HttpFloor } from './floors/index.js';
import { IpcChild } from './lib/child.js';
import {
  DAEMON_DEFAULTS,
  DaemonProcess,
  histogramQuantile,
  metric,
  scrapeMetrics,
  writeConfig,
  type DaemonSettings,
} from './lib/daemon.js';
import { coreJiffies, cpuMsPrecise, rssKiB, sleep, stealJiffies, tasksetPath } from './lib/proc.js';
import { newestProfile, summarizeProfile, type ProfileSummary } from './lib/profile.js';
import { rpsAtP99, wrkAvailable, type WrkResult } from './lib/wrk.js';
import type { FeedCollected, FeedCommand } from './lib/feed-worker.js';
import {
  nowMs,
  type Collected,
  type ConnectResult,
  type Mark,
  type WorkerCommand,
} from './proxy/protocol.js';
import {
  CatalogFiles,
  clusterOf,
  namespaceOf,
  rng,
  serviceName,
  subscriptions,
} from './workloads/catalog.js';
import { streamsPerConnection, type Workload } from './workloads/index.js';

export const DAEMON_CORE = 0;
export const GENERATOR_CORE = 1;
const FLOOR_SIZE = 3072;
const REST_BOUND_MS = 10;
const ELD_RESOLUTION_MS = 2;

export interface RunOptions {
  readonly settings: DaemonSettings;
  readonly floors: boolean;
  readonly rest: boolean;
  readonly restSeconds: number;
  readonly floorRounds: number;
  /** Keep the temp dir (for debugging). */
  readonly keep: boolean;
  /** Run the measured daemon with --cpu-prof into this directory. */
  readonly profileDir: string | undefined;
  readonly log: (line: string) => void;
}

export interface GeneratorReading {
  /** CPU of every generator process over the window, as a share of one core. */
  readonly cpuShare: number;
  /** Busy share of the generator's core (all processes on it). */
  readonly coreBusy: number;
  /** Busy share of the daemon's core not spent by the daemon (other load on core 0). */
  readonly daemonCoreOther: number;
  /** Worst event-loop delay p99 / max over generator processes (ms). */
  readonly eldP99Ms: number;
  readonly eldMaxMs: number;
  /** Event-loop delay p99 of the driver and of the change-feed worker alone, ms. */
  readonly driverEldP99Ms: number;
  readonly feedEldP99Ms: number;
}

export interface RestResult {
  readonly path: string;
  readonly bytes: number;
  readonly best: WrkResult | undefined;
  readonly runs: readonly WrkResult[];
}

export interface ColdStart {
  readonly endpoints: number;
  readonly toListeningMs: number;
  readonly toReadyMs: number;
  readonly rssKiB: number;
  /** Floors: an empty node process spawn -> exit; SQLite open + read + JSON.parse of every record. */
  readonly nodeSpawnMs: number;
  readonly sqliteReadMs: number;
  /** W5: all proxies fully configured, from the restart (spawn) and from the first connect. */
  readonly storm?: {
    readonly fromSpawnMs: number;
    readonly fromConnectMs: number;
    readonly ready: number;
    readonly streams: number;
    /** CPU shares of one core during the storm: the generator's (valid below 70 %) and the daemon's. */
    readonly generatorCpuShare: number;
    readonly daemonCpuShare: number;
  };
}

export interface RunResult {
  readonly workload: Workload;
  readonly run: number;
  readonly startedAt: string;
  readonly settings: DaemonSettings & {
    readonly D: number;
    readonly maxDelay: number;
    readonly window: number;
  };
  readonly machine: {
    readonly node: string;
    readonly cpu: string;
    readonly cores: number;
    readonly pinned: boolean;
    readonly stealJiffies: number;
  };
  readonly floors: {
    readonly tcp: FanoutFloor[];
    readonly grpc: FanoutFloor[];
    readonly http: HttpFloor[];
    readonly grpcRssKiBPerStream: number;
  };
  readonly daemon: {
    readonly pid: number;
    readonly toListeningMs: number;
    readonly toReadyMs: number;
    readonly catalogLoadedMs: number;
    readonly rss0KiB: number;
    readonly rssNKiB: number;
    readonly rssPerProxyKiB: number;
    readonly idleCpuShare: number;
    readonly idleCpuShareNoProxies: number;
    /** Daemon CPU per change with no proxy connected (ingest: registry, pipeline, catalog, encode, feed). */
    readonly ingestCpuMsPerChange: number;
    readonly exitCode: number | null;
  };
  readonly connect: ConnectResult & { readonly durationMs: number };
  readonly window: {
    readonly ms: number;
    readonly changes: number;
    readonly daemonCpuMs: number;
    readonly netCpuMs: number;
    readonly responsesMetric: number;
    readonly encodes: number;
    readonly pushP50Ms: number;
    readonly pushP99Ms: number;
    readonly generator: GeneratorReading;
    /** Time after the last change until the feed showed every change and the proxies went quiet. */
    readonly drainMs: number;
  };
  readonly analysis: Analysis;
  readonly nacks: number;
  readonly rest: {
    readonly oneService?: RestResult;
    readonly catalog?: RestResult;
    readonly underChurn?: RestResult;
    readonly skipped?: string;
  };
  readonly coldStart?: ColdStart;
  /** Component breakdown of the measured daemon's --cpu-prof (only with --daemon-prof). */
  readonly profile?: ProfileSummary;
  readonly errors: string[];
}

type Fleet = IpcChild<WorkerCommand>;

function generatorCpuMs(workers: readonly Fleet[]): number {
  return cpuMsPrecise(process.pid) + workers.reduce((a, w) => a + cpuMsPrecise(w.pid), 0);
}

/** Runs one workload once. Throws only on setup failures; measurement failures land in the result. */
export async function runWorkload(w: Workload, run: number, o: RunOptions): Promise<RunResult> {
  const log = o.log;
  const errors: string[] = [];
  const ws = mkdtempSync(join(tmpdir(), `tributary-bench-${w.name}-`));
  const shape = {
    services: w.services,
    endpoints: w.endpoints,
    namespaces: w.namespaces,
    domain: 'svc.cluster.local',
  };
  const files = new CatalogFiles(join(ws, 'vms'), shape);
  const spc = streamsPerConnection(w.mode);
  const sub = subscriptions(w.proxies, w.subs, w.services, w.seed);
  const subscribersPerService = new Float64Array(w.services);
  for (const s of sub.subs) subscribersPerService[s] = subscribersPerService[s]! + 1;
  const kMean = Math.max(1, Math.round((w.proxies * Math.min(w.subs, w.services)) / w.services));
  const steal0 = stealJiffies();
  const mainEld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  mainEld.enable();
  let daemon: DaemonProcess | undefined;
  const workers: Fleet[] = [];
  let feed: IpcChild<FeedCommand> | undefined;
  try {
    files.writeAll();
    const config = writeConfig(ws, o.settings);

    // ---- floors (before the daemon exists, same core layout)
    const floors = {
      tcp: [] as FanoutFloor[],
      grpc: [] as FanoutFloor[],
      http: [] as HttpFloor[],
      grpcRssKiBPerStream: Number.NaN,
    };
    if (o.floors && w.floors) {
      const ks = [...new Set([w.proxies, Math.min(kMean, w.proxies)])];
      log(`  floors: tcp fan-out to ${ks.join(' / ')} of ${w.proxies} sockets`);
      floors.tcp = await fanoutFloor({
        kind: 'tcp',
        n: w.proxies,
        ks,
        size: FLOOR_SIZE,
        streamsPerConnection: 1,
        rounds: o.floorRounds,
        serverCore: DAEMON_CORE,
      });
      log(`  floors: grpc-js fan-out to ${ks.join(' / ')} of ${w.proxies} streams (${spc}/connection)`);
      floors.grpc = await fanoutFloor({
        kind: 'grpc',
        n: w.proxies,
        ks,
        size: FLOOR_SIZE,
        streamsPerConnection: spc,
        rounds: o.floorRounds,
        serverCore: DAEMON_CORE,
      });
      floors.grpcRssKiBPerStream = floors.grpc[0]?.serverRssKiBPerStream ?? Number.NaN;
    }

    // ---- daemon
    log(`  daemon: start on ${w.services} files (${w.services * w.endpoints} endpoints)`);
    const daemonStartedWall = Date.now();
    daemon = await DaemonProcess.start(config, ws, DAEMON_CORE, 60_000, o.profileDir);
    const readyAt = await daemon.waitReady(120_000, 20);
    const expected = w.services * w.endpoints;
    const loadDeadline = Date.now() + 180_000;
    let loadedAt = -1;
    while (Date.now() < loadDeadline) {
      const m = await scrapeMetrics(daemon.http);
      if (metric(m, 'tributary_catalog_endpoints') >= expected) {
        loadedAt = nowMs();
        break;
      }
      await sleep(100);
    }
    if (loadedAt < 0) throw new Error(`catalog did not reach ${expected} endpoints`);
    await sleep(w.settleMs);
    // idle CPU with no proxy, after the post-load work (resource build, GC) has settled
    const idleNone0 = cpuMsPrecise(daemon.pid);
    const idleNoneT0 = nowMs();
    await sleep(Math.min(w.idleWindowMs, 4000));
    const idleNoneShare = (cpuMsPrecise(daemon.pid) - idleNone0) / (nowMs() - idleNoneT0);

    // ---- the catalog change feed, followed by a process of its own (parsing whole services must not
    // delay the driver); open from here on, so its cost is in every window alike
    const injectedSeq = new Int32Array(w.services).fill(-1);
    feed = IpcChild.start<FeedCommand>('feed-worker', 'lib/feed-worker.js');
    const since = Number((await fetch(`${daemon.http}/v1/sources`)).headers.get('x-tributary-index'));
    await feed.request({
      cmd: 'open',
      http: daemon.http,
      // one stream per namespace: a reader that falls 8 MB behind is dropped by the daemon, and a
      // resume replays the backlog; split feeds keep both small
      namespaces: Array.from({ length: Math.min(w.namespaces, w.services) }, (_, n) => `ns${n}`),
      services: w.services,
      since,
    });
    const feedRef = feed;
    const committed = async (): Promise<boolean> => {
      const seen = await feedRef.request<Int32Array>({ cmd: 'seen' });
      return injectedSeq.every((q, i) => q <= seen[i]!);
    };
    const pick = rng(w.seed + 1);
    const pickService = (): number => (w.services === 1 ? 0 : Math.floor(pick() * w.services));
    const interval = w.rate > 0 ? 1000 / w.rate : 0;

    // ---- ingest calibration: the same churn with no proxy connected (file registry + pipeline +
    // catalog + encode + change feed), so the xDS share of the churn window can be told apart
    let ingestCpuMsPerChange = Number.NaN;
    if (w.calibrationChanges > 0 && w.rate > 0) {
      log(`  calibration: ${w.calibrationChanges} changes at ${w.rate}/s with no proxy connected`);
      const c0 = cpuMsPrecise(daemon.pid);
      const t0 = nowMs();
      for (let c = 0; c < w.calibrationChanges; c++) {
        const wait = t0 + c * interval - nowMs();
        if (wait > 1) await sleep(wait);
        const service = pickService();
        injectedSeq[service] = files.change(service);
      }
      const wait = t0 + w.calibrationChanges * interval - nowMs();
      if (wait > 1) await sleep(wait);
      // the daemon may lag behind (ingest slower than the rate): count its CPU until it caught up
      const caughtUp = await drain(o, [], committed);
      const ms = nowMs() - t0;
      ingestCpuMsPerChange = (cpuMsPrecise(daemon.pid) - c0 - idleNoneShare * ms) / w.calibrationChanges;
      if (caughtUp < 0) errors.push('calibration: the daemon did not catch up within the drain bound');
    }

    // ---- RSS at N = 0 (after the calibration churn, so both readings follow the same history)
    const rss0 = await steadyRss(daemon.pid, w.settleMs);

    // ---- proxies
    const names = Array.from({ length: w.services }, (_, i) => clusterOf(i, shape));
    const perWorker = Math.ceil(w.proxies / Math.max(1, w.workers) / spc) * spc;
    const totalChanges = w.warmupChanges + w.changes;
    for (let first = 0, k = 0; first < w.proxies; first += perWorker, k++) {
      const count = Math.min(perWorker, w.proxies - first);
      const offsets = sub.offsets.slice(first, first + count + 1).map((v) => v - sub.offsets[first]!);
      const subsSlice = sub.subs.slice(sub.offsets[first]!, sub.offsets[first + count]!);
      const avgDeliveries = Math.ceil((totalChanges * count * Math.min(w.subs, w.services)) / w.services);
      const worker = IpcChild.start<WorkerCommand>(`proxy-worker-${k}`, 'proxy/worker.js');
      workers.push(worker);
      await worker.request({
        cmd: 'init',
        init: {
          target: daemon.grpc,
          names,
          subs: subsSlice,
          subOffsets: offsets,
          streamBase: first,
          nodePrefix: `bench-${w.name}`,
          cds: w.cds,
          streamsPerConnection: spc,
          logCapacity: count * 8 + Math.ceil(avgDeliveries * 2) + 10_000,
          resourceCapacity: count * Math.min(w.subs, w.services) * 4 + Math.ceil(avgDeliveries * 2) + 10_000,
        },
      });
    }
    log(
      `  proxies: connecting ${w.proxies} (${w.mode}, ${spc} stream(s)/connection, ${workers.length} worker(s))`,
    );
    const connects = await Promise.all(
      workers.map((wk) =>
        wk.request<ConnectResult>(
          { cmd: 'connect', concurrency: w.mode === 'real' ? 64 : 16, timeoutMs: 120_000 },
          150_000,
        ),
      ),
    );
    const connect = mergeConnects(connects);
    if (connect.ready < connect.streams)
      errors.push(`only ${connect.ready} of ${connect.streams} proxies got their initial config`);
    log(`  proxies: ${connect.ready}/${connect.streams} configured in ${connect.durationMs.toFixed(0)} ms`);
    const rssN = await steadyRss(daemon.pid, w.settleMs);

    // ---- idle CPU with every proxy connected
    const idle0 = cpuMsPrecise(daemon.pid);
    const idleT0 = nowMs();
    await sleep(w.idleWindowMs);
    const idleShare = (cpuMsPrecise(daemon.pid) - idle0) / (nowMs() - idleT0);

    // ---- churn
    const changes: ChangeRecord[] = [];
    let windowStart: Snapshot | undefined;
    let windowEnd: Snapshot | undefined;
    let restUnderChurn: RestResult | undefined;
    let drainMs = 0;
    if (totalChanges > 0) {
      log(`  churn: ${w.warmupChanges} warm-up + ${w.changes} measured changes at ${w.rate}/s`);
      const t0 = nowMs();
      const hardStop = Date.now() + (totalChanges * interval + 60_000);
      for (let c = 0; c < totalChanges && Date.now() < hardStop; c++) {
        const due = t0 + c * interval;
        const wait = due - nowMs();
        if (wait > 1) await sleep(wait);
        if (c === w.warmupChanges) windowStart = await snapshot(daemon, workers, feed, mainEld);
        const service = pickService();
        const seq = files.change(service);
        injectedSeq[service] = seq;
        changes.push({ service, seq, injectMs: nowMs(), measured: c >= w.warmupChanges });
      }
      const endDue = t0 + totalChanges * interval;
      const rest = endDue - nowMs();
      if (rest > 1) await sleep(rest);
      windowEnd = await snapshot(daemon, workers, feed, mainEld);

      // REST under churn: a phase of its own after the measured window (wrk shares the generator's
      // core with the proxies, so it must not overlap the latency window); the churn goes on meanwhile
      if (w.restUnderChurn && o.rest && w.rest && wrkAvailable()) {
        log(`  REST under churn (${w.rate} changes/s go on)`);
        let churning = true;
        const churn = (async () => {
          const t1 = nowMs();
          for (let c = 0; churning && c < 100_000; c++) {
            const wait = t1 + c * interval - nowMs();
            if (wait > 1) await sleep(wait);
            const service = pickService();
            const seq = files.change(service);
            injectedSeq[service] = seq;
            changes.push({ service, seq, injectMs: nowMs(), measured: false });
          }
        })();
        try {
          restUnderChurn = await restRun(daemon.http, restTarget(shape), o.restSeconds);
        } finally {
          churning = false;
          await churn;
        }
      }
      drainMs = await drain(o, workers, committed);
      if (drainMs < 0)
        errors.push('the daemon did not catch up with the injected changes within the drain bound');
    }

    // ---- REST (after churn, quiet catalog)
    const restResults: RunResult['rest'] = await measureRest(daemon.http, shape, w, o, restUnderChurn);

    // ---- collect
    const collected = await Promise.all(
      workers.map((wk) => wk.request<Collected>({ cmd: 'collect' }, 120_000)),
    );
    const finalMetrics = await scrapeMetrics(daemon.http);
    const nacks = metric(finalMetrics, 'tributary_xds_nacks_total');
    const fed = await feed.request<FeedCollected>({ cmd: 'collect' }, 60_000);
    errors.push(...fed.errors);
    await feed.close({ cmd: 'close' });
    feed = undefined;
    const serviceRevisions = fed.serviceRevisions;
    const commits = new Map(fed.commits);
    for (const wk of workers) await wk.close({ cmd: 'close' });
    workers.length = 0;
    const exitCode = await daemon.stop();
    const profileFile =
      o.profileDir === undefined ? undefined : newestProfile(o.profileDir, daemonStartedWall);
    const profile =
      profileFile === undefined
        ? undefined
        : summarizeProfile(
            profileFile,
            windowStart && windowEnd ? { start: windowStart.time, end: windowEnd.time } : undefined,
          );
    const pid = daemon.pid;
    const toListeningMs = daemon.listeningAt - daemon.spawnedAt;
    const toReadyMs = readyAt - daemon.spawnedAt;
    const catalogLoadedMs = loadedAt - daemon.spawnedAt;
    daemon = undefined;

    // ---- node:http floor: cached bodies of 8 KB (PERFORMANCE.md §3.6) and of the catalog list's size
    if (o.floors && w.floors && o.rest && w.rest && wrkAvailable()) {
      log('  floors: node:http cached bodies under wrk');
      const big = restResults.catalog?.bytes ?? 0;
      const one = restResults.oneService?.bytes ?? 0;
      floors.http = await httpFloor(
        { small: 8192, ...(one > 0 ? { one } : {}), ...(big > 0 ? { big } : {}) },
        DAEMON_CORE,
        o.restSeconds,
        REST_BOUND_MS,
      );
    }

    // ---- cold start / reconnect storm on the same data dir
    let coldStart: ColdStart | undefined;
    if (w.coldStart || w.reconnectStorm) {
      coldStart = await measureColdStart(ws, config, w, names, sub, spc, log);
    }

    log(`  analysing ${collected.reduce((a, c) => a + c.log.length, 0)} logged responses`);
    const analysis = analyze({
      services: w.services,
      proxies: w.proxies,
      subs: sub.subs,
      subOffsets: sub.offsets,
      changes,
      serviceRevisions,
      commits,
      collected,
      window: windowStart && windowEnd ? { start: windowStart.time, end: windowEnd.time } : undefined,
    });
    const windowMs = windowStart && windowEnd ? windowEnd.time - windowStart.time : 0;
    const daemonCpuMs = windowStart && windowEnd ? windowEnd.daemonCpu - windowStart.daemonCpu : Number.NaN;
    const generator = windowStart && windowEnd ? generatorReading(windowStart, windowEnd) : emptyReading();
    return {
      workload: w,
      run,
      startedAt: new Date().toISOString(),
      settings: {
        ...o.settings,
        D: o.settings.debounceMs ?? DAEMON_DEFAULTS.debounceMs,
        maxDelay: o.settings.maxDelayMs ?? DAEMON_DEFAULTS.maxDelayMs,
        window: o.settings.pipelineWindowMs ?? DAEMON_DEFAULTS.pipelineWindowMs,
      },
      machine: {
        node: process.version,
        cpu: cpus()[0]?.model ?? '?',
        cores: cpus().length,
        pinned: tasksetPath() !== undefined,
        stealJiffies: stealJiffies() - steal0,
      },
      floors,
      daemon: {
        pid,
        toListeningMs,
        toReadyMs,
        catalogLoadedMs,
        rss0KiB: rss0,
        rssNKiB: rssN,
        rssPerProxyKiB: (rssN - rss0) / w.proxies,
        idleCpuShare: idleShare,
        idleCpuShareNoProxies: idleNoneShare,
        ingestCpuMsPerChange,
        exitCode,
      },
      connect,
      window: {
        ms: windowMs,
        changes: changes.filter((c) => c.measured).length,
        daemonCpuMs,
        netCpuMs: daemonCpuMs - idleShare * windowMs,
        responsesMetric: windowStart && windowEnd ? windowEnd.responses - windowStart.responses : Number.NaN,
        encodes: windowStart && windowEnd ? windowEnd.encodes - windowStart.encodes : Number.NaN,
        pushP50Ms:
          windowStart && windowEnd
            ? 1000 *
              histogramQuantile(windowStart.metrics, windowEnd.metrics, 'tributary_xds_push_seconds', 0.5)
            : Number.NaN,
        pushP99Ms:
          windowStart && windowEnd
            ? 1000 *
              histogramQuantile(windowStart.metrics, windowEnd.metrics, 'tributary_xds_push_seconds', 0.99)
            : Number.NaN,
        generator,
        drainMs,
      },
      analysis,
      nacks,
      rest: restResults,
      ...(coldStart ? { coldStart } : {}),
      ...(profile ? { profile } : {}),
      errors,
    };
  } finally {
    mainEld.disable();
    await feed?.close({ cmd: 'close' });
    for (const wk of workers) await wk.close({ cmd: 'close' });
    await daemon?.stop();
    if (!o.keep) rmSync(ws, { recursive: true, force: true });
  }
}

/**
 * Waits (bounded, 120 s) until the change feed shows every injected change, then for the xDS pushes:
 * maxDelay + 0.5 s, then until the proxies saw no new response for 1 s. Returns the time waited (ms)
 * or -1 when the bound was hit.
 */
async function drain(
  o: RunOptions,
  workers: readonly Fleet[],
  committed: () => Promise<boolean>,
): Promise<number> {
  const t0 = nowMs();
  const deadline = Date.now() + 120_000;
  let done = await committed();
  while (!done && Date.now() < deadline) {
    await sleep(100);
    done = await committed();
  }
  if (!done) return -1;
  await sleep((o.settings.maxDelayMs ?? DAEMON_DEFAULTS.maxDelayMs) + 500);
  let last = -1;
  while (Date.now() < deadline) {
    const marks = await Promise.all(
      workers.map((wk) => wk.request<{ counters: { responses: number } }>({ cmd: 'status' })),
    );
    const responses = marks.reduce((a, m) => a + m.counters.responses, 0);
    if (responses === last) return nowMs() - t0;
    last = responses;
    await sleep(1000);
  }
  return -1;
}

/** Median of 5 VmRSS readings over the last 2 s of an idle period of `ms`. */
async function steadyRss(pid: number, ms: number): Promise<number> {
  await sleep(Math.max(0, ms - 2000));
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssKiB(pid));
    await sleep(500);
  }
  return readings.sort((a, b) => a - b)[2]!;
}

function mergeConnects(results: readonly ConnectResult[]): ConnectResult & { durationMs: number } {
  const startMs = Math.min(...results.map((r) => r.startMs));
  const allReady = results.every((r) => r.readyMs >= 0);
  const readyMs = allReady ? Math.max(...results.map((r) => r.readyMs)) : -1;
  return {
    startMs,
    readyMs,
    ready: results.reduce((a, r) => a + r.ready, 0),
    streams: results.reduce((a, r) => a + r.streams, 0),
    connections: results.reduce((a, r) => a + r.connections, 0),
    errors: results.flatMap((r) => r.errors),
    durationMs: allReady ? readyMs - startMs : Number.NaN,
  };
}

interface Snapshot {
  readonly time: number;
  readonly daemonCpu: number;
  readonly generatorCpu: number;
  readonly core: { busy: number; total: number };
  readonly core0: { busy: number; total: number };
  readonly marks: Mark[];
  readonly mainEldP99: number;
  readonly mainEldMax: number;
  readonly feedEldP99: number;
  readonly feedEldMax: number;
  readonly metrics: Map<string, number>;
  readonly responses: number;
  readonly encodes: number;
}

async function snapshot(
  daemon: DaemonProcess,
  workers: readonly Fleet[],
  feed: IpcChild<FeedCommand> | undefined,
  eld: ReturnType<typeof monitorEventLoopDelay>,
): Promise<Snapshot> {
  const time = nowMs();
  const daemonCpu = cpuMsPrecise(daemon.pid);
  const generatorCpu = generatorCpuMs(workers) + (feed ? cpuMsPrecise(feed.pid) : 0);
  const core = coreJiffies(GENERATOR_CORE);
  const core0 = coreJiffies(DAEMON_CORE);
  const mainEldP99 = eld.count > 0 ? Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS) : 0;
  const mainEldMax = eld.count > 0 ? Math.max(0, eld.max / 1e6 - ELD_RESOLUTION_MS) : 0;
  eld.reset();
  const marks = await Promise.all(workers.map((wk) => wk.request<Mark>({ cmd: 'mark' })));
  const feedMark = feed
    ? await feed.request<{ eldP99Ms: number; eldMaxMs: number }>({ cmd: 'mark' })
    : undefined;
  const metrics = await scrapeMetrics(daemon.http);
  return {
    time,
    daemonCpu,
    generatorCpu,
    core,
    core0,
    marks,
    mainEldP99,
    mainEldMax,
    feedEldP99: feedMark?.eldP99Ms ?? 0,
    feedEldMax: feedMark?.eldMaxMs ?? 0,
    metrics,
    responses: metric(metrics, 'tributary_xds_responses_total'),
    encodes: metric(metrics, 'tributary_xds_encodes_total'),
  };
}

function generatorReading(a: Snapshot, b: Snapshot): GeneratorReading {
  const ms = b.time - a.time;
  return {
    cpuShare: (b.generatorCpu - a.generatorCpu) / ms,
    coreBusy: (b.core.busy - a.core.busy) / Math.max(1, b.core.total - a.core.total),
    daemonCoreOther:
      (b.core0.busy - a.core0.busy) / Math.max(1, b.core0.total - a.core0.total) -
      (b.daemonCpu - a.daemonCpu) / ms,
    eldP99Ms: Math.max(b.mainEldP99, b.feedEldP99, ...b.marks.map((m) => m.eldP99Ms)),
    eldMaxMs: Math.max(b.mainEldMax, b.feedEldMax, ...b.marks.map((m) => m.eldMaxMs)),
    driverEldP99Ms: b.mainEldP99,
    feedEldP99Ms: b.feedEldP99,
  };
}

function emptyReading(): GeneratorReading {
  return {
    cpuShare: Number.NaN,
    coreBusy: Number.NaN,
    daemonCoreOther: Number.NaN,
    eldP99Ms: Number.NaN,
    eldMaxMs: Number.NaN,
    driverEldP99Ms: Number.NaN,
    feedEldP99Ms: Number.NaN,
  };
}

/** The REST service target: the first service (its endpoints are the workload's endpoints per service). */
function restTarget(shape: {
  namespaces: number;
  services: number;
  endpoints: number;
  domain: string;
}): string {
  return `/v1/services/${namespaceOf(0, shape)}/${serviceName(0)}`;
}

async function restRun(http: string, path: string, seconds: number): Promise<RestResult | undefined> {
  const url = `${http}${path}`;
  const bytes = (await (await fetch(url)).arrayBuffer()).byteLength;
  const { best, runs } = await rpsAtP99(url, REST_BOUND_MS, Math.max(2, Math.round(seconds)));
  return { path, bytes, best, runs };
}

async function measureRest(
  http: string,
  shape: { namespaces: number; services: number; endpoints: number; domain: string },
  w: Workload,
  o: RunOptions,
  underChurn: RestResult | undefined,
): Promise<RunResult['rest']> {
  if (!o.rest || !w.rest) return { skipped: 'disabled' };
  if (!wrkAvailable()) return { skipped: 'wrk missing: apt-get install wrk' };
  const oneService = await restRun(http, restTarget(shape), o.restSeconds);
  const catalog = await restRun(http, '/v1/services', o.restSeconds);
  return {
    ...(oneService ? { oneService } : {}),
    ...(catalog ? { catalog } : {}),
    ...(underChurn ? { underChurn } : {}),
  };
}

/** Time of an empty node process, spawn -> exit (median of 3). */
function nodeSpawnMs(): number {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = nowMs();
    execFileSync(process.execPath, ['-e', '0']);
    times.push(nowMs() - t);
  }
  return times.sort((a, b) => a - b)[1]!;
}

/** Opens the stopped daemon's SQLite file and reads + parses every record (the minimum a warm start must do). */
function sqliteReadMs(dbPath: string): number {
  const t = nowMs();
  const db = new Database(dbPath, { readonly: true });
  try {
    let n = 0;
    for (const row of db.prepare('SELECT body FROM records').raw().iterate() as Iterable<[string]>) {
      n += (JSON.parse(row[0]) as unknown) === null ? 0 : 1;
    }
    void n;
  } finally {
    db.close();
  }
  return nowMs() - t;
}

async function measureColdStart(
  ws: string,
  config: string,
  w: Workload,
  names: readonly string[],
  sub: { subs: Int32Array; offsets: Int32Array },
  spc: number,
  log: (line: string) => void,
): Promise<ColdStart> {
  const spawnFloor = nodeSpawnMs();
  const readFloor = sqliteReadMs(join(ws, 'data', 'tributary.db'));
  log(`  cold start: restart on ${w.services * w.endpoints} endpoints in SQLite`);
  const daemon = await DaemonProcess.start(config, ws, DAEMON_CORE);
  const workers: Fleet[] = [];
  try {
    const readyAt = await daemon.waitReady(60_000, 2);
    let storm: ColdStart['storm'];
    if (w.reconnectStorm) {
      const perWorker = Math.ceil(w.proxies / Math.max(1, w.workers) / spc) * spc;
      for (let first = 0, k = 0; first < w.proxies; first += perWorker, k++) {
        const count = Math.min(perWorker, w.proxies - first);
        const worker = IpcChild.start<WorkerCommand>(`storm-worker-${k}`, 'proxy/worker.js');
        workers.push(worker);
        await worker.request({
          cmd: 'init',
          init: {
            target: daemon.grpc,
            names,
            subs: sub.subs.slice(sub.offsets[first]!, sub.offsets[first + count]!),
            subOffsets: sub.offsets.slice(first, first + count + 1).map((v) => v - sub.offsets[first]!),
            streamBase: first,
            nodePrefix: `bench-${w.name}-storm`,
            cds: w.cds,
            streamsPerConnection: spc,
            logCapacity: count * 8 + 10_000,
            resourceCapacity: count * Math.min(w.subs, w.services) * 4 + 10_000,
          },
        });
      }
      log(`  reconnect storm: ${w.proxies} proxies`);
      const g0 = generatorCpuMs(workers);
      const d0 = cpuMsPrecise(daemon.pid);
      const t0 = nowMs();
      const results = await Promise.all(
        workers.map((wk) =>
          wk.request<ConnectResult>({ cmd: 'connect', concurrency: 64, timeoutMs: 60_000 }, 90_000),
        ),
      );
      const stormMs = nowMs() - t0;
      const generatorCpuShare = (generatorCpuMs(workers) - g0) / stormMs;
      const daemonCpuShare = (cpuMsPrecise(daemon.pid) - d0) / stormMs;
      const merged = mergeConnects(results);
      storm = {
        fromSpawnMs: merged.readyMs >= 0 ? merged.readyMs - daemon.spawnedAt : Number.NaN,
        fromConnectMs: merged.durationMs,
        ready: merged.ready,
        streams: merged.streams,
        generatorCpuShare,
        daemonCpuShare,
      };
    }
    return {
      endpoints: w.services * w.endpoints,
      toListeningMs: daemon.listeningAt - daemon.spawnedAt,
      toReadyMs: readyAt - daemon.spawnedAt,
      rssKiB: rssKiB(daemon.pid),
      nodeSpawnMs: spawnFloor,
      sqliteReadMs: readFloor,
      ...(storm ? { storm } : {}),
    };
  } finally {
    for (const wk of workers) await wk.close({ cmd: 'close' });
    await daemon.stop();
  }
}
