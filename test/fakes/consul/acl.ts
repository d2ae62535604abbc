/**
 * The fake Consul's ACLs, as Consul answers them: an unknown token is a 403 `ACL not found`; a
 * request on one named resource without the permission is a 403 `Permission denied: token with
 * AccessorID '…' lacks permission 'service:read' on "web"`; lists are filtered instead, with
 * `X-Consul-Results-Filtered-By-ACLs: true`. Rules are prefixes (`""` matches everything), like
 * `service_prefix "" { policy = "read" }`.
 */
import type { IncomingMessage } from 'node:http';
import { fakeUuid } from './state.js';

/** What a token may do: name prefixes per resource and access. */
export interface FakePolicy {
  readonly serviceRead?: readonly string[];
  readonly serviceWrite?: readonly string[];
  readonly nodeRead?: readonly string[];
  readonly nodeWrite?: readonly string[];
}

/** A resolved token; `undefined` from `resolve` means ACL not found. */
export interface Principal {
  readonly accessorId: string;
  can(resource: 'service' | 'node', access: 'read' | 'write', name: string): boolean;
}

const ALLOW_ALL: Principal = { accessorId: '00000000-0000-0000-0000-000000000002', can: () => true };

function principalOf(accessorId: string, policy: FakePolicy): Principal {
  return {
    accessorId,
    can(resource, access, name) {
      const matches = (prefixes: readonly string[] | undefined): boolean =>
        (prefixes ?? []).some((p) => name.startsWith(p));
      if (resource === 'service') {
        return access === 'read'
          ? matches(policy.serviceRead) || matches(policy.serviceWrite)
          : matches(policy.serviceWrite);
      }
      return access === 'read'
        ? matches(policy.nodeRead) || matches(policy.nodeWrite)
        : matches(policy.nodeWrite);
    },
  };
}

/** Tokens and the anonymous policy; disabled (everything allowed) until `enable`. */
export class FakeAcl {
  private enabled = false;
  private anonymous: FakePolicy = {};
  private readonly tokens = new Map<string, Principal>();

  enable(anonymous: FakePolicy = {}): void {
    this.enabled = true;
    this.anonymous = anonymous;
  }

  disable(): void {
    this.enabled = false;
  }

  setToken(secret: string, policy: FakePolicy): void {
    this.tokens.set(secret, principalOf(fakeUuid(`accessor/${secret}`), policy));
  }

  removeToken(secret: string): void {
    this.tokens.delete(secret);
  }

  /** The caller: X-Consul-Token, `Authorization: Bearer`, or `?token=`; undefined = ACL not found. */
  resolve(req: IncomingMessage, query: URLSearchParams): Principal | undefined {
    if (!this.enabled) return ALLOW_ALL;
    const header = req.headers['x-consul-token'];
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const secret = (Array.isArray(header) ? header[0] : header) ?? bearer ?? query.get('token') ?? '';
    if (secret === '') return principalOf('00000000-0000-0000-0000-000000000002', this.anonymous);
    return this.tokens.get(secret);
  }
}

/** Consul's 403 body for a missing permission. */
export function permissionDenied(principal: Principal, permission: string, name: string): string {
  return `Permission denied: token with AccessorID '${principal.accessorId}' lacks permission '${permission}' on "${name}"`;
}
