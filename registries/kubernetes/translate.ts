/**
 * Pure: a Service and its EndpointSlices (joined by the `kubernetes.io/service-name` label) → its
 * ServiceRecord. Mapping rules: README "Kubernetes source" and REGISTRIES.md "Kubernetes"; identity:
 * REGISTRIES.md "Identity across registries" (instance id = cluster/namespace/slice/address).
 */
import { isIP } from 'node:net';
import { DEFAULT_WEIGHT, type Endpoint, type Health, type Locality } from '../../src/model/endpoint.js';
import type { Protocol, ServicePort, ServiceRecord } from '../../src/model/service.js';
import { isLabelKey, MAX_LABEL_VALUE } from '../../src/model/validate.js';
import type { KubernetesSourceConfig } from './config.js';
import type { EndpointSlice, Service, SliceEndpoint } from './payload.js';

/** The label joining an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The settings translation reads; `cluster` is the resolved cluster id. */
export interface TranslateOptions extends Pick<
  KubernetesSourceConfig,
  'network' | 'externalName' | 'defaultProtocol'
> {
  readonly cluster: string;
}

/** What the source keeps of a Node: its locality labels. */
export type NodeLocality = Locality;

/** `appProtocol` values (lowercase) → protocol; the Kubernetes-defined ones included. */
const APP_PROTOCOLS: Readonly<Record<string, Protocol>> = {
  http: 'http',
  http2: 'http2',
  h2c: 'http2',
  'kubernetes.io/h2c': 'http2',
  grpc: 'grpc',
  https: 'https',
  tls: 'tls',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
  tcp: 'tcp',
  udp: 'udp',
};

/** Port name prefixes (`grpc`, `grpc-api`, …) that name the protocol, as Istio reads them. */
const NAME_PREFIXES: readonly Protocol[] = ['http2', 'https', 'http', 'grpc', 'tls', 'tcp', 'udp'];

const HEALTH_RANK: Readonly<Record<Health, number>> = { healthy: 0, draining: 1, unhealthy: 2, unknown: 3 };

/**
 * The protocol of a port: UDP → udp; SCTP → undefined (not served); else `appProtocol` when known,
 * else a protocol prefix of the port name, else `defaultProtocol`.
 */
export function protocolOf(
  port: { name?: string | null; protocol?: string | null; appProtocol?: string | null },
  defaultProtocol: Protocol,
): Protocol | undefined {
  const transport = (port.protocol ?? 'TCP').toUpperCase();
  if (transport === 'UDP') return 'udp';
  if (transport !== 'TCP') return undefined;
  const app = port.appProtocol ? APP_PROTOCOLS[port.appProtocol.toLowerCase()] : undefined;
  if (app !== undefined && app !== 'udp') return app;
  const name = (port.name ?? '').toLowerCase();
  const prefix = NAME_PREFIXES.find((p) => name === p || name.startsWith(`${p}-`));
  return prefix !== undefined && prefix !== 'udp' ? prefix : defaultProtocol;
}

/**
 * Health from an endpoint's conditions (a missing `ready` or `serving` means true, a missing
 * `terminating` false): ready → healthy; serving and terminating → draining; otherwise unhealthy.
 */
export function healthOf(conditions: SliceEndpoint['conditions']): Health {
  const ready = conditions?.ready ?? true;
  const serving = conditions?.serving ?? true;
  const terminating = conditions?.terminating ?? false;
  if (ready) return 'healthy';
  return serving && terminating ? 'draining' : 'unhealthy';
}

/** Service labels that are valid catalog labels. */
function labelsOf(service: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.metadata.labels ?? {})) {
    if (isLabelKey(key) && value.length <= MAX_LABEL_VALUE) labels[key] = value;
  }
  return labels;
}

interface PortEntry {
  readonly port: ServicePort;
  readonly transport: string;
}

/** The Service's ports by Kubernetes port name ('' for an unnamed single port). */
function portsOf(service: Service, options: TranslateOptions): Map<string, PortEntry> {
  const ports = new Map<string, PortEntry>();
  for (const spec of service.spec?.ports ?? []) {
    const protocol = protocolOf(spec, options.defaultProtocol);
    if (protocol === undefined || spec.port < 1 || spec.port > 65_535) continue;
    if ([...ports.values()].some((p) => p.port.number === spec.port)) continue; // 53/TCP + 53/UDP: the first
    const k8sName = spec.name ?? '';
    const name = k8sName === '' ? `port-${spec.port}` : k8sName;
    ports.set(k8sName, {
      port: { number: spec.port, name, protocol },
      transport: (spec.protocol ?? 'TCP').toUpperCase(),
    });
  }
  return ports;
}

