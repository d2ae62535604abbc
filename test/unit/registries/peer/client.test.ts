import { describe, expect, it } from '@jest/globals';
import { problemDetail } from '../../../../registries/peer/client.js';

describe('problemDetail', () => {
  it("reads Tributary's error body, a problem JSON's detail or title, else the text", () => {
    expect(problemDetail('{"error":{"code":"TRB_API_FORBIDDEN","message":"no peer scope"}}')).toBe(
      'no peer scope',
    );
    expect(problemDetail('{"type":"x","title":"Forbidden","status":403,"detail":"not a peer token"}')).toBe(
      'not a peer token',
    );
    expect(problemDetail('{"title":"Unauthorized","status":401}')).toBe('Unauthorized');
    expect(problemDetail(' bad gateway \n')).toBe('bad gateway');
    expect(problemDetail('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
  });
});
