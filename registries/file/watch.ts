/**
 * The file source's I/O shell: on subscribe it reads every configured file, emits a snapshot and a
 * status, then watches the paths (fs.watch on the directories involved) and re-reads after each
 * burst of changes. Broken files keep their last good content; the status says why.
 */
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { Observable, type Subscriber } from 'rxjs';
import { describeError, TributaryError } from '../../src/errors.js';
import { serviceKeyOf, type ServiceRecord } from '../../src/model/service.js';
import type { Registry, RegistryContext, SourceEvent, StatusEvent } from '../../src/registry.js';
import type { FileSourceConfig } from './config.js';
import { combineFileSet, memoizedAnalyzer, type GoodFiles } from './file-set.js';
import { codeOf, planWatches, readFileSet, TextCache, type WatchPlan } from './read.js';

interface DirWatch {
  readonly ino: number;
  readonly watcher: FSWatcher;
}

/** One subscription's state: watches, debounce timer, last good files and what was last emitted. */
class FileSourceSession {
  private good: GoodFiles = new Map();
  private readonly watches = new Map<string, DirWatch>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private dirty = false;
  private closed = false;
  /** Canonical JSON per service key of what was last emitted; undefined before the first snapshot. */
  private emitted: Map<string, string> | undefined;
  private readonly texts = new TextCache();
  private readonly analyzer = memoizedAnalyzer();
  private lastStatus: string | undefined;
  private burstStart: number | undefined;
  private readonly maxWaitMs: number;

  constructor(
    private readonly paths: readonly string[],
    private readonly debounceMs: number,
    private readonly subscriber: Subscriber<SourceEvent>,
  ) {
    this.maxWaitMs = Math.max(10 * debounceMs, 1000);
  }

  start(): void {
    this.publishStatus({ type: 'status', state: 'syncing' });
    void this.scan();
  }

