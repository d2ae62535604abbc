/**
 * Summarises a V8 .cpuprofile (the daemon run with --cpu-prof) by component: each sample's time goes
 * to the innermost frame that belongs to a known part of the daemon or its libraries, so a native
 * `stat` called from the file registry counts as file registry. Main thread only (libuv threadpool
 * work such as fs.stat shows as the JS frames that waited for it only partially).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  /** µs on V8's monotonic clock (CLOCK_MONOTONIC on Linux: the same clock as process.hrtime). */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly file: string;
  /** The window the samples were restricted to (ms, monotonic), or undefined for the whole run. */
  readonly window?: { readonly start: number; readonly end: number };
  readonly totalMs: number;
  readonly busyMs: number;
  readonly components: readonly { readonly name: string; readonly ms: number }[];
  readonly top: readonly { readonly frame: string; readonly selfMs: number }[];
}

const COMPONENTS: readonly [string, RegExp][] = [
  ['file registry (registries/file)', /\/registries\/file\//],
  [
    'xDS stream engine (src/xds: streams, scheduler, subscriptions)',
    /\/src\/xds\/(duplex|sotw-stream|delta-stream|push-scheduler|subscription|stream-registry|callbacks|observe)\.js/,
  ],
  ['xDS resources (src/xds: cache, builders, codec)', /\/src\/xds\//],
  ['catalog + SQLite (src/catalog, better-sqlite3)', /\/src\/catalog\/|better-sqlite3/],
  ['pipeline (src/pipeline)', /\/src\/pipeline\//],
  ['REST + SSE (src/api, fastify)', /\/src\/api\/|\/fastify\/|find-my-way|light-my-request/],
  ['metrics (prom-client)', /prom-client|\/src\/observability\//],
  ['grpc-js transport', /@grpc\/grpc-js/],
  ['protobufjs', /protobufjs/],
  ['yaml parser (called by the file registry)', /node_modules\/yaml\//],
  ['rxjs', /node_modules\/rxjs\//],
];

function classify(frame: CallFrame): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'garbage collector';
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(program)') return 'program (V8/native, unattributed)';
  for (const [name, re] of COMPONENTS) if (re.test(frame.url)) return name;
  return undefined;
}

/** Summary of the samples taken inside `window` (monotonic ms), or of all samples. */
export function summarizeProfile(
  file: string,
  window?: { readonly start: number; readonly end: number },
  topN = 15,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  let at = profile.startTime / 1000; // ms
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta / 1000;
    if (window !== undefined && (at < window.start || at >= window.end)) return;
    time.set(id, (time.get(id) ?? 0) + delta);
  });
  const components = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  for (const [id, us] of time) {
    total += us;
    let cur: number | undefined = id;
    let component: string | undefined;
    while (cur !== undefined && component === undefined) {
      component = classify(byId.get(cur)!.callFrame);
      cur = parent.get(cur);
    }
    const name = component ?? 'other (node internals, startup)';
    components.set(name, (components.get(name) ?? 0) + us);
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
  }
  const idle = components.get('idle') ?? 0;
  components.delete('idle');
  self.delete(`(idle) :0`);
  return {
    file,
    ...(window ? { window } : {}),
    totalMs: total / 1000,
    busyMs: (total - idle) / 1000,
    components: [...components].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000 })),
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([frame, us]) => ({ frame, selfMs: us / 1000 })),
  };
}

/** The newest .cpuprofile in `dir` written after `since` (epoch ms), or undefined. */
export function newestProfile(dir: string, since: number): string | undefined {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .map((f) => ({ f, t: statSync(f).mtimeMs }))
      .filter((x) => x.t >= since)
      .sort((a, b) => b.t - a.t)[0]?.f;
  } catch {
    return undefined;
  }
}

/** Markdown lines for a summary. */
export function profileMarkdown(s: ProfileSummary): string[] {
  const scope = s.window ? 'measured window only' : 'whole run incl. startup';
  const lines = [
    `Daemon CPU profile (\`--cpu-prof\`, main thread, ${scope}): ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms. By component:`,
    '',
  ];
  lines.push('| Component | CPU ms | share of busy |', '|---|---|---|');
  for (const c of s.components)
    lines.push(`| ${c.name} | ${c.ms.toFixed(0)} | ${((100 * c.ms) / s.busyMs).toFixed(1)} % |`);
  lines.push('', 'Top self time:', '');
  for (const t of s.top) lines.push(`- ${t.selfMs.toFixed(0)} ms \`${t.frame}\``);
  return lines;
}
