import { describe, expect, it } from '@jest/globals';
import { mayList, mayRead, mayWrite, SCOPE_PATTERN } from '../../../src/auth/scopes.js';
import { aPrincipal } from '../registration/fixtures.js';

describe('scopes', () => {
  it('accepts read, admin, register:* and register:<namespace> only', () => {
    const ok = ['read', 'admin', 'register:*', 'register:shop', 'register:a-1'];
    const bad = ['write', 'register:', 'register:Shop', 'register:a_b', 'admin:*', ' read'];
    expect(ok.filter((s) => SCOPE_PATTERN.test(s))).toEqual(ok);
    expect(bad.filter((s) => SCOPE_PATTERN.test(s))).toEqual([]);
  });

  it('lets register:<ns> write that namespace only, register:* and admin every namespace', () => {
    expect(mayWrite(aPrincipal('register:shop'), 'shop')).toBe(true);
    expect(mayWrite(aPrincipal('register:shop'), 'finance')).toBe(false);
    expect(mayWrite(aPrincipal('register:*'), 'finance')).toBe(true);
    expect(mayWrite(aPrincipal('admin'), 'finance')).toBe(true);
    expect(mayWrite(aPrincipal('read'), 'shop')).toBe(false);
  });

  it('lets read and admin read everything, and a register token list its own namespaces', () => {
    expect(mayRead(aPrincipal('read'))).toBe(true);
    expect(mayRead(aPrincipal('admin'))).toBe(true);
    expect(mayRead(aPrincipal('register:*'))).toBe(false);
    expect(mayList(aPrincipal('register:shop'), 'shop')).toBe(true);
    expect(mayList(aPrincipal('register:shop'), 'finance')).toBe(false);
  });
});
