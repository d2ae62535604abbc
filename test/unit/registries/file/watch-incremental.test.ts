/**
 * After the first snapshot the file source re-reads only the files that fs.watch events name, and
 * lists everything again only when an event may have changed what the paths are. A file rewritten
 * through a hard link in an unwatched directory changes on disk without any event naming it: whether
 * the source sees that change tells which of the two a burst did.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_DIRTY_PATHS, watchFileSource, type WatchDirectory } from '../../../../registries/file/watch.js';
import { EventRecorder, summarize } from './event-recorder.js';

let dir: string;
let recorder: EventRecorder | undefined;
/** The listener of each watched directory, to send events fs.watch would not. */
let listeners: Map<string, (event: string, name: string | null) => void>;

const recordingWatch: WatchDirectory = (watched, listener) => {
  listeners.set(watched, listener);
  return watch(watched, { persistent: true }, listener);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-file-incr-'));
  listeners = new Map();
  mkdirSync(join(dir, 'vms'));
  mkdirSync(join(dir, 'elsewhere'));
  writeVm('vms/a.json', 'alpha', '10.0.0.1');
  writeVm('vms/b.json', 'beta', '10.0.0.2');
  // The same file under a name no watch covers.
  linkSync(join(dir, 'vms/a.json'), join(dir, 'elsewhere/a.json'));
});

