/**
 * Measuring processes from outside through /proc (Linux): CPU time of a pid (utime + stime, clock
 * ticks), VmRSS, per-core busy time; CPU pinning with taskset (util-linux) when it exists; and a
 * registry of every child process the bench started, killed by pid on any exit path.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second (getconf CLK_TCK; 100 on Linux). */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of `pid` in milliseconds (resolution 1 / CLK_TCK), or NaN when the process is gone. */
export function cpuMs(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may hold spaces: split after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime = field 14, stime = field 15
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time of every live thread of `pid` in milliseconds, from /proc/<pid>/task/<tid>/schedstat
 * (nanosecond resolution; threads that already exited are not counted, which for Node's long-lived
 * threads does not matter inside a window). Falls back to `cpuMs` (10 ms ticks) when unavailable.
 */
export function cpuMsPrecise(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
      ns += Number(text.split(' ')[0]);
    }
    return Number.isFinite(ns) && ns > 0 ? ns / 1e6 : cpuMs(pid);
  } catch {
    return cpuMs(pid);
  }
}

/** VmRSS of `pid` in KiB, or NaN. */
export function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total jiffies of one core from /proc/stat. */
export function coreJiffies(core: number): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${core} `));
    if (line === undefined) return { busy: Number.NaN, total: Number.NaN };
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** Steal jiffies of the whole machine (hypervisor noise indicator). */
export function stealJiffies(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    return Number(line.trim().split(/\s+/)[8] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** Path of taskset, or undefined (then nothing is pinned and the report says so). */
export function tasksetPath(): string | undefined {
  return TASKSET;
}

/** Pins every thread of an existing process to `core`; false when taskset is missing or fails. */
export function pinProcess(pid: number, core: number): boolean {
  if (TASKSET === undefined) return false;
  try {
    execFileSync(TASKSET, ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `[command, args]` prefixed with `taskset -c core` when taskset exists and pinning is on. */
export function pinned(core: number | undefined, command: string, args: string[]): [string, string[]] {
  if (core === undefined || TASKSET === undefined) return [command, args];
  return [TASKSET, ['-c', String(core), command, ...args]];
}

const children = new Set<ChildProcess>();

/** Tracks a child so that `killAll` ends it on any exit path. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILLs every tracked child that still runs (by pid, only ours). */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

let installed = false;

/** Installs exit/signal handlers that kill tracked children. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
