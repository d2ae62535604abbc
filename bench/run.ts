/**
 * `npm run bench [-- options]`: runs workloads against the built daemon and writes
 * bench/results/<timestamp>-<workload>.{json,md}; prints each markdown table.
 *
 *   --workload W1,W2      workloads (repeatable; default W1,W2; also W3 W4 W4T W5)
 *   --runs N              fresh daemon per run; the table shows median (min–max)        [1]
 *   --smoke               W1 with few changes, no floors/REST/idle windows; exit code reflects
 *                         correctness only (NACK, stale, resend, missing delivery, resets)
 *   --debounce MS --max-delay MS --window MS   daemon xds.debounce / xds.maxDelay / pipeline.window
 *   --file-debounce MS    the file source's debounceMs                                 [5]
 *   --changes N --rate R --proxies N --endpoints N --mode real|dense --workers N   override the workload
 *   --no-floors --no-rest --rest-seconds S --floor-rounds N --keep --out DIR
 *   --daemon-prof DIR     run the measured daemon with --cpu-prof (profile written on its clean stop)
 *   --render FILE.json    re-render the markdown of a stored result (after a report change)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './lib/daemon.js';
import { installCleanup, killAll, pinProcess, tasksetPath } from './lib/proc.js';
import { wrkAvailable } from './lib/wrk.js';
import { markdown, verdicts } from './report.js';
import { GENERATOR_CORE, runWorkload, type RunResult } from './scenario.js';
import { WORKLOADS, type Mode, type Workload } from './workloads/index.js';

interface Args {
  workloads: string[];
  runs: number;
  smoke: boolean;
  debounceMs?: number;
  maxDelayMs?: number;
  pipelineWindowMs?: number;
  fileDebounceMs: number;
  overrides: Partial<Record<'changes' | 'rate' | 'proxies' | 'endpoints' | 'workers', number>> & {
    mode?: Mode;
  };
  floors: boolean;
  rest: boolean;
  restSeconds: number;
  floorRounds: number;
  keep: boolean;
  out: string | undefined;
  profileDir: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    workloads: [],
    runs: 1,
    smoke: false,
    fileDebounceMs: 5,
    overrides: {},
    floors: true,
    rest: true,
    restSeconds: 4,
    floorRounds: 30,
    keep: false,
    out: undefined,
    profileDir: undefined,
  };
  const num = (i: number, flag: string): number => {
    const v = Number(argv[i]);
    if (argv[i] === undefined || !Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--workload':
      case '-w':
        args.workloads.push(...(argv[++i] ?? '').split(',').filter((s) => s !== ''));
        break;
      case '--runs':
        args.runs = Math.max(1, Math.floor(num(++i, a)));
        break;
      case '--smoke':
        args.smoke = true;
        break;
      case '--debounce':
        args.debounceMs = num(++i, a);
        break;
      case '--max-delay':
        args.maxDelayMs = num(++i, a);
        break;
      case '--window':
        args.pipelineWindowMs = num(++i, a);
        break;
      case '--file-debounce':
        args.fileDebounceMs = num(++i, a);
        break;
      case '--changes':
      case '--rate':
      case '--proxies':
      case '--endpoints':
      case '--workers':
        args.overrides[a.slice(2) as 'changes'] = num(++i, a);
        break;
      case '--mode': {
        const m = argv[++i];
        if (m !== 'real' && m !== 'dense') throw new Error('--mode is real or dense');
        args.overrides.mode = m;
        break;
      }
      case '--no-floors':
        args.floors = false;
        break;
      case '--no-rest':
        args.rest = false;
        break;
      case '--rest-seconds':
        args.restSeconds = num(++i, a);
        break;
      case '--floor-rounds':
        args.floorRounds = Math.max(1, Math.floor(num(++i, a)));
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--out':
        args.out = argv[++i];
        break;
      case '--daemon-prof':
        args.profileDir = resolve(argv[++i] ?? 'bench/results/profiles');
        break;
      case '--help':
      case '-h':
        process.stdout.write(`see the header of bench/run.ts and bench/README.md\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (args.workloads.length === 0) args.workloads = args.smoke ? ['W1'] : ['W1', 'W2'];
  return args;
}

function workloadFor(name: string, args: Args): Workload {
  const base = WORKLOADS[name.toUpperCase()];
  if (base === undefined)
    throw new Error(`unknown workload ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);
  let w: Workload = { ...base, ...args.overrides };
  if (args.smoke) {
    w = {
      ...w,
      changes: args.overrides.changes ?? 8,
      warmupChanges: 1,
      calibrationChanges: 0,
      rate: args.overrides.rate ?? 4,
      settleMs: 500,
      idleWindowMs: 500,
      floors: false,
      rest: false,
      coldStart: false,
    };
  }
  return w;
}

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
}

/** `--render file.json`: prints (and rewrites beside it) the markdown of a stored result. */
function render(file: string): number {
  const stored = JSON.parse(readFileSync(file, 'utf8'), (_k, v: unknown) =>
    v === null ? Number.NaN : v,
  ) as {
    command: string;
    runs: RunResult[];
  };
  const md = markdown(stored.runs, {
    command: stored.command,
    date: stored.runs[0]?.startedAt.slice(0, 16).replace('T', ' ') + ' UTC',
  });
  writeFileSync(file.replace(/\.json$/, '.md'), md);
  process.stdout.write(`${md}\n`);
  return 0;
}

