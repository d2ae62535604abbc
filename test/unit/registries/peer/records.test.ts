import { describe, expect, it } from '@jest/globals';
import type { PeerEvent } from '../../../../registries/peer/payload.js';
import { PeerFeed } from '../../../../registries/peer/records.js';
import { peerService } from './harness.js';

const feed = () => new PeerFeed({ peer: 'west', network: '', gateways: [] });
const snapshot = (revision: number, names: string[], epoch = 'e1'): PeerEvent => ({
  type: 'snapshot',
  epoch,
  revision,
  services: names.map((n) => peerService(n, ['10.0.0.1'])),
});
const change = (revision: number, upserts: string[], deletes: string[] = [], epoch = 'e1'): PeerEvent => ({
  type: 'change',
  epoch,
  revision,
  upserts: upserts.map((n) => peerService(n, [`10.0.0.${revision}`])),
  deletes: deletes.map((name) => ({ namespace: 'shop', name })),
});

describe('PeerFeed', () => {
  it('emits a snapshot for every snapshot and holds its position', () => {
    const f = feed();
    expect(f.position).toBeUndefined();
    const first = f.apply(snapshot(5, ['web', 'cart']));
    expect(first).toEqual({ ok: true, events: [{ type: 'snapshot', services: expect.any(Array) }] });
    expect(f.position).toEqual({ epoch: 'e1', revision: 5 });
    expect(f.counts).toEqual({ services: 2, endpoints: 2 });
    const again = f.apply(snapshot(1, ['pay'], 'e2'));
    expect(again.ok && again.events[0]).toEqual({
      type: 'snapshot',
      services: [expect.objectContaining({ name: 'pay' })],
    });
    expect(f.position).toEqual({ epoch: 'e2', revision: 1 });
  });

  it('turns a newer change into upserts and deletes, and ignores changes at or below the revision', () => {
    const f = feed();
    f.apply(snapshot(5, ['web', 'cart']));
    expect(f.apply(change(6, ['web'], ['cart']))).toEqual({
      ok: true,
      events: [
        { type: 'upsert', service: expect.objectContaining({ name: 'web' }) },
        { type: 'delete', namespace: 'shop', name: 'cart' },
      ],
    });
    expect(f.apply(change(6, ['pay']))).toEqual({ ok: true, events: [] });
    expect(f.apply(change(4, ['pay']))).toEqual({ ok: true, events: [] });
    expect(f.revision).toBe(6);
  });

  it('emits nothing for a change that leaves the imported record as it was', () => {
    const f = feed();
    f.apply(snapshot(5, ['web']));
    f.apply(change(6, ['web']));
    const same: PeerEvent = {
      type: 'change',
      epoch: 'e1',
      revision: 7,
      upserts: [peerService('web', ['10.0.0.6'])],
      deletes: [],
    };
    expect(f.apply(same)).toEqual({
      ok: true,
      events: [],
    });
  });

  it('refuses a change before any snapshot or of another epoch', () => {
    expect(feed().apply(change(3, ['web']))).toEqual({
      ok: false,
      error: expect.stringMatching(/before any snapshot/),
    });
    const f = feed();
    f.apply(snapshot(5, ['web']));
    expect(f.apply(change(6, ['web'], [], 'e2'))).toEqual({
      ok: false,
      error: expect.stringMatching(/epoch "e2" came before its snapshot/),
    });
  });

  it('takes the head revision from heartbeats, reset by a new epoch', () => {
    const f = feed();
    f.apply(snapshot(5, ['web']));
    f.apply({ type: 'heartbeat', epoch: 'e1', revision: 9 });
    expect([f.revision, f.headRevision]).toEqual([5, 9]);
    f.apply({ type: 'heartbeat', epoch: 'e2', revision: 2 });
    expect(f.headRevision).toBe(2);
  });

  it('drops everything into an empty snapshot and forgets its position', () => {
    const f = feed();
    f.apply(snapshot(5, ['web']));
    expect(f.drop()).toEqual({ type: 'snapshot', services: [] });
    expect([f.position, f.synced, f.counts.services]).toEqual([undefined, false, 0]);
  });
});
