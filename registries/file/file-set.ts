/**
 * Pure: the files of one source, read now, combined with the last good content of each file into
 * what the source serves. A file that fails keeps its last good services; a file that is no longer
 * listed is gone; a service already defined by an earlier file rejects the later file.
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

/** Parses one file; the watcher passes a memoized one so unchanged text is not parsed again. */
export type AnalyzeFile = typeof analyzeVmFile;

/**
 * Memoizes analyzeVmFile per file on its exact text (the result is a pure function of both).
 * Entries of files not analyzed in a round are dropped by `prune`.
 */
export function memoizedAnalyzer(): { analyze: AnalyzeFile; prune(): void } {
  let current = new Map<string, { text: string; result: ReturnType<AnalyzeFile> }>();
  let previous = current;
  return {
    analyze(text, file) {
      const hit = current.get(file) ?? previous.get(file);
      if (hit?.text === text) {
        current.set(file, hit);
        return hit.result;
      }
      const result = analyzeVmFile(text, file);
      current.set(file, { text, result });
      return result;
    },
    prune() {
      previous = current;
      current = new Map();
    },
  };
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
  const claim = (file: string, records: readonly ServiceRecord[]): void => {
    for (const record of records) owners.set(serviceKeyOf(record), file);
    services.push(...records);
  };

  for (const read of reads) {
    const accepted = 'text' in read ? acceptFile(read.file, read.text, owners, errors, analyze) : undefined;
    if ('error' in read) errors.add(read.error);
    if (accepted !== undefined) {
      good.set(read.file, accepted);
      claim(read.file, accepted);
      continue;
    }
    const last = previous.get(read.file);
    if (last === undefined) continue;
    good.set(read.file, last);
    // A service an earlier file now defines is served from there, not from this file's old content.
    claim(
      read.file,
      last.filter((record) => !owners.has(serviceKeyOf(record))),
    );
  }
  return { services, good, errors: [...errors] };
}

function acceptFile(
  file: string,
  text: string,
  owners: ReadonlyMap<string, string>,
  errors: Set<string>,
  analyze: AnalyzeFile,
): readonly ServiceRecord[] | undefined {
  const result = analyze(text, file);
  if (!result.valid) {
    for (const error of result.errors) errors.add(error);
    return undefined;
  }
  const { services, locations } = result.value;
  let clash = false;
  services.forEach((record, i) => {
    const owner = owners.get(serviceKeyOf(record));
    if (owner === undefined) return;
    clash = true;
    errors.add(
      `${locations[i] ?? file}: services[${i}].name: "${serviceKeyOf(record)}" is already defined in ${owner}`,
    );
  });
  return clash ? undefined : services;
}
