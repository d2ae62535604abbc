/**
 * RDS: one RouteConfiguration per listener, one virtual host, one catch-all route to the cluster
 * (XDS.md §0 item 6, §5 items 23-24). Pure.
 */
import type { RouteConfigurationMessage } from './messages.js';

/**
 * The RouteConfiguration `name`: a virtual host whose domains are the authority exactly as requested,
 * then `aliases` (other spellings of the same service port; duplicates and domains with a misplaced
 * `*` dropped), and one route `match.prefix ""` → `route.cluster`. gRPC clients match the virtual host
 * against the authority; an unmatched authority makes RPCs hang (XDS.md §3.4.2).
 */
export function buildRouteConfiguration(
  name: string,
  authority: string,
  cluster: string,
  aliases: readonly string[] = [],
): RouteConfigurationMessage {
  const domains = [...new Set([authority, ...aliases])].filter(isValidDomain);
  return {
    name,
    virtual_hosts: [{ name, domains, routes: [{ match: { prefix: '' }, route: { cluster } }] }],
  };
}

/** Non-empty, at most one `*`, and only as the first or last character (both gRPC clients' rule). */
export function isValidDomain(domain: string): boolean {
  if (domain === '') return false;
  const stars = domain.split('*').length - 1;
  if (stars === 0) return true;
  return stars === 1 && (domain.startsWith('*') || domain.endsWith('*'));
}
