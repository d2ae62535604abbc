/**
 * File-system reads for the file source: which files the configured paths name now, their text,
 * and which directories to watch so that edits, new files and paths that appear later are noticed.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { FileRead } from './file-set.js';

/** Extensions read from a configured directory (a configured file is read whatever its name). */
export const VM_FILE_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** What one configured path was when listed: a file, a directory, or a path that failed. */
export type PathListing =
  | { readonly kind: 'file' }
  | {
      readonly kind: 'directory';
      /** Names of the VM files in it, sorted. */
      readonly names: readonly string[];
      /**
       * Other names that are directories or symbolic links: replacing one can change what the VM
       * files (symbolic links themselves, as in Kubernetes ConfigMap volumes) resolve to.
       */
      readonly others: readonly string[];
    }
  | { readonly kind: 'failed' };

/** The files listed now, in order, and the problems with the configured paths themselves. */
export interface FileSetRead {
  readonly reads: FileRead[];
  readonly errors: string[];
  /** Errors of configured paths that do not exist (a subset of `errors`). */
  readonly missing: string[];
  /** What each configured path was, by index. */
  readonly listings: PathListing[];
}

/** Directories to watch, each with its inode (a new inode means it was replaced: watch again). */
export type WatchPlan = Map<string, number>;

/** The `code` of a Node.js system error (checked by shape: errors may come from another realm). */
export function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function reasonOf(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? error.message : undefined;
  return typeof message === 'string' ? message : String(error);
}

/** Whether a name in a configured directory is read as a VM file (when it is not a directory). */
export function isVmFileName(name: string): boolean {
  return VM_FILE_EXTENSIONS.includes(extname(name).toLowerCase());
}

async function listPath(
  path: string,
  index: number,
): Promise<{ files: string[]; listing: PathListing } | { error: string; gone: boolean }> {
  try {
    const info = await stat(path);
    if (info.isFile()) return { files: [path], listing: { kind: 'file' } };
    if (!info.isDirectory())
      return { error: `paths[${index}]: "${path}" is not a file or directory`, gone: true };
    const entries = await readdir(path, { withFileTypes: true });
    const names: string[] = [];
    const others: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() && isVmFileName(entry.name)) names.push(entry.name);
      else if (entry.isDirectory() || entry.isSymbolicLink()) others.push(entry.name);
    }
    names.sort();
    return { files: names.map((name) => join(path, name)), listing: { kind: 'directory', names, others } };
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { error: `paths[${index}]: "${path}" does not exist`, gone: true };
    return { error: `paths[${index}]: "${path}" cannot be read: ${reasonOf(error)}`, gone: false };
  }
}

/**
 * Text of files by path, reused while a file's identity (inode, size, mtime, ctime) is unchanged, so
 * a change to one file of a thousand re-reads one file. Entries of files not listed are dropped.
 */
export class TextCache {
  private entries = new Map<string, { key: string; text: string }>();
  private seen = new Set<string>();

  /** The cached text when `key` still matches. */
  get(file: string, key: string): string | undefined {
    this.seen.add(file);
    const entry = this.entries.get(file);
    return entry?.key === key ? entry.text : undefined;
  }

  set(file: string, key: string, text: string): void {
    this.seen.add(file);
    this.entries.set(file, { key, text });
  }

  /** Forgets one file (deleted). */
  forget(file: string): void {
    this.entries.delete(file);
    this.seen.delete(file);
  }

  /** Forgets files not looked up since the last prune (deleted or no longer listed). */
  prune(): void {
    for (const file of this.entries.keys()) if (!this.seen.has(file)) this.entries.delete(file);
    this.seen = new Set();
  }
}

/** What one file is now: gone, not a regular file, or read (its text or why it cannot be read). */
export type FileProbe =
  | { readonly kind: 'gone' }
  | { readonly kind: 'special' }
  | { readonly kind: 'read'; readonly read: FileRead };

/**
 * Stats and, unless its identity is unchanged since `cache` last read it, reads one file. A
 * directory or another non-regular file is `special`: the caller lists its directory again.
 */