async function main(): Promise<number> {
  const renderAt = process.argv.indexOf('--render');
  if (renderAt >= 0) return render(process.argv[renderAt + 1] ?? '');
  const args = parseArgs(process.argv.slice(2));
  installCleanup();
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const pinnedSelf = pinProcess(process.pid, GENERATOR_CORE);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  if (!pinnedSelf)
    log(
      `bench: WARNING taskset ${tasksetPath() ? 'failed' : 'missing'}: nothing is pinned; runs will be marked INVALID`,
    );
  if (!args.smoke && args.rest && !wrkAvailable())
    log(
      'bench: WARNING wrk is missing (apt-get install wrk): REST figures and the node:http floor are skipped',
    );
  const outDir = args.out ?? (args.smoke ? undefined : join(ROOT, 'bench', 'results'));
  const command = `npm run ${args.smoke ? 'bench:smoke' : 'bench'}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  let exitCode = 0;
  for (const name of args.workloads) {
    const w = workloadFor(name, args);
    const runs: RunResult[] = [];
    for (let run = 1; run <= args.runs; run++) {
      log(`bench: ${w.name} run ${run}/${args.runs}`);
      try {
        runs.push(
          await runWorkload(w, run, {
            settings: {
              fileDebounceMs: args.fileDebounceMs,
              ...(args.debounceMs !== undefined ? { debounceMs: args.debounceMs } : {}),
              ...(args.maxDelayMs !== undefined ? { maxDelayMs: args.maxDelayMs } : {}),
              ...(args.pipelineWindowMs !== undefined ? { pipelineWindowMs: args.pipelineWindowMs } : {}),
            },
            floors: args.floors && !args.smoke,
            rest: args.rest && !args.smoke,
            restSeconds: args.restSeconds,
            floorRounds: args.floorRounds,
            keep: args.keep,
            profileDir: args.profileDir,
            log,
          }),
        );
      } catch (error) {
        log(`bench: ${w.name} run ${run} failed: ${error instanceof Error ? error.stack : String(error)}`);
        exitCode = 1;
      }
    }
    if (runs.length === 0) continue;
    const md = markdown(runs, {
      command,
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    });
    process.stdout.write(`${md}\n`);
    const v = verdicts(runs);
    if (v.failed) exitCode = 1;
    if (outDir !== undefined) {
      mkdirSync(outDir, { recursive: true });
      const base = join(outDir, `${stamp()}-${w.name}`);
      writeFileSync(`${base}.json`, JSON.stringify({ command, runs, verdicts: v }, replacer, 1));
      writeFileSync(`${base}.md`, md);
      log(`bench: wrote ${base}.{json,md}`);
    }
  }
  return exitCode;
}

/** JSON without typed-array bulk and with NaN as null. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    killAll();
    process.exit(2);
  },
);