afterEach(() => {
  recorder?.close();
  recorder = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function vmText(services: [name: string, address: string][]): string {
  return JSON.stringify({
    services: services.map(([name, address]) => ({
      name,
      ports: [{ number: 80, name: 'http' }],
      endpoints: [{ address }],
    })),
  });
}

function writeVm(file: string, name: string, address: string): void {
  writeFileSync(join(dir, file), vmText([[name, address]]));
}

/** Rewrites vms/a.json in place through its hard link: no event names it. */
function changeAUnseen(address: string): void {
  writeFileSync(join(dir, 'elsewhere/a.json'), vmText([['alpha', address]]));
}

async function start(debounceMs = 20): Promise<EventRecorder> {
  recorder = new EventRecorder(
    watchFileSource({ paths: ['vms'], debounceMs }, { baseDir: dir }, recordingWatch),
  );
  await recorder.status('synced');
  return recorder;
}

describe('file source: what a burst of events reads again', () => {
  it('re-reads only the file an event names, keeping the others as last read', async () => {
    const events = await start();
    changeAUnseen('10.0.0.9');
    writeVm('vms/b.json', 'beta', '10.0.0.3');
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.1', 'default/beta@10.0.0.3']);
  });

  it('lists everything again on an event without a file name', async () => {
    const events = await start();
    changeAUnseen('10.0.0.9');
    listeners.get(join(dir, 'vms'))!('rename', null);
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.9', 'default/beta@10.0.0.2']);
  });

  it('lists everything again when a subdirectory appears', async () => {
    const events = await start();
    changeAUnseen('10.0.0.9');
    mkdirSync(join(dir, 'vms/archive'));
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.9', 'default/beta@10.0.0.2']);
  });

  it(`lists everything again when one burst names more than ${MAX_DIRTY_PATHS} paths`, async () => {
    const events = await start(200);
    changeAUnseen('10.0.0.9');
    // Names that are not VM files: read one by one, none of them would change anything.
    for (let i = 0; i <= MAX_DIRTY_PATHS; i++) writeFileSync(join(dir, `vms/note-${i}.txt`), 'x');
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.9', 'default/beta@10.0.0.2']);
  });

  it('serves a file written to a temporary name and renamed into place, ignoring the temporary file', async () => {
    const events = await start();
    const before = events.events.length;
    writeFileSync(join(dir, 'vms/b.json.tmp'), vmText([['beta', '10.0.0.7']]));
    renameSync(join(dir, 'vms/b.json.tmp'), join(dir, 'vms/b.json'));
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.1', 'default/beta@10.0.0.7']);
    writeFileSync(join(dir, 'vms/c.json.tmp'), vmText([['gamma', '10.0.0.8']]));
    renameSync(join(dir, 'vms/c.json.tmp'), join(dir, 'vms/c.json'));
    expect(summarize(await events.changed())).toEqual([
      'default/alpha@10.0.0.1',
      'default/beta@10.0.0.7',
      'default/gamma@10.0.0.8',
    ]);
    expect(events.since(before).map((e) => (e.type === 'status' ? e.state : e.type))).toEqual([
      'upsert',
      'synced',
      'upsert',
      'synced',
    ]);
  });

  it('drops a deleted file and serves a new one without listing the others again', async () => {
    const events = await start();
    changeAUnseen('10.0.0.9');
    unlinkSync(join(dir, 'vms/b.json'));
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.1']);
    writeVm('vms/c.yaml', 'gamma', '10.0.0.8');
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.1', 'default/gamma@10.0.0.8']);
    expect(events.events.at(-1)).toEqual({ type: 'status', state: 'synced' });
  });

  it('moves a service between files in one burst without deleting it', async () => {
    const events = await start();
    const before = events.events.length;
    writeFileSync(join(dir, 'vms/b.json'), vmText([]));
    writeFileSync(join(dir, 'vms/c.json'), vmText([['beta', '10.0.0.5']]));
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.1', 'default/beta@10.0.0.5']);
    expect(events.since(before).filter((e) => e.type === 'delete')).toEqual([]);
    expect(events.events.at(-1)).toEqual({ type: 'status', state: 'synced' });
  });

  it('moves a service between files over two bursts: rejected while defined twice, then served', async () => {
    const events = await start();
    writeFileSync(join(dir, 'vms/c.json'), vmText([['beta', '10.0.0.5']]));
    const degraded = await events.status('degraded');
    expect(degraded.error).toBe(
      `${join(dir, 'vms/c.json')}:1:22: services[0].name: "default/beta" is already defined in ${join(dir, 'vms/b.json')}`,
    );
    writeFileSync(join(dir, 'vms/b.json'), vmText([]));
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.0.1', 'default/beta@10.0.0.5']);
    expect(events.events.at(-1)).toEqual({ type: 'status', state: 'synced' });
  });

  it('says where a JSON file broke, keeping its last good services', async () => {
    const events = await start();
    writeFileSync(
      join(dir, 'vms/b.json'),
      '{\n  "services": [\n    { "name": "beta", "name": "b" }\n  ]\n}\n',
    );
    const degraded = await events.status('degraded');
    expect(degraded.error).toBe(`${join(dir, 'vms/b.json')}:3:23: services[0].name: Map keys must be unique`);
    expect(summarize(events.state())).toEqual(['default/alpha@10.0.0.1', 'default/beta@10.0.0.2']);
  });

  it('sees a watched directory replaced by another (renamed into place)', async () => {
    const events = await start();
    mkdirSync(join(dir, 'vms-new'));
    writeVm('vms-new/d.json', 'delta', '10.0.0.4');
    renameSync(join(dir, 'vms'), join(dir, 'vms-old'));
    renameSync(join(dir, 'vms-new'), join(dir, 'vms'));
    await events.status('synced');
    expect(summarize(events.state())).toEqual(['default/delta@10.0.0.4']);
    // The new directory is watched: an edit in it is seen.
    writeVm('vms/d.json', 'delta', '10.0.0.6');
    expect(summarize(await events.changed())).toEqual(['default/delta@10.0.0.6']);
  });

  it('sees a Kubernetes-style symbolic link swap of the data directory', async () => {
    rmSync(join(dir, 'vms'), { recursive: true });
    mkdirSync(join(dir, 'vms/..v1'), { recursive: true });
    writeFileSync(join(dir, 'vms/..v1/a.yaml'), vmText([['alpha', '10.0.1.1']]));
    symlinkSync('..v1', join(dir, 'vms/..data'));
    symlinkSync('..data/a.yaml', join(dir, 'vms/a.yaml'));
    mkdirSync(join(dir, 'vms/..v2'));
    writeFileSync(join(dir, 'vms/..v2/a.yaml'), vmText([['alpha', '10.0.2.2']]));
    const events = await start();
    expect(summarize(events.state())).toEqual(['default/alpha@10.0.1.1']);
    symlinkSync('..v2', join(dir, 'vms/..data_tmp'));
    renameSync(join(dir, 'vms/..data_tmp'), join(dir, 'vms/..data'));
    expect(summarize(await events.changed())).toEqual(['default/alpha@10.0.2.2']);
  });
});
