/** Test builders with sensible defaults: aServiceRecord(), anEndpoint(), catalog batches and state. */
import type { Endpoint } from '../../src/model/endpoint.js';
import { serviceKeyOf, type ServiceRecord } from '../../src/model/service.js';
import type { SourceBatch } from '../../src/catalog/batch.js';
import type { CatalogState, SourceRuntime } from '../../src/catalog/state.js';

export function anEndpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    address: '10.0.0.1',
    port: 8080,
    servicePort: 8080,
    health: 'healthy',
    weight: 1,
    locality: { region: 'eu-west-1', zone: 'eu-west-1a', subzone: '' },
    labels: {},
    instanceId: overrides.address ?? '10.0.0.1',
    cluster: '',
    network: '',
    ...overrides,
  };
}

export function aServiceRecord(overrides: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    namespace: 'default',
    name: 'payments',
    ports: [{ number: 8080, name: 'http', protocol: 'http' }],
    labels: {},
    endpoints: [anEndpoint()],
    ...overrides,
  };
}

/** A per-source batch with nothing in it; override what the test needs. */
export function aSourceBatch(sourceId: string, overrides: Partial<SourceBatch> = {}): SourceBatch {
  return { sourceId, upserts: new Map(), recordErrors: new Map(), ...overrides };
}

/** A snapshot batch of `records` from `sourceId`, keyed `namespace/name`. */
export function aSnapshotBatch(
  sourceId: string,
  records: readonly ServiceRecord[],
  overrides: Partial<SourceBatch> = {},
): SourceBatch {
  return aSourceBatch(sourceId, {
    snapshot: new Map(records.map((r) => [serviceKeyOf(r), r])),
    ...overrides,
  });
}

/** A source known to the catalog, never heard from. */
export function aSourceRuntime(id: string, overrides: Partial<SourceRuntime> = {}): SourceRuntime {
  return {
    id,
    kind: id.split('/')[0] ?? id,
    priority: 0,
    state: 'syncing',
    stale: false,
    lastSync: null,
    lastError: null,
    recordErrors: new Map(),
    configured: true,
    ...overrides,
  };
}

/** An empty catalog state (revision 0) with the given sources configured. */
export function aCatalogState(
  sources: readonly SourceRuntime[],
  overrides: Partial<CatalogState> = {},
): CatalogState {
  return {
    epoch: '0badcafe',
    revision: 0,
    domain: 'svc.cluster.local',
    records: new Map(),
    sources: new Map(sources.map((s) => [s.id, s])),
    services: new Map(),
    ...overrides,
  };
}
