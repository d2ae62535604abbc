import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileRegistry } from '../../../../registries/file/watch.js';
import { EventRecorder, summarize } from './event-recorder.js';

let dir: string;
let recorder: EventRecorder | undefined;
let watchesBefore: number;

beforeEach(() => {
  watchesBefore = activeHandles('FSEventWrap');
  dir = mkdtempSync(join(tmpdir(), 'tributary-file-'));
  mkdirSync(join(dir, 'vms'));
  writeVmFile('vms/payments.yaml', 'payments', '10.0.1.11', '10.0.2.11');
  writeVmFile('vms/inventory.yaml', 'inventory', '10.0.1.21');
});

afterEach(async () => {
  recorder?.close();
  recorder = undefined;
  rmSync(dir, { recursive: true, force: true });
  // Every test must leave no watch behind (handles close on a later event-loop turn).
  await eventually(() => activeHandles('FSEventWrap') <= watchesBefore);
});

/** Lines: 1 services, 2 name, 3 ports, 4 endpoints, 5.. one VM per line. */
function vmFileText(name: string, ...addresses: string[]): string {
  const vms = addresses.map((address) => `      - { address: ${address} }`);
  return [
    'services:',
    `  - name: ${name}`,
    '    ports: [{ number: 8080, name: http }]',
    '    endpoints:',
    ...vms,
    '',
  ].join('\n');
}

function writeVmFile(file: string, name: string, ...addresses: string[]): void {
  writeFileSync(join(dir, file), vmFileText(name, ...addresses));
}

function start(paths: string[] = ['vms'], debounceMs = 20): EventRecorder {
  const registry = createFileRegistry('file/test', { paths, debounceMs }, { baseDir: dir });
  recorder = new EventRecorder(registry.events());
  return recorder;
}

function activeHandles(type: string): number {
  return process.getActiveResourcesInfo().filter((t) => t === type).length;
}

