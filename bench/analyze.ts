/**
 * Turns the raw run data into convergence latencies and correctness counters.
 *
 * - Which revision carries change c: the first catalog revision (from the SSE change feed) in which
 *   c's service holds an endpoint address carrying a sequence number >= c's (workloads/catalog.ts).
 * - Proxy p received change c at its first EDS response carrying c's resource at a revision >= that
 *   revision. Latency = receive time - inject time (file renamed), and - commit time (change event
 *   seen by the harness); per change, "to all" = the last subscriber.
 * - Resend of unchanged bytes: a resource delivered again on a stream (after the churn began) while
 *   its service did not change in any revision in (previous delivery's revision, this one's].
 * - Missing delivery: a subscriber that never received a change's resource at its revision.
 */
import { quantile } from './lib/stats.js';
import { TYPE_EDS, type Collected, type Counters } from './proxy/protocol.js';
import { emptyCounters } from './proxy/protocol.js';

export interface ChangeRecord {
  readonly service: number;
  readonly seq: number;
  readonly injectMs: number;
  readonly measured: boolean;
}

export interface ServiceRevision {
  readonly revision: number;
  readonly maxSeq: number;
  readonly time: number;
  readonly op: string;
}

export interface AnalysisInput {
  readonly services: number;
  readonly proxies: number;
  readonly subs: Int32Array;
  readonly subOffsets: Int32Array;
  readonly changes: readonly ChangeRecord[];
  readonly serviceRevisions: readonly ServiceRevision[][];
  readonly commits: ReadonlyMap<number, number>;
  readonly collected: readonly Collected[];
  readonly window: { readonly start: number; readonly end: number } | undefined;
}

