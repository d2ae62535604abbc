import { describe, expect, it } from '@jest/globals';
import { ExportPolicy } from '../../../src/federation/policy.js';

const policy = new ExportPolicy([
  { peer: 'cloud-b', namespaces: ['shop'], services: ['billing/api', 'ops/*'] },
  { peer: 'cloud-c', namespaces: [], services: [] },
]);
const peer = (name: string, ...scopes: string[]) => ({ name, scopes: new Set(scopes) });
const none = { namespaces: [], services: [] };

describe('ExportPolicy', () => {
  it('grants a peer token the services its rule names, by namespace and by service glob', () => {
    const result = policy.grant(peer('b-token', 'peer:cloud-b'), none);
    if (!result.ok) throw new Error(result.message);
    expect(result.grant.peer).toBe('cloud-b');
    expect(result.grant.selects('shop', 'cart')).toBe(true);
    expect(result.grant.selects('billing', 'api')).toBe(true);
    expect(result.grant.selects('billing', 'ledger')).toBe(false);
    expect(result.grant.selects('ops', 'grafana')).toBe(true);
    expect(result.grant.selects('default', 'payments')).toBe(false);
  });

  it('narrows the grant to what the peer asks for', () => {
    const result = policy.grant(peer('b', 'peer:cloud-b'), { namespaces: [], services: ['shop/cart'] });
    if (!result.ok) throw new Error(result.message);
    expect(result.grant.selects('shop', 'cart')).toBe(true);
    expect(result.grant.selects('shop', 'orders')).toBe(false);
  });

  it('refuses a namespace or service outside the rule, naming it and what the rule allows', () => {
    const result = policy.grant(peer('b', 'peer:cloud-b'), {
      namespaces: ['default'],
      services: ['billing/ledger'],
    });
    expect(result).toEqual({
      ok: false,
      reason: 'forbidden',
      message:
        'peer "cloud-b" may not import namespace "default", service "billing/ledger" (federation.exports allows namespaces shop; services billing/api, ops/*)',
    });
  });

  it('allows asking for a namespace that only service globs reach', () => {
    expect(policy.grant(peer('b', 'peer:cloud-b'), { namespaces: ['billing'], services: [] }).ok).toBe(true);
  });

  it('refuses tokens that are not peer tokens, and peers without an exports entry', () => {
    expect(policy.grant(peer('reader', 'read'), none)).toMatchObject({
      ok: false,
      reason: 'forbidden',
      message: 'token "reader" is not a peer token (give it the scope peer:<name>)',
    });
    expect(policy.grant(peer('d', 'peer:cloud-d'), none)).toMatchObject({
      ok: false,
      message: 'no federation.exports entry for peer "cloud-d": nothing is exported to it',
    });
  });

  it('gives a peer whose rule is empty nothing', () => {
    const result = policy.grant(peer('c', 'peer:cloud-c'), none);
    if (!result.ok) throw new Error(result.message);
    expect(result.grant.selects('shop', 'cart')).toBe(false);
  });

  it('rejects filters that are not names', () => {
    expect(
      policy.grant(peer('b', 'peer:cloud-b'), { namespaces: ['Shop!'], services: ['nope'] }),
    ).toMatchObject({
      ok: false,
      reason: 'invalid',
      message: 'not a namespace or namespace/name: Shop!, nope',
    });
  });

  it('changes the fingerprint when the rule or the filter changes', () => {
    const a = policy.grant(peer('b', 'peer:cloud-b'), none);
    const b = policy.grant(peer('b', 'peer:cloud-b'), { namespaces: ['shop'], services: [] });
    const other = new ExportPolicy([{ peer: 'cloud-b', namespaces: ['shop', 'ops'], services: [] }]).grant(
      peer('b', 'peer:cloud-b'),
      none,
    );
    if (!a.ok || !b.ok || !other.ok) throw new Error('refused');
    expect(new Set([a.grant.fingerprint, b.grant.fingerprint, other.grant.fingerprint]).size).toBe(3);
  });
});
