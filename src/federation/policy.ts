/**
 * Export policy (federation.exports): which services each named peer may import. Pure. A peer
 * authenticates with a token whose scope is `peer:<name>`; its rule allows services by namespace
 * globs or `namespace/name` globs. What a peer asks for is checked against its rule: asking for a
 * namespace or service the rule does not allow is refused, naming it.
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../auth/scopes.js';
import { anyGlobMatch } from '../model/glob.js';

/** One federation.exports entry. */
export interface ExportRule {
  readonly peer: string;
  /** Namespace globs whose every service is exported. */
  readonly namespaces: readonly string[];
  /** `namespace/name` globs of single services exported. */
  readonly services: readonly string[];
}

/** What a peer asks for (WatchRequest.namespaces / services, or the SSE query); empty lists: everything allowed. */
export interface ExportFilter {
  readonly namespaces: readonly string[];
  readonly services: readonly string[];
}

/** The rule allowing everything: an admin token watching the export feed. */
const EVERYTHING = (peer: string): ExportRule => ({ peer, namespaces: ['*'], services: [] });

/** The scope that makes a token the identity of peer `name`. */
export const peerScope = (name: string): string => `peer:${name}`;

/** The peer names a principal's scopes claim. */
function peersOf(principal: Principal): string[] {
  return [...principal.scopes].filter((s) => s.startsWith('peer:')).map((s) => s.slice('peer:'.length));
}

/** True when `rule` exports service `namespace/name`. */
export function exportsService(rule: ExportRule, namespace: string, name: string): boolean {
  return anyGlobMatch(rule.namespaces, namespace) || anyGlobMatch(rule.services, `${namespace}/${name}`);
}

function describeRule(rule: ExportRule): string {
  const parts = [
    rule.namespaces.length > 0 ? `namespaces ${rule.namespaces.join(', ')}` : '',
    rule.services.length > 0 ? `services ${rule.services.join(', ')}` : '',
  ].filter((p) => p !== '');
  return parts.length === 0 ? 'nothing' : parts.join('; ');
}

/** A grant: who is watching, under which rule, narrowed by what it asked for. */
export interface ExportGrant {
  readonly peer: string;
  readonly rule: ExportRule;
  readonly filter: ExportFilter;
  /** Whether service `namespace/name` goes to this watcher. */
  selects(namespace: string, name: string): boolean;
  /** Changes whenever what the grant selects could change (rule or filter): part of the feed's epoch. */
  readonly fingerprint: string;
}

/** Why a watch is refused: `unauthenticated` (401) or `forbidden` (403), with a message naming the reason. */
export type GrantResult =
  | { readonly ok: true; readonly grant: ExportGrant }
  | { readonly ok: false; readonly reason: 'forbidden' | 'invalid'; readonly message: string };

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The configured rules by peer name. */
export class ExportPolicy {
  private readonly rules: ReadonlyMap<string, ExportRule>;

  constructor(rules: readonly ExportRule[]) {
    this.rules = new Map(rules.map((r) => [r.peer, r]));
  }

  /** The peers that have a rule, in configuration order. */
  get peers(): readonly string[] {
    return [...this.rules.keys()];
  }

  /** Grants `principal` the feed narrowed by `filter`, or says why not. */
  grant(principal: Principal, filter: ExportFilter): GrantResult {
    const bad = [
      ...filter.namespaces.filter((n) => !NAMESPACE.test(n)),
      ...filter.services.filter(isBadService),
    ];
    if (bad.length > 0) {
      return {
        ok: false,
        reason: 'invalid',
        message: `not a namespace or namespace/name: ${bad.join(', ')}`,
      };
    }
    const rule = this.ruleOf(principal);
    if (typeof rule === 'string') return { ok: false, reason: 'forbidden', message: rule };
    const denied = [
      ...filter.namespaces.filter((n) => !namespaceAllowed(rule, n)).map((n) => `namespace "${n}"`),
      ...filter.services
        .filter((s) => !exportsService(rule, ...splitService(s)))
        .map((s) => `service "${s}"`),
    ];
    if (denied.length > 0) {
      return {
        ok: false,
        reason: 'forbidden',
        message: `peer "${rule.peer}" may not import ${denied.join(', ')} (federation.exports allows ${describeRule(rule)})`,
      };
    }
    return { ok: true, grant: buildGrant(rule, filter) };
  }

  /** The rule of the principal's peer, or why it has none. */
  private ruleOf(principal: Principal): ExportRule | string {
    const peers = peersOf(principal);
    for (const peer of peers) {
      const rule = this.rules.get(peer);
      if (rule !== undefined) return rule;
    }
    if (principal.scopes.has('admin')) return EVERYTHING(principal.name);
    if (peers.length === 0) {
      return `token "${principal.name}" is not a peer token (give it the scope peer:<name>)`;
    }
    return `no federation.exports entry for peer ${peers.map((p) => `"${p}"`).join(', ')}: nothing is exported to it`;
  }
}

function isBadService(service: string): boolean {
  const [namespace, name] = splitService(service);
  return !NAMESPACE.test(namespace) || !NAMESPACE.test(name);
}

function splitService(service: string): [string, string] {
  const slash = service.indexOf('/');
  return slash < 0 ? ['', service] : [service.slice(0, slash), service.slice(slash + 1)];
}

/** A namespace is allowed when a namespace glob matches it, or a service glob's namespace part does. */
function namespaceAllowed(rule: ExportRule, namespace: string): boolean {
  if (anyGlobMatch(rule.namespaces, namespace)) return true;
  return rule.services.some((glob) =>
    anyGlobMatch([glob.slice(0, Math.max(0, glob.indexOf('/')))], namespace),
  );
}

function buildGrant(rule: ExportRule, filter: ExportFilter): ExportGrant {
  const narrowed = filter.namespaces.length > 0 || filter.services.length > 0;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([rule.namespaces, rule.services, filter.namespaces, filter.services]))
    .digest('hex')
    .slice(0, 8);
  return {
    peer: rule.peer,
    rule,
    filter,
    fingerprint,
    selects: (namespace, name) =>
      exportsService(rule, namespace, name) &&
      (!narrowed ||
        filter.namespaces.includes(namespace) ||
        filter.services.includes(`${namespace}/${name}`)),
  };
}
