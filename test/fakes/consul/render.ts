/** The fake Consul's JSON shapes, as Consul's HTTP API returns them (fields in Consul's spelling). */
import type { Principal } from './acl.js';
import type { DatacenterState, FakeCheck, FakeNode, FakeService } from './state.js';

export function renderNode(dc: DatacenterState, node: FakeNode): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: dc.name,
    TaggedAddresses: node.taggedAddresses,
    Meta: node.meta,
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

/** A service as in a health entry (`Kind` omitted when empty, `Namespace` only when set, as Enterprise does). */
export function renderService(service: FakeService): Record<string, unknown> {
  return {
    ...(service.kind !== '' && { Kind: service.kind }),
    ID: service.id,
    Service: service.service,
    Tags: service.tags,
    Address: service.address,
    TaggedAddresses: service.taggedAddresses,
    Meta: service.meta,
    Port: service.port,
    Weights: service.weights,
    EnableTagOverride: service.enableTagOverride,
    Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
    Connect: {},
    ...(service.namespace !== undefined && { Namespace: service.namespace }),
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

export function renderCheck(dc: DatacenterState, check: FakeCheck): Record<string, unknown> {
  const service = check.serviceId === '' ? undefined : dc.services.get(`${check.node}/${check.serviceId}`);
  return {
    Node: check.node,
    CheckID: check.checkId,
    Name: check.name,
    Status: check.status,
    Notes: check.notes,
    Output: check.output,
    ServiceID: check.serviceId,
    ServiceName: check.serviceName,
    ServiceTags: service?.tags ?? [],
    Type: check.type,
    Interval: '',
    Timeout: '',
    ExposedPort: 0,
    Definition: {},
    ...(service?.namespace !== undefined && { Namespace: service.namespace }),
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}

/** One entry of `GET /v1/health/service/{name}`. */
export function renderHealthEntry(dc: DatacenterState, service: FakeService): Record<string, unknown> {
  const node = dc.nodes.get(service.node)!;
  return {
    Node: renderNode(dc, node),
    Service: renderService(service),
    Checks: dc.checksOf(service).map((c) => renderCheck(dc, c)),
  };
}

/** One value of `GET /v1/agent/services` (the map by service id). */
export function renderAgentService(dc: DatacenterState, service: FakeService): Record<string, unknown> {
  return {
    ...(service.kind !== '' && { Kind: service.kind }),
    ID: service.id,
    Service: service.service,
    Tags: service.tags,
    Meta: service.meta,
    Port: service.port,
    Address: service.address,
    TaggedAddresses: service.taggedAddresses,
    Weights: service.weights,
    EnableTagOverride: service.enableTagOverride,
    Datacenter: dc.name,
    ...(service.namespace !== undefined && { Namespace: service.namespace }),
  };
}

/** Headers of a read: the index, leader contact, consistency, and whether ACLs filtered the result. */
export function readHeaders(
  index: number,
  query: URLSearchParams,
  filtered: boolean,
): Record<string, string> {
  const consistency = query.has('stale') ? 'stale' : query.has('consistent') ? 'consistent' : 'leader';
  return {
    'X-Consul-Index': String(index),
    'X-Consul-KnownLeader': 'true',
    'X-Consul-LastContact': '0',
    'X-Consul-Effective-Consistency': consistency,
    ...(filtered && { 'X-Consul-Results-Filtered-By-ACLs': 'true' }),
  };
}

/** `GET /v1/catalog/services`: name → sorted tags of the services the caller may read. */
export function servicesReply(
  dc: DatacenterState,
  principal: Principal,
): { body: Record<string, string[]>; filtered: boolean } {
  const tags = new Map<string, Set<string>>();
  let filtered = false;
  for (const service of dc.services.values()) {
    if (!principal.can('service', 'read', service.service)) {
      filtered = true;
      continue;
    }
    const set = tags.get(service.service) ?? new Set<string>();
    for (const tag of service.tags) set.add(tag);
    tags.set(service.service, set);
  }
  const names = [...tags.keys()].sort();
  return { body: Object.fromEntries(names.map((name) => [name, [...tags.get(name)!].sort()])), filtered };
}

/** `GET /v1/health/service/{name}` with `?tag=` (every one) and `?passing`; nodes the caller cannot read are left out. */
export function healthReply(
  dc: DatacenterState,
  principal: Principal,
  query: URLSearchParams,
  name: string,
): { body: Record<string, unknown>[]; filtered: boolean } {
  const tags = query.getAll('tag');
  const passing = query.has('passing') && query.get('passing') !== 'false';
  let filtered = false;
  const entries = dc.instancesOf(name).filter((service: FakeService) => {
    if (!principal.can('node', 'read', service.node)) {
      filtered = true;
      return false;
    }
    if (!tags.every((tag) => service.tags.includes(tag))) return false;
    return !passing || dc.checksOf(service).every((c) => c.status === 'passing');
  });
  return { body: entries.map((service) => renderHealthEntry(dc, service)), filtered };
}
