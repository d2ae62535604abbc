/** The workloads of PERFORMANCE.md §4.1 as run through the file registry (see bench/README.md). */

export type Mode = 'real' | 'dense';

export interface Workload {
  readonly name: string;
  readonly title: string;
  readonly services: number;
  readonly endpoints: number;
  readonly namespaces: number;
  readonly proxies: number;
  /** Subscriptions per proxy (EDS names; CDS by the same names when `cds`). */
  readonly subs: number;
  readonly mode: Mode;
  readonly cds: boolean;
  /** Steady churn, changes per second (one change = one endpoint replaced in one service). */
  readonly rate: number;
  /** Changes before the measured window (not counted). */
  readonly warmupChanges: number;
  /** Changes in the measured window. */
  readonly changes: number;
  /** Changes at the same rate with no proxy connected, to calibrate the ingest CPU per change. */
  readonly calibrationChanges: number;
  /** Idle time before RSS readings (ms). */
  readonly settleMs: number;
  /** Idle CPU window with every proxy connected (ms). */
  readonly idleWindowMs: number;
  /** Proxy worker processes (all on the generator's core). */
  readonly workers: number;
  readonly floors: boolean;
  readonly rest: boolean;
  /** Also measure REST while the churn runs (W3). */
  readonly restUnderChurn: boolean;
  /** Cold start: restart on this catalog's SQLite file, time to listening and to /readyz. */
  readonly coldStart: boolean;
  /** W5: restart the daemon, every proxy reconnects within `stormMs`. */
  readonly reconnectStorm: boolean;
  readonly stormMs: number;
  readonly seed: number;
}

const base = {
  namespaces: 10,
  cds: true,
  settleMs: 5000,
  idleWindowMs: 8000,
  workers: 1,
  floors: true,
  rest: true,
  restUnderChurn: false,
  coldStart: false,
  reconnectStorm: false,
  stormMs: 1000,
  seed: 42,
} as const;

export const WORKLOADS: Readonly<Record<string, Workload>> = {
  W1: {
    ...base,
    name: 'W1',
    calibrationChanges: 8,
    title: 'smoke: 100 services x 10 endpoints, 100 proxies x 10 subscriptions, 1 change/s',
    services: 100,
    endpoints: 10,
    proxies: 100,
    subs: 10,
    mode: 'real',
    rate: 1,
    warmupChanges: 2,
    changes: 20,
    settleMs: 3000,
    idleWindowMs: 5000,
  },
  W2: {
    ...base,
    name: 'W2',
    calibrationChanges: 100,
    title: 'istio-equiv: 1,000 services x 10 endpoints, 2,000 proxies x 20 subscriptions, 10 changes/s',
    services: 1000,
    endpoints: 10,
    proxies: 2000,
    subs: 20,
    mode: 'real',
    rate: 10,
    warmupChanges: 30,
    changes: 300,
  },
  W3: {
    ...base,
    name: 'W3',
    calibrationChanges: 1000,
    title:
      'consul-equiv: 1,000 services x 100 endpoints, 5,000 dense proxies x 50 subscriptions, 100 changes/s',
    services: 1000,
    endpoints: 100,
    proxies: 5000,
    subs: 50,
    mode: 'dense',
    rate: 100,
    warmupChanges: 300,
    changes: 3000,
    workers: 4,
    restUnderChurn: true,
    coldStart: true,
  },
  W4: {
    ...base,
    name: 'W4',
    calibrationChanges: 155,
    title: 'hot service: 1 service x 1,000 endpoints, 1,000 proxies all subscribed, 31 pod replacements/s',
    services: 1,
    endpoints: 1000,
    namespaces: 1,
    proxies: 1000,
    subs: 1,
    mode: 'real',
    rate: 31,
    warmupChanges: 31,
    changes: 310,
    workers: 4,
  },
  W4T: {
    ...base,
    name: 'W4T',
    calibrationChanges: 10,
    title:
      'target shape of §4.5: 1 service x 100 endpoints (~3 KB CLA), 1,000 real proxies all subscribed, 2 changes/s',
    services: 1,
    endpoints: 100,
    namespaces: 1,
    proxies: 1000,
    subs: 1,
    mode: 'real',
    rate: 2,
    warmupChanges: 4,
    changes: 60,
  },
  W5: {
    ...base,
    name: 'W5',
    calibrationChanges: 0,
    title: 'reconnect storm: W3 catalog, 5,000 dense proxies connect within 1 s after a restart',
    services: 1000,
    endpoints: 100,
    proxies: 5000,
    subs: 50,
    mode: 'dense',
    rate: 0,
    warmupChanges: 0,
    changes: 0,
    workers: 2,
    floors: false,
    rest: false,
    reconnectStorm: true,
  },
};

/** Streams per HTTP/2 connection of a mode. */
export function streamsPerConnection(mode: Mode): number {
  return mode === 'real' ? 1 : 100;
}