const ADDRESS_FAMILY: Readonly<Record<string, number>> = { IPv4: 4, IPv6: 6 };

/** The endpoints of one slice: the first address of each endpoint, on each port the Service has. */
function sliceEndpoints(
  slice: EndpointSlice,
  namespace: string,
  ports: ReadonlyMap<string, PortEntry>,
  nodes: ReadonlyMap<string, NodeLocality>,
  options: TranslateOptions,
): Endpoint[] {
  const family = ADDRESS_FAMILY[slice.addressType];
  if (family === undefined) return []; // FQDN slices carry no IP address
  const out: Endpoint[] = [];
  for (const slicePort of slice.ports ?? []) {
    const entry = ports.get(slicePort.name ?? '');
    const number = slicePort.port ?? 0;
    if (entry === undefined || number < 1 || number > 65_535) continue;
    if ((slicePort.protocol ?? 'TCP').toUpperCase() !== entry.transport) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const address = endpoint.addresses[0];
      if (address === undefined || isIP(address) !== family) continue;
      const node = endpoint.nodeName ? nodes.get(endpoint.nodeName) : undefined;
      out.push({
        address,
        port: number,
        servicePort: entry.port.number,
        health: healthOf(endpoint.conditions),
        weight: DEFAULT_WEIGHT,
        locality: {
          region: node?.region ?? '',
          zone: endpoint.zone || node?.zone || '',
          subzone: node?.subzone ?? '',
        },
        labels: {},
        instanceId: `${options.cluster}/${namespace}/${slice.metadata.name}/${address}`,
        cluster: options.cluster,
        network: options.network,
      });
    }
  }
  return out;
}

/** An ExternalName service whose name is an IP address: one endpoint per port (`externalName: address`). */
function externalEndpoints(
  service: Service,
  namespace: string,
  ports: ReadonlyMap<string, PortEntry>,
  options: TranslateOptions,
): Endpoint[] | undefined {
  const address = service.spec?.externalName ?? '';
  if (options.externalName !== 'address' || isIP(address) === 0) return undefined;
  const targets = new Map((service.spec?.ports ?? []).map((p) => [p.name ?? '', p.targetPort]));
  return [...ports.entries()].map(([k8sName, { port }]) => {
    const target = targets.get(k8sName);
    return {
      address,
      port: typeof target === 'number' && target >= 1 && target <= 65_535 ? target : port.number,
      servicePort: port.number,
      health: 'healthy',
      weight: DEFAULT_WEIGHT,
      locality: { region: '', zone: '', subzone: '' },
      labels: {},
      instanceId: `${options.cluster}/${namespace}/${service.metadata.name}/${address}`,
      cluster: options.cluster,
      network: options.network,
    };
  });
}

/**
 * The record of one Service from its slices (any order), or undefined when it serves nothing: no
 * port (a headless Service without ports), or an ExternalName service that is skipped. Slices are
 * merged; an address:port listed by two slices (as during a slice rebalancing) is kept once, with
 * its best health. Endpoints are sorted by instance id and service port.
 */
export function buildServiceRecord(
  service: Service,
  slices: readonly EndpointSlice[],
  nodes: ReadonlyMap<string, NodeLocality>,
  options: TranslateOptions,
): ServiceRecord | undefined {
  const namespace = service.metadata.namespace ?? '';
  const name = service.metadata.name;
  const ports = portsOf(service, options);
  if (ports.size === 0) return undefined;
  let endpoints: Endpoint[];
  if (service.spec?.type === 'ExternalName') {
    const external = externalEndpoints(service, namespace, ports, options);
    if (external === undefined) return undefined;
    endpoints = external;
  } else {
    const byKey = new Map<string, Endpoint>();
    const sorted = [...slices].sort((a, b) => compare(a.metadata.name, b.metadata.name));
    for (const slice of sorted) {
      for (const endpoint of sliceEndpoints(slice, namespace, ports, nodes, options)) {
        const key = `${endpoint.servicePort}|${endpoint.address}|${endpoint.port}`;
        const seen = byKey.get(key);
        if (seen === undefined || HEALTH_RANK[endpoint.health] < HEALTH_RANK[seen.health]) {
          byKey.set(key, endpoint);
        }
      }
    }
    endpoints = [...byKey.values()].sort(
      (a, b) => compare(a.instanceId, b.instanceId) || a.servicePort - b.servicePort,
    );
  }
  return {
    namespace,
    name,
    ports: [...ports.values()].map((p) => p.port).sort((a, b) => a.number - b.number),
    labels: labelsOf(service),
    endpoints,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