export async function probeFile(file: string, cache: TextCache): Promise<FileProbe> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { kind: 'special' };
    const key = identityOf(info);
    const cached = cache.get(file, key);
    if (cached !== undefined) return { kind: 'read', read: { file, text: cached } };
    const text = await readFile(file, 'utf8');
    cache.set(file, key, text);
    return { kind: 'read', read: { file, text } };
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'gone' };
    return { kind: 'read', read: { file, error: `${file}: cannot be read: ${reasonOf(error)}` } };
  }
}

/**
 * Whether `path` is now a directory or a symbolic link: false when it does not exist, true when
 * that cannot be told (the caller then lists its directory again, which reports why).
 */
export async function isDirectoryOrLink(path: string): Promise<boolean> {
  try {
    const info = await lstat(path);
    return info.isDirectory() || info.isSymbolicLink();
  } catch (error) {
    const code = codeOf(error);
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

function identityOf(info: Stats): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

async function readOne(file: string, cache?: TextCache): Promise<FileRead | undefined> {
  try {
    if (cache) {
      const info = await stat(file);
      const key = identityOf(info);
      const cached = cache.get(file, key);
      if (cached !== undefined) return { file, text: cached };
      const text = await readFile(file, 'utf8');
      cache.set(file, key, text);
      return { file, text };
    }
    return { file, text: await readFile(file, 'utf8') };
  } catch (error) {
    // Removed between listing and reading: the file is gone, like any deleted file.
    if (codeOf(error) === 'ENOENT') return undefined;
    return { file, error: `${file}: cannot be read: ${reasonOf(error)}` };
  }
}

/**
 * Lists and reads the files of absolute `paths`. A path that exists but cannot be listed keeps the
 * files of `known` (the last good set) under it, marked unreadable, so their content is kept.
 */
export async function readFileSet(
  paths: readonly string[],
  known: readonly string[],
  cache?: TextCache,
): Promise<FileSetRead> {
  const listed: string[] = [];
  const unreadable = new Map<string, string>();
  const errors: string[] = [];
  const missing: string[] = [];
  const listings: PathListing[] = [];
  for (const [index, path] of paths.entries()) {
    const listing = await listPath(path, index);
    listings.push('files' in listing ? listing.listing : { kind: 'failed' });
    if ('files' in listing) {
      listed.push(...listing.files);
      continue;
    }
    errors.push(listing.error);
    if (listing.gone) {
      missing.push(listing.error);
      continue;
    }
    for (const file of known) {
      if (file === path || dirname(file) === path) unreadable.set(file, listing.error);
    }
  }
  const reads: FileRead[] = [];
  const seen = new Set<string>();
  for (const file of [...listed, ...unreadable.keys()]) {
    if (seen.has(file)) continue;
    seen.add(file);
    const error = unreadable.get(file);
    const read = error === undefined ? await readOne(file, cache) : { file, error };
    if (read !== undefined) reads.push(read);
  }
  cache?.prune();
  return { reads, errors, missing, listings };
}

async function inodeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? info.ino : undefined;
  } catch {
    return undefined; // Not there (or not visible): a watch on an ancestor notices when it appears.
  }
}

/**
 * Directories to watch for absolute `paths`, with their inodes: each configured directory, and the
 * nearest existing ancestor of each path, so that edits, deletion, replacement (editors' atomic
 * saves, Kubernetes ConfigMap symlink swaps) and late creation are all seen. Any change in a watched
 * directory triggers a re-read: re-reads are cheap and emit nothing when nothing changed.
 */
export async function planWatches(paths: readonly string[]): Promise<WatchPlan> {
  const plan: WatchPlan = new Map();
  for (const path of paths) {
    const ino = await inodeOf(path);
    if (ino !== undefined) plan.set(path, ino);
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const dirIno = await inodeOf(dir);
      if (dirIno !== undefined) {
        plan.set(dir, dirIno);
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return plan;
}
