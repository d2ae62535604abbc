/**
 * LDS for proxyless gRPC: a Listener named by the client's target authority whose api_listener is an
 * HttpConnectionManager fetching its routes over ADS (XDS.md §0 item 6, §3.4.2, §5 item 22). Pure.
 * Envoy cannot take api_listeners over LDS (XDS.md §3.3), so these are only served by name.
 */
import { HCM_TYPE_URL, ROUTER_FILTER_NAME, ROUTER_TYPE_URL, adsConfigSource } from './messages.js';
import type { ListenerMessage } from './messages.js';

/**
 * The Listener `name`: HCM{ stat_prefix, rds{ route_config_name: routeName, config_source: ads + V3 },
 * http_filters: [router with a typed Router config] }. The router is the only filter and therefore
 * last, as both clients require; C-core NACKs an empty filter list and grpc-js NACKs a filter without
 * typed_config (XDS.md §3.1-3.2).
 */
export function buildListener(name: string, routeName: string): ListenerMessage {
  return {
    name,
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE_URL,
        stat_prefix: statPrefixOf(name),
        rds: { config_source: adsConfigSource(), route_config_name: routeName },
        http_filters: [{ name: ROUTER_FILTER_NAME, typed_config: { '@type': ROUTER_TYPE_URL } }],
      },
    },
  };
}

/** A stat prefix from a listener name: Envoy stat names use `.` as a separator, so anything else becomes `_`. */
export function statPrefixOf(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_') || 'tributary';
}
