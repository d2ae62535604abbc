/**
 * Change-feed worker process: follows `/v1/watch` (one stream per namespace) so that parsing the
 * events, which carry whole services, never delays the driver's event loop. Keeps, per service, the
 * revisions that touched it with the highest change sequence number the catalog held, and the time
 * each revision was first seen (CLOCK_MONOTONIC ms).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seqOfAddress } from '../workloads/catalog.js';
import type { ServiceRevision } from '../analyze.js';
import { nowMs } from '../proxy/protocol.js';
import { CatalogWatch, type ChangeEvent } from './watch.js';
import { serveIpc } from './child.js';

export type FeedCommand =
  | {
      readonly cmd: 'open';
      readonly http: string;
      readonly namespaces: readonly string[];
      readonly services: number;
      readonly since: number;
    }
  | { readonly cmd: 'seen' }
  | { readonly cmd: 'mark' }
  | { readonly cmd: 'collect' }
  | { readonly cmd: 'close' };

export interface FeedCollected {
  readonly serviceRevisions: ServiceRevision[][];
  readonly commits: [number, number][];
  readonly errors: string[];
}

const ELD_RESOLUTION_MS = 2;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
eld.enable();
let watches: CatalogWatch[] = [];
let serviceRevisions: ServiceRevision[][] = [];
let seenSeq = new Int32Array(0);
const commits = new Map<number, number>();

function onChange(event: ChangeEvent, time: number): void {
  if (!commits.has(event.revision)) commits.set(event.revision, time);
  for (const s of event.services) {
    const m = /^svc-(\d+)$/.exec(s.name);
    if (!m) continue;
    let maxSeq = -1;
    for (const ep of s.service?.endpoints ?? []) maxSeq = Math.max(maxSeq, seqOfAddress(ep.address));
    const i = Number(m[1]);
    serviceRevisions[i]?.push({ revision: event.revision, maxSeq, time, op: s.op });
    if (i < seenSeq.length && maxSeq > seenSeq[i]!) seenSeq[i] = maxSeq;
  }
}

async function handle(command: FeedCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'open':
      serviceRevisions = Array.from({ length: command.services }, () => []);
      seenSeq = new Int32Array(command.services).fill(-1);
      watches = command.namespaces.map((ns) => new CatalogWatch(command.http, onChange, ns));
      await Promise.all(watches.map((w) => w.open(command.since)));
      return null;
    case 'seen':
      return seenSeq;
    case 'mark': {
      const p99 = eld.count > 0 ? Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS) : 0;
      const max = eld.count > 0 ? Math.max(0, eld.max / 1e6 - ELD_RESOLUTION_MS) : 0;
      eld.reset();
      return { time: nowMs(), eldP99Ms: p99, eldMaxMs: max };
    }
    case 'collect': {
      const errors: string[] = [];
      for (const w of watches) {
        for (const e of w.errors) errors.push(`watch ${w.label}: ${e}`);
        if (w.reconnects > 0)
          errors.push(
            `watch ${w.label}: the daemon ended the change feed ${w.reconnects} time(s); resumed with ?since=`,
          );
      }
      const out: FeedCollected = { serviceRevisions, commits: [...commits], errors };
      return out;
    }
    case 'close':
      for (const w of watches) w.close();
      eld.disable();
      setTimeout(() => process.exit(0), 10).unref();
      return null;
  }
}

serveIpc<FeedCommand>(handle);