export interface Dist {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface Analysis {
  readonly measuredChanges: number;
  readonly unmappedChanges: number;
  /** Subscribers per measured change (mean). */
  readonly subscribersPerChange: number;
  /** Rename -> last subscriber received (per change). */
  readonly toAll: Dist;
  /** Commit seen by the harness -> last subscriber received (per change). */
  readonly toAllFromCommit: Dist;
  /** Rename -> commit seen (the file registry + pipeline path). */
  readonly registry: Dist;
  /** Rename -> each subscriber (per proxy and change). */
  readonly perProxy: Dist;
  /** Inside the measured window: EDS responses and resources received, bytes unknown per response. */
  readonly windowResponses: number;
  readonly windowResources: number;
  readonly windowBytes: number;
  readonly missingDeliveries: number;
  readonly changesWithMissing: number;
  readonly resends: number;
  readonly counters: Counters;
  readonly samples: readonly string[];
}

function dist(values: ArrayLike<number>): Dist {
  let max = Number.NaN;
  for (let i = 0; i < values.length; i++) if (!(values[i]! <= max)) max = values[i]!;
  return {
    n: values.length,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: values.length > 0 ? max : Number.NaN,
  };
}

function mergeCounters(all: readonly Counters[]): Counters {
  const out = emptyCounters();
  for (const c of all) for (const key of Object.keys(out) as (keyof Counters)[]) out[key] += c[key];
  return out;
}

export function analyze(input: AnalysisInput): Analysis {
  const { subs, subOffsets, proxies } = input;
  const samples: string[] = [];
  const sample = (s: string): void => {
    if (samples.length < 20) samples.push(s);
  };

  // key = index into subs (one per (stream, subscribed service)); keyStream maps it back
  const keyStream = new Int32Array(subs.length);
  for (let s = 0; s < proxies; s++)
    for (let k = subOffsets[s]!; k < subOffsets[s + 1]!; k++) keyStream[k] = s;
  const keyOf = (stream: number, service: number): number => {
    let lo = subOffsets[stream]!;
    let hi = subOffsets[stream + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = subs[mid]!;
      if (v === service) return mid;
      if (v < service) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  // deliveries per key (CSR), in receive order
  const counts = new Int32Array(subs.length + 1);
  let windowResponses = 0;
  let windowResources = 0;
  let windowBytes = 0;
  for (const { log } of input.collected) {
    for (let e = 0; e < log.length; e++) {
      if (log.type[e] !== TYPE_EDS) continue;
      const t = log.time[e]!;
      if (input.window && t >= input.window.start && t < input.window.end) {
        windowResponses += 1;
        windowResources += log.resCount[e]!;
        windowBytes += log.bytes[e]!;
      }
      const s = log.stream[e]!;
      for (let r = log.resStart[e]!; r < log.resStart[e]! + log.resCount[e]!; r++) {
        const key = keyOf(s, log.res[r]!);
        if (key >= 0) counts[key + 1] = counts[key + 1]! + 1;
      }
    }
  }
  for (let k = 0; k < subs.length; k++) counts[k + 1] = counts[k + 1]! + counts[k]!;
  const total = counts[subs.length]!;
  const delRev = new Int32Array(total);
  const delTime = new Float64Array(total);
  const cursor = counts.slice(0, subs.length);
  for (const { log } of input.collected) {
    for (let e = 0; e < log.length; e++) {
      if (log.type[e] !== TYPE_EDS) continue;
      const s = log.stream[e]!;
      for (let r = log.resStart[e]!; r < log.resStart[e]! + log.resCount[e]!; r++) {
        const key = keyOf(s, log.res[r]!);
        if (key < 0) continue;
        const at = cursor[key]!;
        cursor[key] = at + 1;
        delRev[at] = log.revision[e]!;
        delTime[at] = log.time[e]!;
      }
    }
  }

  // subscribers per service (CSR over keys)
  const subCount = new Int32Array(input.services + 1);
  for (let k = 0; k < subs.length; k++) subCount[subs[k]! + 1] = subCount[subs[k]! + 1]! + 1;
  for (let i = 0; i < input.services; i++) subCount[i + 1] = subCount[i + 1]! + subCount[i]!;
  const subKeys = new Int32Array(subs.length);
  const subCursor = subCount.slice(0, input.services);
  for (let k = 0; k < subs.length; k++) {
    const i = subs[k]!;
    subKeys[subCursor[i]!] = k;
    subCursor[i] = subCursor[i]! + 1;
  }

  // changes -> revisions -> deliveries
  const toAll: number[] = [];
  const toAllCommit: number[] = [];
  const registry: number[] = [];
  const perProxy: number[] = [];
  let unmapped = 0;
  let missing = 0;
  let changesWithMissing = 0;
  let measured = 0;
  let subscriberSum = 0;
  for (const c of input.changes) {
    if (!c.measured) continue;
    measured += 1;
    const entry = input.serviceRevisions[c.service]?.find((r) => r.maxSeq >= c.seq);
    if (entry === undefined) {
      unmapped += 1;
      sample(`change ${c.seq} (service ${c.service}) never appeared in the catalog change feed`);
      continue;
    }
    registry.push(entry.time - c.injectMs);
    let last = -Infinity;
    let complete = true;
    subscriberSum += subCount[c.service + 1]! - subCount[c.service]!;
    for (let j = subCount[c.service]!; j < subCount[c.service + 1]!; j++) {
      const key = subKeys[j]!;
      let got = -1;
      for (let d = counts[key]!; d < counts[key + 1]!; d++) {
        if (delRev[d]! >= entry.revision) {
          got = delTime[d]!;
          break;
        }
      }
      if (got < 0) {
        missing += 1;
        complete = false;
        sample(`stream ${keyStream[key]} never received change ${c.seq} (revision ${entry.revision})`);
        continue;
      }
      perProxy.push(got - c.injectMs);
      if (got > last) last = got;
    }
    if (!complete) {
      changesWithMissing += 1;
      continue;
    }
    if (last > -Infinity) {
      toAll.push(last - c.injectMs);
      toAllCommit.push(last - entry.time);
    }
  }

  // resends: a redelivery without a change of the service in (previous revision, this revision]
  const churnStart = input.changes.length > 0 ? input.changes[0]!.injectMs : Infinity;
  let resends = 0;
  for (let key = 0; key < subs.length; key++) {
    const revisions = input.serviceRevisions[subs[key]!] ?? [];
    for (let d = counts[key]! + 1; d < counts[key + 1]!; d++) {
      if (delTime[d]! < churnStart) continue;
      const u = delRev[d - 1]!;
      const v = delRev[d]!;
      if (v < u) continue; // stale: counted by the proxy
      const changed = v > u && revisions.some((r) => r.revision > u && r.revision <= v);
      if (!changed) {
        resends += 1;
        sample(
          `stream ${keyStream[key]} got service ${subs[key]} again at revision ${v} (had ${u}) without a change`,
        );
      }
    }
  }

  return {
    measuredChanges: measured,
    unmappedChanges: unmapped,
    subscribersPerChange: measured > 0 ? subscriberSum / Math.max(1, measured - unmapped) : Number.NaN,
    toAll: dist(toAll),
    toAllFromCommit: dist(toAllCommit),
    registry: dist(registry),
    perProxy: dist(perProxy),
    windowResponses,
    windowResources,
    windowBytes,
    missingDeliveries: missing,
    changesWithMissing,
    resends,
    counters: mergeCounters(input.collected.map((c) => c.counters)),
    samples: [...samples, ...input.collected.flatMap((c) => c.errorSamples)].slice(0, 40),
  };
}
