/**
 * Pure: the files of one source combined with the last good content of each file into what the
 * source serves. A file that fails keeps its last good services; a file that is no longer listed is
 * gone; a service already defined by an earlier file rejects the later file.
 */
import { serviceKeyOf, type ServiceRecord } from '../../src/model/service.js';
import { analyzeVmFile } from './translate.js';

/** One listed file: its text, or why it could not be read now (its last good content is then kept). */
export type FileRead =
  { readonly file: string; readonly text: string } | { readonly file: string; readonly error: string };

/** Last good services per file, in listing order. */
export type GoodFiles = ReadonlyMap<string, readonly ServiceRecord[]>;

/** What the source serves now, the last good content to remember, and every problem (deduplicated). */
export interface FileSetResult {
  readonly services: ServiceRecord[];
  readonly good: GoodFiles;
  readonly errors: string[];
}

/** Parses one file (injectable so that tests can count parses). */
export type AnalyzeFile = typeof analyzeVmFile;
type Analysis = ReturnType<AnalyzeFile>;

/** Where each service key is served from: the files before the one being settled. */
type Owners = ReadonlyMap<string, string>;

/** One file as last settled. */
interface FileState {
  readonly read: FileRead;
  /** The analysis of `read.text` (undefined for an unreadable file). */
  readonly analysis: Analysis | undefined;
  readonly good: readonly ServiceRecord[] | undefined;
  /** What the source serves from this file (its good content less services earlier files define). */
  readonly served: readonly ServiceRecord[];
  readonly errors: readonly string[];
  /** Every key this file's outcome depends on: keys of its parsed and of its last good content. */
  readonly keys: ReadonlySet<string>;
}

const NO_OWNERS: Owners = new Map();

function analysisOf(
  read: FileRead,
  prior: FileState | undefined,
  analyze: AnalyzeFile,
): Analysis | undefined {
  if (!('text' in read)) return undefined;
  // The analysis is a pure function of file name and text: unchanged text is not parsed again.
  if (prior?.analysis !== undefined && 'text' in prior.read && prior.read.text === read.text)
    return prior.analysis;
  return analyze(read.text, read.file);
}

/** One file's outcome given the services earlier files already serve. */
function settle(
  read: FileRead,
  analysis: Analysis | undefined,
  previousGood: readonly ServiceRecord[] | undefined,
  owners: Owners,
): FileState {
  const errors: string[] = [];
  let accepted: readonly ServiceRecord[] | undefined;
  if ('error' in read) errors.push(read.error);
  else if (analysis !== undefined && !analysis.valid) errors.push(...analysis.errors);
  else if (analysis?.valid) {
    const { services, locationOf } = analysis.value;
    services.forEach((record, i) => {
      const owner = owners.get(serviceKeyOf(record));
      if (owner === undefined) return;
      errors.push(
        `${locationOf(i)}: services[${i}].name: "${serviceKeyOf(record)}" is already defined in ${owner}`,
      );
    });
    if (errors.length === 0) accepted = services;
  }
  const keys = new Set<string>();
  if (analysis?.valid) for (const record of analysis.value.services) keys.add(serviceKeyOf(record));
  const good = accepted ?? previousGood;
  for (const record of good ?? []) keys.add(serviceKeyOf(record));
  // A service an earlier file now defines is served from there, not from this file's old content.
  const served = accepted ?? (previousGood ?? []).filter((record) => !owners.has(serviceKeyOf(record)));
  return { read, analysis, good, served, errors, keys };
}

/**
 * What a source's files serve, kept up to date file by file: a change to files that share no
 * service with any other file is settled from those files alone (the common case: one file of a
 * thousand rewritten), anything else by settling every file again in listing order.
 */
export class FileSet {
  private order: readonly string[] = [];
  private position = new Map<string, number>();
  private states = new Map<string, FileState>();
  private served = new Map<string, ServiceRecord>();
  /** Per service key, how many files' `keys` hold it. */
  private definers = new Map<string, number>();
  private failing = new Set<string>();

  constructor(private readonly analyze: AnalyzeFile = analyzeVmFile) {}

  /**
   * Every listed file read now, in listing order (a file not listed is gone). Returns every service
   * key whose served record may have changed.
   */
  replace(reads: readonly FileRead[]): string[] {
    const before = this.served;
    const states = new Map<string, FileState>();
    const owners = new Map<string, string>();
    for (const read of reads) {
      const prior = this.states.get(read.file);
      const state = settle(read, analysisOf(read, prior, this.analyze), prior?.good, owners);
      for (const record of state.served) owners.set(serviceKeyOf(record), read.file);
      states.set(read.file, state);
    }
    this.states = states;
    this.setOrder([...states.keys()]);
    this.served = new Map();
    this.definers = new Map();
    this.failing = new Set();
    for (const [file, state] of states) this.account(file, state, 1);
    return [...new Set([...this.served.keys(), ...before.keys()])];
  }

