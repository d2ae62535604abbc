import { describe, expect, it } from '@jest/globals';
import type { SourceBatch } from '../../../src/catalog/batch.js';
import type { ServiceRecord } from '../../../src/model/service.js';
import { coalesce, type TaggedEvent } from '../../../src/pipeline/coalesce.js';
import { checkEvent } from '../../../src/pipeline/validate.js';
import type { SourceEvent, SourceState } from '../../../src/registry.js';
import { aServiceRecord, anEndpoint } from '../../support/builders.js';

const A = 'file/vms';
const B = 'consul/dc1';

function tagged(sourceId: string, event: SourceEvent): TaggedEvent {
  return { sourceId, event: checkEvent(event) };
}
const snapshot = (sourceId: string, ...services: ServiceRecord[]) =>
  tagged(sourceId, { type: 'snapshot', services });
const upsert = (sourceId: string, service: ServiceRecord) => tagged(sourceId, { type: 'upsert', service });
const remove = (sourceId: string, name: string) =>
  tagged(sourceId, { type: 'delete', namespace: 'default', name });
const status = (sourceId: string, state: SourceState, error?: string) =>
  tagged(sourceId, { type: 'status', state, ...(error === undefined ? {} : { error }) });

function svc(name: string, address: string): ServiceRecord {
  return aServiceRecord({ name, endpoints: [anEndpoint({ address })] });
}

function addresses(
  records: ReadonlyMap<string, ServiceRecord | null> | undefined,
): Record<string, string[] | null> {
  return Object.fromEntries(
    [...(records ?? [])].map(([key, r]) => [key, r ? r.endpoints.map((e) => e.address) : null]),
  );
}

function only(batch: readonly SourceBatch[]): SourceBatch {
  expect(batch).toHaveLength(1);
  return batch[0]!;
}

