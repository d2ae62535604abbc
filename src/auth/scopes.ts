/**
 * Token scopes and what they allow. Pure. `read`: catalog and registration reads when reads need a
 * token; `register:<namespace>`: write registrations in that namespace; `register:*`: in every
 * namespace; `peer:<name>`: watch the export feed as peer <name>; `admin`: everything.
 */

/**
 * A scope as written in config: `read`, `admin`, `register:*`, `register:<namespace>`, or
 * `peer:<name>` (the token is peer <name>'s identity for the federation export feed).
 */
export const SCOPE_PATTERN =
  /^(read|admin|register:\*|register:[a-z0-9]([-a-z0-9]*[a-z0-9])?|peer:[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

/** Who made a request: the token's name and its scopes. */
export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
}

/** True when the principal may create, renew or remove registrations in `namespace`. */
export function mayWrite(principal: Principal, namespace: string): boolean {
  const { scopes } = principal;
  return scopes.has('admin') || scopes.has('register:*') || scopes.has(`register:${namespace}`);
}

/** True when the principal may read everything (catalog and all registrations). */
export function mayRead(principal: Principal): boolean {
  return principal.scopes.has('read') || principal.scopes.has('admin');
}

/** True when the principal may see the registrations of `namespace` (read, or write there). */
export function mayList(principal: Principal, namespace: string): boolean {
  return mayRead(principal) || mayWrite(principal, namespace);
}

/** A readable list of what the principal may write, for 403 messages. */
export function describeWriteScopes(principal: Principal): string {
  const writes = [...principal.scopes].filter((s) => s === 'admin' || s.startsWith('register:'));
  return writes.length === 0 ? 'no register scope' : writes.join(', ');
}