/** Polls `condition` between event-loop turns until it holds or `ms` pass. */
async function eventually(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('file registry events', () => {
  it('emits syncing, one snapshot of every file (sorted by file name), then synced', async () => {
    const events = start();
    await events.status('synced');
    expect(events.events.map((e) => e.type + (e.type === 'status' ? `:${e.state}` : ''))).toEqual([
      'status:syncing',
      'snapshot',
      'status:synced',
    ]);
    const snapshot = events.events[1]!;
    expect(snapshot.type === 'snapshot' && summarize(snapshot)).toEqual([
      'default/inventory@10.0.1.21',
      'default/payments@10.0.1.11,10.0.2.11',
    ]);
  });

  it('sends only the edited service after the first snapshot', async () => {
    const events = start();
    await events.status('synced');
    const before = events.events.length;
    writeVmFile('vms/payments.yaml', 'payments', '10.0.1.11', '10.0.3.11');
    const state = await events.changed();
    const sent = events.since(before).filter((e) => e.type !== 'status');
    expect(sent.map((e) => (e.type === 'upsert' ? `upsert ${e.service.name}` : e.type))).toEqual([
      'upsert payments',
    ]);
    expect(summarize(state)).toEqual(['default/inventory@10.0.1.21', 'default/payments@10.0.1.11,10.0.3.11']);
    expect(events.events.at(-1)).toEqual({ type: 'status', state: 'synced' });
  });

  it('keeps a broken file’s last good services, says where it broke, and recovers when fixed', async () => {
    const events = start();
    const first = summarize(await events.snapshot());
    await events.status('synced');
    const file = join(dir, 'vms/payments.yaml');

    const beforeBreak = events.events.length;
    writeVmFile('vms/payments.yaml', 'payments', '10.0.1.11', '10.0.2.x');
    const degraded = await events.status('degraded');
    expect(degraded.error).toBe(
      `${file}:6:20: services[0].endpoints[1].address: "10.0.2.x" is not an IPv4 or IPv6 address`,
    );
    expect(events.since(beforeBreak).filter((e) => e.type === 'snapshot')).toEqual([]);

    const beforeFix = events.events.length;
    writeVmFile('vms/payments.yaml', 'payments', '10.0.1.11', '10.0.2.11');
    await events.status('synced');
    // The fixed file says what the last good one said: nothing to replace, only the status changes.
    expect(events.since(beforeFix).filter((e) => e.type === 'snapshot')).toEqual([]);
    expect(first).toContain('default/payments@10.0.1.11,10.0.2.11');
  });

  it('drops the services of a deleted file and adds those of a new one', async () => {
    const events = start();
    await events.status('synced');
    unlinkSync(join(dir, 'vms/inventory.yaml'));
    expect(summarize(await events.changed())).toEqual(['default/payments@10.0.1.11,10.0.2.11']);
    expect(events.events.some((e) => e.type === 'delete' && e.name === 'inventory')).toBe(true);
    writeVmFile('vms/search.yml', 'search', '10.0.4.1');
    expect(summarize(await events.changed())).toEqual([
      'default/payments@10.0.1.11,10.0.2.11',
      'default/search@10.0.4.1',
    ]);
    expect(events.events.at(-1)).toEqual({ type: 'status', state: 'synced' });
  });

  it('ignores files without a VM file extension in a directory', async () => {
    writeFileSync(join(dir, 'vms/README.txt'), 'not yaml: [');
    const events = start();
    expect(summarize(await events.snapshot())).toHaveLength(2);
    await events.status('synced');
  });

  it('rejects a later file that defines a service again, keeping the first', async () => {
    const events = start();
    await events.status('synced');
    writeVmFile('vms/zz-copy.yaml', 'payments', '10.9.9.9');
    const degraded = await events.status('degraded');
    expect(degraded.error).toBe(
      `${join(dir, 'vms/zz-copy.yaml')}:2:11: services[0].name: "default/payments" is already defined in ${join(dir, 'vms/payments.yaml')}`,
    );
  });

  it('goes down without a snapshot while a configured path is missing, and serves it once it appears', async () => {
    const events = start(['vms', 'more/extra.yaml']);
    const down = await events.status('down');
    expect(down.error).toBe(`paths[1]: "${join(dir, 'more/extra.yaml')}" does not exist`);
    expect(down.stale).toBe(true);
    // No snapshot: a partial read must not tell the catalog that the missing path's services are gone.
    expect(events.events.filter((e) => e.type === 'snapshot')).toHaveLength(0);

    mkdirSync(join(dir, 'more'));
    writeVmFile('more/extra.yaml', 'extra', '10.0.9.1');
    const snapshot = summarize(await events.snapshot());
    expect(snapshot).toContain('default/extra@10.0.9.1');
    expect(snapshot).toContain('default/payments@10.0.1.11,10.0.2.11');
    await events.status('synced');
  });

  it('keeps the last snapshot when a watched directory disappears, and reports the source down', async () => {
    const events = start(['vms']);
    await events.status('synced');
    const snapshots = events.events.filter((e) => e.type === 'snapshot').length;
    rmSync(join(dir, 'vms'), { recursive: true });
    const down = await events.status('down');
    expect(down.error).toContain('does not exist');
    expect(events.events.filter((e) => e.type === 'snapshot')).toHaveLength(snapshots);
  });

  it('closes every watch and timer when unsubscribed', async () => {
    const baseline = { watches: activeHandles('FSEventWrap'), timers: activeHandles('Timeout') };
    const events = start(['vms'], 10_000);
    await events.status('synced');
    expect(activeHandles('FSEventWrap')).toBeGreaterThan(baseline.watches);

    // With a long debounce, an edit leaves the re-read timer pending: unsubscribing must clear it.
    writeVmFile('vms/payments.yaml', 'payments', '10.0.1.11');
    await eventually(() => activeHandles('Timeout') > baseline.timers);
    const seen = events.events.length;
    events.close();
    await eventually(
      () => activeHandles('FSEventWrap') === baseline.watches && activeHandles('Timeout') === baseline.timers,
    );
    expect(events.events).toHaveLength(seen);
  });
});
