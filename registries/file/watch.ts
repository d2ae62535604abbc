/**
 * The file source's I/O shell: on subscribe it reads every configured file, emits a snapshot and a
 * status, then watches the paths (fs.watch on the directories involved) and, after each burst of
 * changes, re-reads the files the events named (or lists everything again when an event may have
 * changed what the paths are). Broken files keep their last good content; the status says why.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { Observable, type Subscriber } from 'rxjs';
import { describeError, TributaryError } from '../../src/errors.js';
import { serviceKeyOf, type ServiceRecord } from '../../src/model/service.js';
import type { Registry, RegistryContext, SourceEvent, StatusEvent } from '../../src/registry.js';
import type { FileSourceConfig } from './config.js';
import { combineFileSet, FileSet, type FileRead } from './file-set.js';
import { Layout } from './layout.js';
import {
  codeOf,
  isDirectoryOrLink,
  planWatches,
  probeFile,
  readFileSet,
  TextCache,
  type WatchPlan,
} from './read.js';

/** Paths named in one burst beyond which every path is listed again instead of each re-read. */
export const MAX_DIRTY_PATHS = 256;

/** How directories are watched: `fs.watch` (tests pass a wrapper to send events of their own). */
export type WatchDirectory = (
  dir: string,
  listener: (event: string, name: string | null) => void,
) => FSWatcher;

const fsWatch: WatchDirectory = (dir, listener) => watch(dir, { persistent: true }, listener);

interface DirWatch {
  readonly ino: number;
  readonly watcher: FSWatcher;
}

/** One subscription's state: watches, debounce timer, last good files and what was last emitted. */
class FileSourceSession {
  private readonly files = new FileSet();
  /** What the paths listed at the last full listing, kept up to date; undefined: list again. */
  private layout: Layout | undefined;
  /** Paths the events of the current burst named. */
  private named = new Set<string>();
  /** An event of the current burst may have changed what the paths are: list everything again. */
  private relist = true;
  private readonly watches = new Map<string, DirWatch>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private dirty = false;
  private closed = false;
  /** Canonical JSON per service key of what was last emitted; undefined before the first snapshot. */
  private emitted: Map<string, string> | undefined;
  private readonly texts = new TextCache();
  private lastStatus: string | undefined;
  private burstStart: number | undefined;
  private readonly maxWaitMs: number;

  constructor(
    private readonly paths: readonly string[],
    private readonly debounceMs: number,
    private readonly subscriber: Subscriber<SourceEvent>,
    private readonly watchDir: WatchDirectory,
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

  private onChange(dir: string, name: string | null): void {
    if (this.closed) return;
    this.note(dir, name);
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
  }

  /** Remembers what an event in watched `dir` named, or that everything must be listed again. */
  private note(dir: string, name: string | null): void {
    if (this.relist) return;
    // No name, a path, or the watched directory's own name (moved, deleted): no single file to read.
    const unnamed =
      name === null ||
      name === '' ||
      name === '.' ||
      name === '..' ||
      name.includes('/') ||
      name.includes(sep);
    if (unnamed || name === basename(dir) || this.named.size >= MAX_DIRTY_PATHS) {
      this.relist = true;
      this.named.clear();
      return;
    }
    this.named.add(join(dir, name));
  }

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
    const { layout, relist, named } = this;
    this.named = new Set();
    this.relist = false;
    if (!relist && layout !== undefined && (await this.readNamed(layout, named))) return;
    await this.readAll();
  }

  /** Lists every path and reads every file (whose identity changed) again. */
  private async readAll(): Promise<void> {
    this.layout = undefined;
    // Watch first, then read: a change made while reading triggers another scan, never a lost edit.
    const plan = await planWatches(this.paths);
    if (this.closed) return;
    this.reconcileWatches(plan);
    const known = [...this.files.good().keys()];
    const { reads, errors, missing, listings } = await readFileSet(this.paths, known, this.texts);
    if (this.closed) return;
    if (missing.length > 0) {
      // A configured path is gone (unmounted, renamed): keep every last known record, marked stale,
      // rather than read a partial set as "these services were deleted".
      this.publishStatus({ type: 'status', state: 'down', stale: true, error: missing.join('; ') });
      return;
    }
    // Only a clean listing is kept up to date event by event: after a failure every scan lists again.
    if (errors.length === 0) this.layout = Layout.of(this.paths, listings);
    const keys = this.files.replace(reads);
    this.publish(keys, uniqueProblems(errors, this.files.errors()));
  }

  /**
   * Reads again only the files that events named (watches stay as they are: nothing structural
   * changed). False, having published nothing, when something needs everything listed again.
   */
  private async readNamed(layout: Layout, named: ReadonlySet<string>): Promise<boolean> {
    const changes = new Map<string, FileRead | undefined>();
    for (const path of named) {
      const scope = layout.scopeOf(path);
      if (scope === 'none') continue;
      if (scope === 'paths') return false;
      if (scope === 'other') {
        // Temporary files of atomic writes end here: a regular file, or already renamed away.
        if (layout.wasOther(path) || (await isDirectoryOrLink(path))) return false;
        continue;
      }
      const probe = await probeFile(path, this.texts);
      if (probe.kind === 'special') return false;
      if (probe.kind === 'gone') {
        if (layout.isConfiguredFile(path)) return false;
        this.texts.forget(path);
        if (layout.remove(path)) changes.set(path, undefined);
        continue;
      }
      layout.add(path);
      changes.set(path, probe.read);
    }
    if (this.closed || changes.size === 0) return true;
    const keys = this.files.update(changes, layout.files());
    this.publish(keys, this.files.errors());
    return true;
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
      watcher = this.watchDir(dir, (_event, name) => this.onChange(dir, name));
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
   * a thousand costs one service downstream. Only the services under `keys` can have changed. Every
   * change is followed by the status.
   */
  private publish(keys: readonly string[], errors: readonly string[]): void {
    const status: StatusEvent =
      errors.length === 0
        ? { type: 'status', state: 'synced' }
        : { type: 'status', state: 'degraded', error: errors.join('; ') };
    if (this.emitted === undefined) {
      const services = this.files.services();
      this.emitted = new Map(services.map((record) => [serviceKeyOf(record), jsonOf(record)]));
      this.subscriber.next({ type: 'snapshot', services });
      this.lastStatus = undefined;
    } else {
      const gone: string[] = [];
      for (const key of keys) {
        const record = this.files.service(key);
        const before = this.emitted.get(key);
        if (record === undefined) {
          if (before !== undefined) gone.push(key);
          continue;
        }
        const json = jsonOf(record);
        if (json === before) continue;
        this.emitted.set(key, json);
        this.subscriber.next({ type: 'upsert', service: record });
        this.lastStatus = undefined; // A change is always followed by its status.
      }
      for (const key of gone) {
        this.emitted.delete(key);
        const slash = key.indexOf('/');
        this.subscriber.next({ type: 'delete', namespace: key.slice(0, slash), name: key.slice(slash + 1) });
        this.lastStatus = undefined;
      }
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
export function watchFileSource(
  config: FileSourceConfig,
  context: RegistryContext,
  watchDir: WatchDirectory = fsWatch,
): Observable<SourceEvent> {
  const paths = resolvePaths(config, context);
  return new Observable<SourceEvent>((subscriber) => {
    const session = new FileSourceSession(paths, config.debounceMs, subscriber, watchDir);
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
