/**
 * xDS resource naming (ARCHITECTURE.md §4): clusters and ClusterLoadAssignments are named
 * `outbound|<port>||<hostname>` (Istio's convention, accepted by both gRPC xDS clients); listeners are
 * named by the client's target authority and resolved on demand; a listener's RouteConfiguration has
 * the listener's name. Pure functions.
 */
import type { CatalogService, CatalogView } from '../catalog/view.js';
import { serviceKeyOf } from '../model/service.js';
import type { ServicePort } from '../model/service.js';

const CLUSTER_DIRECTION = 'outbound';

/** `outbound|<port>||<hostname>`: the CDS and EDS name of one service port. */
export function clusterName(port: number, hostname: string): string {
  return `${CLUSTER_DIRECTION}|${port}||${hostname}`;
}

/** The port and hostname of a name made by `clusterName`, or undefined for any other name. */
export function parseClusterName(name: string): { port: number; hostname: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, port, subset, hostname] = parts as [string, string, string, string];
  if (direction !== CLUSTER_DIRECTION || subset !== '' || hostname === '') return undefined;
  const number = parsePort(port);
  return number === undefined ? undefined : { port: number, hostname };
}

/** The RouteConfiguration a listener points at: the listener's own name (one route config per listener). */
export function routeNameOf(listenerName: string): string {
  return listenerName;
}

/** An authority split into host and optional port; undefined when the port part is not a port. */
export function parseAuthority(authority: string): { host: string; port: number | undefined } | undefined {
  const colon = authority.lastIndexOf(':');
  if (colon === -1) return authority === '' ? undefined : { host: authority.toLowerCase(), port: undefined };
  const host = authority.slice(0, colon);
  const port = parsePort(authority.slice(colon + 1));
  if (host === '' || port === undefined) return undefined;
  return { host: host.toLowerCase(), port };
}

/**
 * The service keys (`namespace/name`) an authority could name: `<name>.<namespace>` and
 * `<name>.<namespace>.<domain>`. Used to know which remembered listeners a service change affects.
 */
export function candidateServiceKeys(authority: string, domain: string): string[] {
  const parsed = parseAuthority(authority);
  if (parsed === undefined) return [];
  const hosts = [parsed.host];
  const suffix = `.${domain.toLowerCase()}`;
  if (parsed.host.endsWith(suffix)) hosts.push(parsed.host.slice(0, -suffix.length));
  const keys: string[] = [];
  for (const host of hosts) {
    const labels = host.split('.');
    if (labels.length !== 2 || labels.some((label) => label === '')) continue;
    const key = serviceKeyOf({ name: labels[0]!, namespace: labels[1]! });
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

/**
 * Resolves a gRPC target authority to one service port. Accepted: `<name>.<namespace>` and
 * `<name>.<namespace>.<domain>` (the full hostname), each with an optional `:<port>`. Without a port
 * the service must have exactly one port. Undefined when nothing matches.
 */
export function resolveAuthority(
  authority: string,
  view: CatalogView,
  domain: string,
): { service: CatalogService; port: ServicePort } | undefined {
  const parsed = parseAuthority(authority);
  if (parsed === undefined) return undefined;
  for (const key of candidateServiceKeys(authority, domain)) {
    const service = view.services.get(key);
    if (service === undefined) continue;
    if (parsed.port === undefined) {
      const only = service.ports.length === 1 ? service.ports[0] : undefined;
      return only === undefined ? undefined : { service, port: only };
    }
    const port = service.ports.find((p) => p.number === parsed.port);
    return port === undefined ? undefined : { service, port };
  }
  return undefined;
}

/**
 * The virtual-host domains for a listener: the authority exactly as requested first, then the other
 * spellings of the same service port (`<name>.<namespace>` and the hostname, with and without port),
 * so a client that overrides its default authority still matches (XDS.md §5 item 23).
 */
export function authorityAliases(authority: string, service: CatalogService, port: number): string[] {
  const bare = `${service.name}.${service.namespace}`;
  const domains = [authority];
  for (const host of [bare, service.hostname]) {
    for (const candidate of [`${host}:${port}`, host]) {
      if (!domains.includes(candidate)) domains.push(candidate);
    }
  }
  return domains;
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}
