/**
 * File-system reads for the file source: which files the configured paths name now, their text,
 * and which directories to watch so that edits, new files and paths that appear later are noticed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { FileRead } from './file-set.js';

/** Extensions read from a configured directory (a configured file is read whatever its name). */
export const VM_FILE_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** The files listed now, in order, and the problems with the configured paths themselves. */
export interface FileSetRead {
  readonly reads: FileRead[];
  readonly errors: string[];
  /** Errors of configured paths that do not exist (a subset of `errors`). */
  readonly missing: string[];
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

async function listPath(
  path: string,
  index: number,
): Promise<{ files: string[] } | { error: string; gone: boolean }> {
  try {
    const info = await stat(path);
    if (info.isFile()) return { files: [path] };
    if (!info.isDirectory())
      return { error: `paths[${index}]: "${path}" is not a file or directory`, gone: true };
    const entries = await readdir(path, { withFileTypes: true });
    const names = entries
      .filter((e) => !e.isDirectory() && VM_FILE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort();
    return { files: names.map((name) => join(path, name)) };
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

  /** Forgets files not looked up since the last prune (deleted or no longer listed). */
  prune(): void {
    for (const file of this.entries.keys()) if (!this.seen.has(file)) this.entries.delete(file);
    this.seen = new Set();
  }
}

async function readOne(file: string, cache?: TextCache): Promise<FileRead | undefined> {
  try {
    if (cache) {
      const info = await stat(file);
      const key = `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
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
  for (const [index, path] of paths.entries()) {
    const listing = await listPath(path, index);
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
  return { reads, errors, missing };
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
