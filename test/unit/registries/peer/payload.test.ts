import { describe, expect, it } from '@jest/globals';
import { isPeerEventType, parsePeerEvent } from '../../../../registries/peer/payload.js';
import { peerService } from './harness.js';

describe('parsePeerEvent', () => {
  it('decodes the three event types', () => {
    const service = peerService('web', ['10.0.0.1']);
    expect(
      parsePeerEvent('snapshot', JSON.stringify({ epoch: 'e1', revision: 3, services: [service] })),
    ).toEqual({
      valid: true,
      value: { type: 'snapshot', epoch: 'e1', revision: 3, services: [service] },
    });
    const change = { epoch: 'e1', revision: 4, upserts: [], deletes: [{ namespace: 'shop', name: 'web' }] };
    expect(parsePeerEvent('change', JSON.stringify(change))).toEqual({
      valid: true,
      value: { type: 'change', ...change },
    });
    expect(parsePeerEvent('heartbeat', '{"epoch":"e1","revision":4}')).toEqual({
      valid: true,
      value: { type: 'heartbeat', epoch: 'e1', revision: 4 },
    });
  });

  it('names the path of what is wrong', () => {
    const bad = {
      ...peerService('web', ['10.0.0.1']),
      endpoints: [{ ...peerService('web', ['10.0.0.1']).endpoints[0], port: '80' }],
    };
    const result = parsePeerEvent('snapshot', JSON.stringify({ epoch: 'e1', revision: 3, services: [bad] }));
    expect(result).toEqual({
      valid: false,
      errors: [expect.stringMatching(/^services\[0\]\.endpoints\[0\]\.port: /)],
    });
    expect(parsePeerEvent('heartbeat', '{"epoch":"","revision":-1}')).toEqual({
      valid: false,
      errors: [expect.stringMatching(/^epoch: /), expect.stringMatching(/^revision: /)],
    });
    expect(parsePeerEvent('heartbeat', '[]')).toEqual({
      valid: false,
      errors: [expect.stringMatching(/^\(event\): /)],
    });
  });

  it('says when the data is not JSON', () => {
    expect(parsePeerEvent('change', '{')).toEqual({
      valid: false,
      errors: [expect.stringMatching(/^not JSON: /)],
    });
  });

  it('knows only the feed event types', () => {
    expect(['snapshot', 'change', 'heartbeat', 'message', 'toString'].map(isPeerEventType)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
