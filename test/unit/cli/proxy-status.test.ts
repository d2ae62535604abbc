import { describe, expect, it } from '@jest/globals';
import { formatProxyStatus, syncState } from '../../../src/cli/commands/proxy-status.js';
import type { SubscriptionStatus } from '../../../src/xds/subscription.js';
import { TYPE_URLS } from '../../../src/xds/types.js';

function status(overrides: Partial<SubscriptionStatus> = {}): SubscriptionStatus {
  return {
    typeUrl: TYPE_URLS.cluster,
    wildcard: false,
    names: ['a'],
    missing: [],
    lastSentVersion: 'e-3',
    lastSentNonce: '7',
    ackedVersion: 'e-3',
    lastNack: null,
    resourcesSent: 1,
    ...overrides,
  };
}

describe('syncState', () => {
  it('says SYNCED when the last response was ACKed', () => {
    expect(syncState(status())).toBe('SYNCED');
  });
  it('says NACKED when the last response was rejected', () => {
    const nack = { nonce: '7', version: 'e-2', code: 3, message: 'bad', at: '' };
    expect(syncState(status({ ackedVersion: 'e-2', lastNack: nack }))).toBe('NACKED');
  });
  it('says STALE while the last response is unanswered, and after an older NACK', () => {
    const nack = { nonce: '5', version: 'e-1', code: 3, message: 'bad', at: '' };
    expect(syncState(status({ ackedVersion: 'e-2' }))).toBe('STALE');
    expect(syncState(status({ ackedVersion: 'e-2', lastNack: nack }))).toBe('STALE');
  });
  it('says NOT SENT before anything was sent, and - when the type is not subscribed', () => {
    expect(syncState(status({ lastSentNonce: null, lastSentVersion: null, ackedVersion: null }))).toBe(
      'NOT SENT',
    );
    expect(syncState(undefined)).toBe('-');
  });
});

describe('formatProxyStatus', () => {
  it('prints one row per stream with a state per type', () => {
    const text = formatProxyStatus([
      {
        streamId: 1,
        nodeId: 'node-a',
        userAgent: 'gRPC Node Pure JS/1.14.1',
        peer: '127.0.0.1:5000',
        kind: 'sotw',
        ads: true,
        typeUrl: null,
        openedAt: '',
        types: [status(), status({ typeUrl: TYPE_URLS.endpoint, ackedVersion: 'e-2' })],
      },
    ]);
    expect(text).toMatch(/^NODE\s+USER-AGENT\s+STREAM\s+CDS\s+EDS\s+LDS\s+RDS\s+VERSION/);
    expect(text).toMatch(/node-a\s+gRPC Node Pure JS\/1\.14\.1\s+sotw\/ads\s+SYNCED\s+STALE\s+-\s+-\s+e-3/);
  });
  it('says so when no proxy is connected', () => {
    expect(formatProxyStatus([])).toBe('No proxies connected.\n');
  });
});