  stop(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.watches.values()) entry.watcher.close();
    this.watches.clear();
  }

  private readonly onChange = (): void => {
    if (this.closed) return;
    const now = Date.now();
    this.burstStart ??= now;
    clearTimeout(this.timer);
    // Debounce, but never longer than maxWait after a burst began: a file rewritten continuously is
    // still re-read.
    const delay = Math.max(0, Math.min(this.debounceMs, this.burstStart + this.maxWaitMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.burstStart = undefined;
      void this.scan();
    }, delay);
  };

  private fail(error: unknown, what: string): void {
    if (this.closed) return;
    const message = `file source: ${what}: ${describeError(error)}`;
    this.subscriber.error(new TributaryError('TRB_REGISTRY_UNREACHABLE', message, { cause: error }));
  }

  /** Runs one scan at a time; changes seen during a scan run one more scan after it. */
  private async scan(): Promise<void> {
    if (this.scanning) {
      this.dirty = true;
      return;
    }
    this.scanning = true;
    try {
      do {
        this.dirty = false;
        await this.scanOnce();
      } while (this.dirty && !this.closed);
    } catch (error) {
      this.fail(error, 'reading the files failed');
    } finally {
      this.scanning = false;
    }
  }

  private async scanOnce(): Promise<void> {
    // Watch first, then read: a change made while reading triggers another scan, never a lost edit.
    const plan = await planWatches(this.paths);
    if (this.closed) return;
    this.reconcileWatches(plan);
    const { reads, errors, missing } = await readFileSet(this.paths, [...this.good.keys()], this.texts);
    if (this.closed) return;
    if (missing.length > 0) {
      // A configured path is gone (unmounted, renamed): keep every last known record, marked stale,
      // rather than read a partial set as "these services were deleted".
      this.publishStatus({ type: 'status', state: 'down', stale: true, error: missing.join('; ') });
      return;
    }
    const result = combineFileSet(reads, this.good, this.analyzer.analyze);
    this.analyzer.prune();
    this.good = result.good;
    this.publish(result.services, uniqueProblems(errors, result.errors));
  }

  private reconcileWatches(plan: WatchPlan): void {
    for (const [dir, entry] of this.watches) {
      if (plan.get(dir) === entry.ino) continue;
      entry.watcher.close(); // Gone or replaced: a watch on the old inode would never fire again.
      this.watches.delete(dir);
    }
    for (const [dir, ino] of plan) {
      if (!this.watches.has(dir)) this.watchDirectory(dir, ino);
    }
  }

  private watchDirectory(dir: string, ino: number): void {
    if (this.closed) return; // An earlier watch in this round failed and ended the subscription.
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: true }, this.onChange);
    } catch (error) {
      const code = codeOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // Vanished since planned: its parent's watch saw that.
      this.fail(error, `watching "${dir}" failed`);
      return;
    }
    watcher.on('error', (error) => this.fail(error, `watching "${dir}" failed`));
    this.watches.set(dir, { ino, watcher });
  }

  /**
   * The first read is a snapshot; after it, only what changed: an upsert per service whose content
   * changed and a delete per service gone (replace semantics per service), so an edit to one file of
   * a thousand costs one service downstream. Every change is followed by the status.
   */
  private publish(services: ServiceRecord[], errors: readonly string[]): void {
    const status: StatusEvent =
      errors.length === 0
        ? { type: 'status', state: 'synced' }
        : { type: 'status', state: 'degraded', error: errors.join('; ') };
    const current = new Map<string, string>();
    for (const record of services) current.set(serviceKeyOf(record), jsonOf(record));
    const previous = this.emitted;
    this.emitted = current;
    if (previous === undefined) {
      this.subscriber.next({ type: 'snapshot', services });
      this.lastStatus = undefined;
    } else {
      let changed = false;
      for (const record of services) {
        if (previous.get(serviceKeyOf(record)) === current.get(serviceKeyOf(record))) continue;
        this.subscriber.next({ type: 'upsert', service: record });
        changed = true;
      }
      for (const key of previous.keys()) {
        if (current.has(key)) continue;
        const slash = key.indexOf('/');
        this.subscriber.next({ type: 'delete', namespace: key.slice(0, slash), name: key.slice(slash + 1) });
        changed = true;
      }
      if (changed) this.lastStatus = undefined; // A change is always followed by its status.
    }
    this.publishStatus(status);
  }

  private publishStatus(status: StatusEvent): void {
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.subscriber.next(status);
  }
}

const jsonCache = new WeakMap<ServiceRecord, string>();

/** JSON of a record, computed once per record object (unchanged files yield the same objects). */
function jsonOf(record: ServiceRecord): string {
  let json = jsonCache.get(record);
  if (json === undefined) {
    json = JSON.stringify(record);
    jsonCache.set(record, json);
  }
  return json;
}

/** Path problems first, then file problems; an unlistable directory's error is said once. */
function uniqueProblems(pathErrors: readonly string[], fileErrors: readonly string[]): string[] {
  return [...new Set([...pathErrors, ...fileErrors])];
}

function resolvePaths(config: FileSourceConfig, context: RegistryContext): string[] {
  return config.paths.map((path) => resolve(context.baseDir, path));
}

/**
 * Events of the files named by `config.paths`: cold; each subscription reads and watches on its own,
 * and unsubscribing closes its watches and timer.
 */
export function watchFileSource(config: FileSourceConfig, context: RegistryContext): Observable<SourceEvent> {
  const paths = resolvePaths(config, context);
  return new Observable<SourceEvent>((subscriber) => {
    const session = new FileSourceSession(paths, config.debounceMs, subscriber);
    session.start();
    return () => session.stop();
  });
}

/** The file source `id` (`file/<name>`) as a Registry. */
export function createFileRegistry(id: string, config: FileSourceConfig, context: RegistryContext): Registry {
  return { id, kind: 'file', events: () => watchFileSource(config, context) };
}

/** Reads the files once and returns every problem (for `tributary validate`); [] when all is well. */
export async function checkFileSource(
  config: FileSourceConfig,
  context: RegistryContext,
): Promise<readonly string[]> {
  const { reads, errors } = await readFileSet(resolvePaths(config, context), []);
  return uniqueProblems(errors, combineFileSet(reads, new Map()).errors);
}