  /**
   * Files read again (`undefined`: the file is gone) and the listing now (pass the same array while
   * it is unchanged). Returns every service key whose served record may have changed.
   */
  update(changes: ReadonlyMap<string, FileRead | undefined>, order: readonly string[]): string[] {
    const settled = this.settleAlone(changes);
    if (settled === undefined) {
      const reads: FileRead[] = [];
      for (const file of order) {
        const read = changes.has(file) ? changes.get(file) : this.states.get(file)?.read;
        if (read !== undefined) reads.push(read);
      }
      return this.replace(reads);
    }
    const keys = new Set<string>();
    for (const [file, state] of settled) {
      const prior = this.states.get(file);
      if (prior !== undefined) {
        this.account(file, prior, -1);
        for (const record of prior.served) keys.add(serviceKeyOf(record));
      }
      if (state === undefined) {
        this.states.delete(file);
        continue;
      }
      this.states.set(file, state);
      this.account(file, state, 1);
      for (const record of state.served) keys.add(serviceKeyOf(record));
    }
    if (order !== this.order) this.setOrder(order);
    return [...keys];
  }

  /** What the source serves, in listing order. */
  services(): ServiceRecord[] {
    return this.order.flatMap((file) => this.states.get(file)?.served ?? []);
  }

  /** The record served under a service key now. */
  service(key: string): ServiceRecord | undefined {
    return this.served.get(key);
  }

  /** Every problem of the files, in listing order, deduplicated. */
  errors(): string[] {
    const files = [...this.failing].sort((a, b) => (this.position.get(a) ?? 0) - (this.position.get(b) ?? 0));
    return [...new Set(files.flatMap((file) => this.states.get(file)?.errors ?? []))];
  }

  /** Last good services per file, in listing order. */
  good(): GoodFiles {
    const good = new Map<string, readonly ServiceRecord[]>();
    for (const file of this.order) {
      const records = this.states.get(file)?.good;
      if (records !== undefined) good.set(file, records);
    }
    return good;
  }

  /**
   * The new states of the changed files when none of them shares a service key with another file
   * (then no file's outcome depends on another's); undefined otherwise.
   */
  private settleAlone(
    changes: ReadonlyMap<string, FileRead | undefined>,
  ): Map<string, FileState | undefined> | undefined {
    const settled = new Map<string, FileState | undefined>();
    const claimed = new Map<string, string>();
    const alone = (file: string, keys: Iterable<string>): boolean => {
      for (const key of keys) {
        const other = claimed.get(key);
        if (other !== undefined && other !== file) return false;
        claimed.set(key, file);
      }
      return true;
    };
    for (const [file, read] of changes) {
      const prior = this.states.get(file);
      const state =
        read === undefined
          ? undefined
          : settle(read, analysisOf(read, prior, this.analyze), prior?.good, NO_OWNERS);
      if (!alone(file, prior?.keys ?? []) || !alone(file, state?.keys ?? [])) return undefined;
      settled.set(file, state);
    }
    for (const [key, file] of claimed) {
      const own = this.states.get(file)?.keys.has(key) === true ? 1 : 0;
      if ((this.definers.get(key) ?? 0) > own) return undefined;
    }
    return settled;
  }

  private account(file: string, state: FileState, sign: 1 | -1): void {
    for (const key of state.keys) {
      const count = (this.definers.get(key) ?? 0) + sign;
      if (count === 0) this.definers.delete(key);
      else this.definers.set(key, count);
    }
    for (const record of state.served) {
      if (sign === 1) this.served.set(serviceKeyOf(record), record);
      else this.served.delete(serviceKeyOf(record));
    }
    if (sign === 1 && state.errors.length > 0) this.failing.add(file);
    else this.failing.delete(file);
  }

  private setOrder(order: readonly string[]): void {
    this.order = order;
    this.position = new Map(order.map((file, i) => [file, i]));
  }
}

/** Combines the files read now (in listing order) with the previous last good content. */
export function combineFileSet(
  reads: readonly FileRead[],
  previous: GoodFiles,
  analyze: AnalyzeFile = analyzeVmFile,
): FileSetResult {
  const services: ServiceRecord[] = [];
  const good = new Map<string, readonly ServiceRecord[]>();
  const errors = new Set<string>();
  const owners = new Map<string, string>();
  for (const read of reads) {
    const state = settle(read, analysisOf(read, undefined, analyze), previous.get(read.file), owners);
    for (const error of state.errors) errors.add(error);
    if (state.good !== undefined) good.set(read.file, state.good);
    for (const record of state.served) owners.set(serviceKeyOf(record), read.file);
    services.push(...state.served);
  }
  return { services, good, errors: [...errors] };
}
