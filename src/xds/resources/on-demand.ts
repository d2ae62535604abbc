/**
 * Listeners and RouteConfigurations exist on demand: a listener named by a target authority exists
 * while that authority resolves to a service port (ARCHITECTURE.md §4). Pure.
 */
import type { CatalogView } from '../../catalog/view.js';
import { authorityAliases, clusterName, resolveAuthority, routeNameOf } from '../naming.js';
import { TYPE_URLS } from '../types.js';
import { buildListener } from './listener.js';
import type { ListenerMessage, RouteConfigurationMessage } from './messages.js';
import { buildRouteConfiguration } from './route.js';

/** The types whose names are resolved on demand. */
export type OnDemandTypeUrl = typeof TYPE_URLS.listener | typeof TYPE_URLS.route;

/** True for LDS and RDS. */
export function isOnDemandType(typeUrl: string): typeUrl is OnDemandTypeUrl {
  return typeUrl === TYPE_URLS.listener || typeUrl === TYPE_URLS.route;
}

/**
 * The Listener or RouteConfiguration named `name` (an authority) in `view`, or undefined when the
 * authority names no service port. The route sends everything to the port's cluster.
 */
export function buildOnDemand(
  typeUrl: OnDemandTypeUrl,
  name: string,
  view: CatalogView,
  domain: string,
): ListenerMessage | RouteConfigurationMessage | undefined {
  const resolved = resolveAuthority(name, view, domain);
  if (resolved === undefined) return undefined;
  if (typeUrl === TYPE_URLS.listener) return buildListener(name, routeNameOf(name));
  const { service, port } = resolved;
  return buildRouteConfiguration(
    name,
    name,
    clusterName(port.number, service.hostname),
    authorityAliases(name, service, port.number),
  );
}
