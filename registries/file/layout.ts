/**
 * Pure: which files the configured paths list, as of the last full listing, kept up to date one
 * file-system event at a time. Says which events name a VM file (re-read that file alone), which
 * change what the paths are (list everything again) and which cannot matter (ignored).
 */
import { basename, dirname, join } from 'node:path';
import { isVmFileName, type PathListing } from './read.js';

/** What an event naming `path` asks for. */
export type EventScope =
  /** A VM file (listed or not yet): read it again. */
  | 'file'
  /** Another name in a listed directory: matters only if it is (or was) a directory or a link. */
  | 'other'
  /** A configured path or one of its ancestors: list every path again. */
  | 'paths'
  /** Nothing the source reads. */
  | 'none';

interface DirectoryListing {
  /** VM file names, sorted as a full listing sorts them. */
  readonly names: string[];
  readonly others: ReadonlySet<string>;
}

export class Layout {
  /** Per configured path: its listing when a directory (a configured file lists itself). */
  private readonly entries: readonly { readonly path: string; readonly directory?: DirectoryListing }[];
  private readonly directories = new Map<string, DirectoryListing>();
  private readonly configuredFiles = new Set<string>();
  /** Configured paths and all their ancestors. */
  private readonly structural = new Set<string>();
  private listed: readonly string[] | undefined;

  private constructor(paths: readonly string[], listings: readonly PathListing[]) {
    this.entries = paths.map((path, i) => {
      const listing = listings[i];
      if (listing?.kind !== 'directory') {
        this.configuredFiles.add(path);
        return { path };
      }
      let directory = this.directories.get(path);
      if (directory === undefined) {
        directory = { names: [...listing.names], others: new Set(listing.others) };
        this.directories.set(path, directory);
      }
      return { path, directory };
    });
    for (const path of paths) {
      for (let dir = path; !this.structural.has(dir); dir = dirname(dir)) this.structural.add(dir);
    }
  }

  /** The layout of a full listing, or undefined when a path failed (every scan is then a full one). */
  static of(paths: readonly string[], listings: readonly PathListing[]): Layout | undefined {
    if (listings.length !== paths.length || listings.some((l) => l.kind === 'failed')) return undefined;
    return new Layout(paths, listings);
  }

  /** What an event naming `path` (a direct child of a watched directory) asks for. */
  scopeOf(path: string): EventScope {
    if (this.configuredFiles.has(path)) return 'file';
    if (this.structural.has(path)) return 'paths';
    if (!this.directories.has(dirname(path))) return 'none';
    return isVmFileName(path) ? 'file' : 'other';
  }

  /** A configured file (its disappearance is a missing path, not a deleted VM file). */
  isConfiguredFile(path: string): boolean {
    return this.configuredFiles.has(path);
  }

  /** Whether `path` was a directory or a link in a listed directory. */
  wasOther(path: string): boolean {
    return this.directories.get(dirname(path))?.others.has(basename(path)) === true;
  }

  /** Lists a VM file that exists now; false when it was listed already. */
  add(file: string): boolean {
    if (this.configuredFiles.has(file)) return false;
    const names = this.directories.get(dirname(file))?.names;
    if (names === undefined) return false;
    const name = basename(file);
    const at = insertionPoint(names, name);
    if (names[at] === name) return false;
    names.splice(at, 0, name);
    this.listed = undefined;
    return true;
  }

  /** Stops listing a VM file that is gone; false when it was not listed. */
  remove(file: string): boolean {
    const names = this.directories.get(dirname(file))?.names;
    if (names === undefined) return false;
    const name = basename(file);
    const at = insertionPoint(names, name);
    if (names[at] !== name) return false;
    names.splice(at, 1);
    this.listed = undefined;
    return true;
  }

  /** The listed files, in the order a full listing gives them. */
  files(): readonly string[] {
    if (this.listed === undefined) {
      const files = new Set<string>();
      for (const { path, directory } of this.entries) {
        if (directory === undefined) files.add(path);
        else for (const name of directory.names) files.add(join(path, name));
      }
      this.listed = [...files];
    }
    return this.listed;
  }
}

/** Index of `name` in sorted `names`, or where it would be inserted (the sort of Array#sort). */
function insertionPoint(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (names[mid]! < name) low = mid + 1;
    else high = mid;
  }
  return low;
}
