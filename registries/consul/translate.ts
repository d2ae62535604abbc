/**
 * Pure: Consul health entries → catalog endpoints, and the endpoints of one `(namespace, name)` →
 * its ServiceRecord. Mapping rules: README "Consul source"; identity: REGISTRIES.md "Identity across
 * registries" (instance id = datacenter/node/service id, cluster = datacenter).
 */
import { DEFAULT_WEIGHT, type Endpoint, type Health } from '../../src/model/endpoint.js';
import {
  PROTOCOLS,
  serviceKeyOf,
  type Protocol,
  type ServicePort,
  type ServiceRecord,
} from '../../src/model/service.js';
import { anyGlobMatch, globMatch } from '../../src/model/glob.js';
import { isLabelKey, MAX_WEIGHT } from '../../src/model/validate.js';
import type { ConsulSourceConfig } from './config.js';
import type { HealthCheck, HealthEntry } from './payload.js';

/** The settings translation reads. */
export type TranslateOptions = Pick<
  ConsulSourceConfig,
  | 'namespace'
  | 'namespaceMetaKey'
  | 'namespaceTagPrefix'
  | 'consulNamespaces'
  | 'taggedAddress'
  | 'warningHealth'
  | 'protocolMetaKey'
  | 'portNameMetaKey'
  | 'servicePortMetaKey'
  | 'defaultProtocol'
  | 'locality'
  | 'networks'
  | 'filter'
>;

/** One Consul service instance as a catalog endpoint of service `key`. */
export interface ConsulInstance {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly protocol: Protocol;
  /** The port name the instance's meta gives, if it is a DNS label. */
  readonly portName: string | undefined;
  readonly endpoint: Endpoint;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Tags become labels under this prefix. */
const TAG_LABEL_PREFIX = 'tag.consul/';
const NODE_MAINTENANCE = '_node_maintenance';
const SERVICE_MAINTENANCE = '_service_maintenance:';

const anyMatch = anyGlobMatch;

export { globMatch };

/**
 * Whether a service of the catalog list is read at all: its name passes `names`/`excludeNames`,
 * and when `tags` are given, some instance carries one of them (`tags` is the union of its instances').
 */
export function selectService(
  name: string,
  tags: readonly string[],
  filter: ConsulSourceConfig['filter'],
): boolean {
  if (filter.names.length > 0 && !anyMatch(filter.names, name)) return false;
  if (anyMatch(filter.excludeNames, name)) return false;
  return filter.tags.length === 0 || tags.some((tag) => anyMatch(filter.tags, tag));
}

function selectInstance(tags: readonly string[], filter: ConsulSourceConfig['filter']): boolean {
  if (filter.tags.length > 0 && !tags.some((tag) => anyMatch(filter.tags, tag))) return false;
  return !tags.some((tag) => anyMatch(filter.excludeTags, tag));
}

/**
 * Health of an instance from its checks (service and node-level): maintenance → draining, else the
 * worst status: critical → unhealthy, warning → `warningHealth`, passing (or no check) → healthy.
 */
export function healthOf(
  checks: readonly HealthCheck[],
  warningHealth: ConsulSourceConfig['warningHealth'],
): { health: Health; warning: boolean } {
  if (checks.some((c) => c.CheckID === NODE_MAINTENANCE || c.CheckID.startsWith(SERVICE_MAINTENANCE))) {
    return { health: 'draining', warning: false };
  }
  if (checks.some((c) => c.Status !== 'passing' && c.Status !== 'warning')) {
    return { health: 'unhealthy', warning: false };
  }
  if (checks.some((c) => c.Status === 'warning')) return { health: warningHealth, warning: true };
  return { health: 'healthy', warning: false };
}

function clampWeight(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_WEIGHT;
  return Math.min(MAX_WEIGHT, Math.max(1, Math.round(value)));
}

/** The address and port: the configured tagged address (service's, then node's), else Service.Address, else Node.Address. */
function addressOf(
  entry: HealthEntry,
  tagged: ConsulSourceConfig['taggedAddress'],
): { address: string; port: number } {
  const { Service: service, Node: node } = entry;
  if (tagged !== 'none') {
    const own = service.TaggedAddresses?.[tagged];
    if (own !== undefined && own.address !== '')
      return { address: own.address, port: own.port || service.Port };
    const nodeAddress = node.TaggedAddresses?.[tagged];
    if (nodeAddress) return { address: nodeAddress, port: service.Port };
  }
  return { address: service.Address || node.Address, port: service.Port };
}

function namespaceOf(entry: HealthEntry, options: TranslateOptions): string {
  const service = entry.Service;
  const fromMeta = service.Meta?.[options.namespaceMetaKey];
  if (fromMeta) return fromMeta;
  const prefix = options.namespaceTagPrefix;
  if (prefix !== undefined) {
    const tag = (service.Tags ?? []).find((t) => t.startsWith(prefix) && t.length > prefix.length);
    if (tag !== undefined) return tag.slice(prefix.length);
  }
  if (options.consulNamespaces && service.Namespace) return service.Namespace;
  return options.namespace;
}

/** Meta entries whose keys are label keys, then each tag as `tag.consul/<tag>: "true"`. */
function labelsOf(entry: HealthEntry): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of entry.Service.Tags ?? []) {
    const key = `${TAG_LABEL_PREFIX}${tag}`;
    if (isLabelKey(key)) labels[key] = 'true';
  }
  for (const [key, value] of Object.entries(entry.Service.Meta ?? {})) {
    if (isLabelKey(key)) labels[key] = value;
  }
  return labels;
}