describe('coalesce', () => {
  it('keeps the latest upsert per service of a source', () => {
    const sb = only(
      coalesce([
        upsert(A, svc('a', '10.0.0.1')),
        upsert(A, svc('b', '10.0.0.2')),
        upsert(A, svc('a', '10.0.0.3')),
      ]),
    );
    expect(sb.snapshot).toBeUndefined();
    expect(addresses(sb.upserts)).toEqual({ 'default/a': ['10.0.0.3'], 'default/b': ['10.0.0.2'] });
  });

  it('lets a delete after an upsert win, and an upsert after a delete', () => {
    const sb = only(
      coalesce([
        upsert(A, svc('a', '10.0.0.1')),
        remove(A, 'a'),
        remove(A, 'b'),
        upsert(A, svc('b', '10.0.0.2')),
      ]),
    );
    expect(addresses(sb.upserts)).toEqual({ 'default/a': null, 'default/b': ['10.0.0.2'] });
  });

  it('replaces earlier events of the same source with a snapshot', () => {
    const sb = only(
      coalesce([upsert(A, svc('old', '10.0.0.1')), remove(A, 'gone'), snapshot(A, svc('a', '10.0.0.2'))]),
    );
    expect(addresses(sb.snapshot)).toEqual({ 'default/a': ['10.0.0.2'] });
    expect(sb.upserts.size).toBe(0);
  });

  it('folds later upserts and deletes into the snapshot', () => {
    const sb = only(
      coalesce([
        snapshot(A, svc('a', '10.0.0.1'), svc('b', '10.0.0.2')),
        upsert(A, svc('a', '10.0.0.9')),
        remove(A, 'b'),
        upsert(A, svc('c', '10.0.0.3')),
      ]),
    );
    expect(addresses(sb.snapshot)).toEqual({ 'default/a': ['10.0.0.9'], 'default/c': ['10.0.0.3'] });
    expect(sb.upserts.size).toBe(0);
  });

  it('keeps the later of two snapshots', () => {
    const sb = only(coalesce([snapshot(A, svc('a', '10.0.0.1')), snapshot(A, svc('b', '10.0.0.2'))]));
    expect(addresses(sb.snapshot)).toEqual({ 'default/b': ['10.0.0.2'] });
  });

  it('keeps the last status', () => {
    const sb = only(
      coalesce([status(A, 'syncing'), snapshot(A), status(A, 'degraded', 'bad file'), status(A, 'synced')]),
    );
    expect(sb.status).toEqual({ state: 'synced', error: undefined, stale: undefined });
    expect(sb.snapshot?.size).toBe(0);
  });

  it('drops a down status that a later snapshot in the same window contradicts', () => {
    const sb = only(coalesce([status(A, 'down', 'gone'), snapshot(A, svc('a', '10.0.0.1'))]));
    expect(sb).not.toHaveProperty('status');
    expect(sb.snapshot?.size).toBe(1);
  });

  it('has no status and no snapshot when the window held none', () => {
    const sb = only(coalesce([upsert(A, svc('a', '10.0.0.1'))]));
    expect(sb).not.toHaveProperty('status');
    expect(sb).not.toHaveProperty('snapshot');
    expect(sb).not.toHaveProperty('keep');
  });

  it('keeps two sources apart, in first-seen order', () => {
    const batch = coalesce([
      upsert(B, svc('a', '10.1.0.1')),
      snapshot(A, svc('a', '10.0.0.1')),
      status(B, 'synced'),
      upsert(A, svc('b', '10.0.0.2')),
    ]);
    expect(batch.map((sb) => sb.sourceId)).toEqual([B, A]);
    expect(addresses(batch[0]!.upserts)).toEqual({ 'default/a': ['10.1.0.1'] });
    expect(batch[0]!.status?.state).toBe('synced');
    expect(addresses(batch[1]!.snapshot)).toEqual({ 'default/a': ['10.0.0.1'], 'default/b': ['10.0.0.2'] });
    expect(batch[1]!.status).toBeUndefined();
  });

  it('ignores an upsert rejected whole: the previous record of that service stays', () => {
    const rejected = aServiceRecord({ name: 'a', ports: [] });
    const sb = only(coalesce([upsert(A, svc('a', '10.0.0.1')), upsert(A, rejected)]));
    expect(addresses(sb.upserts)).toEqual({ 'default/a': ['10.0.0.1'] });
    expect(sb.recordErrors.get('default/a')).toEqual(['default/a.ports: a service needs at least one port']);
  });

  it('carries the snapshot keep list, and a later event for a kept key takes it off', () => {
    const bad = aServiceRecord({ name: 'b', ports: [{ number: 0, name: 'http', protocol: 'http' }] });
    const kept = only(coalesce([snapshot(A, svc('a', '10.0.0.1'), bad)]));
    expect([...(kept.keep ?? [])]).toEqual(['default/b']);
    const fixed = only(coalesce([snapshot(A, svc('a', '10.0.0.1'), bad), upsert(A, svc('b', '10.0.0.2'))]));
    expect([...(fixed.keep ?? [])]).toEqual([]);
    expect(addresses(fixed.snapshot)).toEqual({ 'default/a': ['10.0.0.1'], 'default/b': ['10.0.0.2'] });
    const deleted = only(coalesce([snapshot(A, bad), remove(A, 'b')]));
    expect([...(deleted.keep ?? [])]).toEqual([]);
  });

  it('replaces record errors per key, a snapshot resetting them', () => {
    const bad = aServiceRecord({ name: 'a', endpoints: [anEndpoint({ address: 'x' })] });
    const badC = aServiceRecord({ name: 'c', endpoints: [anEndpoint({ address: 'y' })] });
    const sb = only(coalesce([upsert(A, badC), snapshot(A, svc('b', '10.0.0.1')), upsert(A, bad)]));
    expect([...sb.recordErrors.keys()]).toEqual(['default/a']);
    const cleared = only(coalesce([upsert(A, bad), upsert(A, svc('a', '10.0.0.1'))]));
    expect([...cleared.recordErrors]).toEqual([['default/a', []]]);
  });

  it('returns an empty batch for an empty window', () => {
    expect(coalesce([])).toEqual([]);
  });
});