function protocolOf(entry: HealthEntry, options: TranslateOptions): Protocol {
  const value = entry.Service.Meta?.[options.protocolMetaKey]?.toLowerCase();
  return value !== undefined && (PROTOCOLS as readonly string[]).includes(value)
    ? (value as Protocol)
    : options.defaultProtocol;
}

/** The service port: the meta key's value when it is a port number, else the instance's own port. */
function servicePortOf(entry: HealthEntry, port: number, options: TranslateOptions): number {
  const value = entry.Service.Meta?.[options.servicePortMetaKey];
  const number = value !== undefined && /^\d{1,5}$/.test(value) ? Number(value) : 0;
  return number >= 1 && number <= 65_535 ? number : port;
}

function portNameOf(entry: HealthEntry, options: TranslateOptions): string | undefined {
  const value = entry.Service.Meta?.[options.portNameMetaKey];
  return value !== undefined && value.length <= 63 && DNS_LABEL.test(value) ? value : undefined;
}

/**
 * The instances of one health reply that are application endpoints: Connect proxies and gateways
 * (`Kind` set), instances without a port and instances the tag filter leaves out are skipped.
 * `datacenter` is the configured one ('' = the agent's own: then the node's `Datacenter`).
 */
export function translateEntries(
  entries: readonly HealthEntry[],
  datacenter: string,
  options: TranslateOptions,
): ConsulInstance[] {
  const instances: ConsulInstance[] = [];
  for (const entry of entries) {
    const { Service: service, Node: node } = entry;
    if (service.Kind) continue;
    if (service.Port <= 0) continue;
    if (!selectInstance(service.Tags ?? [], options.filter)) continue;
    const dc = datacenter || node.Datacenter || '';
    const { health, warning } = healthOf(entry.Checks ?? [], options.warningHealth);
    const { address, port } = addressOf(entry, options.taggedAddress);
    const meta = node.Meta ?? {};
    const namespace = namespaceOf(entry, options);
    const name = service.Service;
    instances.push({
      key: serviceKeyOf({ namespace, name }),
      namespace,
      name,
      protocol: protocolOf(entry, options),
      portName: portNameOf(entry, options),
      endpoint: {
        address,
        port,
        servicePort: servicePortOf(entry, port, options),
        health,
        weight: clampWeight(warning ? service.Weights?.Warning : service.Weights?.Passing),
        locality: {
          region: meta[options.locality.regionMetaKey] || dc,
          zone: meta[options.locality.zoneMetaKey] ?? '',
          subzone: meta[options.locality.subzoneMetaKey] ?? '',
        },
        labels: labelsOf(entry),
        instanceId: `${dc}/${node.Node}/${service.ID}`,
        cluster: dc,
        network: options.networks[dc] ?? '',
      },
    });
  }
  return instances;
}

/**
 * The record of one `(namespace, name)` from its instances (all with that key), or undefined when
 * there are none. Each instance port is a service port, named by the port-name meta key or
 * `port-<n>` (as for Consul-agent registrations); its protocol and name are those of the first
 * instance by id that serves it, and a name another port already has falls back to `port-<n>`.
 */
export function buildServiceRecord(instances: readonly ConsulInstance[]): ServiceRecord | undefined {
  const first = instances[0];
  if (first === undefined) return undefined;
  const sorted = [...instances].sort((a, b) =>
    a.endpoint.instanceId < b.endpoint.instanceId
      ? -1
      : a.endpoint.instanceId > b.endpoint.instanceId
        ? 1
        : 0,
  );
  const ports = new Map<number, ServicePort>();
  for (const instance of sorted) {
    const number = instance.endpoint.servicePort;
    if (ports.has(number)) continue;
    ports.set(number, { number, name: instance.portName ?? `port-${number}`, protocol: instance.protocol });
  }
  const names = new Set<string>();
  const unique = [...ports.values()]
    .sort((a, b) => a.number - b.number)
    .map((port) => {
      const name = names.has(port.name) ? `port-${port.number}` : port.name;
      names.add(name);
      return name === port.name ? port : { ...port, name };
    });
  return {
    namespace: first.namespace,
    name: first.name,
    ports: unique,
    labels: {},
    endpoints: sorted.map((i) => i.endpoint),
  };
}
