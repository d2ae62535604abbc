/**
 * An in-memory CatalogReader for server tests: a view you replace through `apply`, a Subject of
 * changes, a bounded change log for `since()`, and a way to await subscriber counts (so tests
 * can wait for a blocking query to start holding, or for a closed client to let go).
 */
import { EventEmitter, once } from 'node:events';
import { Observable, Subject } from 'rxjs';
import type {
  CatalogChange,
  CatalogEndpoint,
  CatalogReader,
  CatalogService,
  CatalogView,
  ServiceChange,
  SourceStatus,
} from '../../src/catalog/view.js';
import type { ServiceKey } from '../../src/model/service.js';
import { catalogVersionOf } from '../../src/model/revision.js';
import { hostnameOf, serviceKeyOf } from '../../src/model/service.js';

/** A merged endpoint with sensible defaults. */
export function aCatalogEndpoint(overrides: Partial<CatalogEndpoint> = {}): CatalogEndpoint {
  const sourceId = overrides.sourceId ?? 'file/vms';
  const instanceId = overrides.instanceId ?? overrides.address ?? '10.0.0.1';
  return {
    address: '10.0.0.1',
    port: 8080,
    servicePort: 8080,
    health: 'healthy',
    weight: 1,
    locality: { region: 'eu-west-1', zone: 'eu-west-1a', subzone: '' },
    labels: {},
    instanceId,
    cluster: '',
    network: '',
    origin: '',
    sourceId,
    origins: [{ sourceId, instanceId, cluster: '', network: '' }],
    stale: false,
    ...overrides,
  };
}

/** A catalog service with sensible defaults; the hostname follows namespace and name. */
export function aCatalogService(overrides: Partial<CatalogService> = {}): CatalogService {
  const namespace = overrides.namespace ?? 'default';
  const name = overrides.name ?? 'payments';
  return {
    namespace,
    name,
    hostname: hostnameOf({ namespace, name }, 'svc.cluster.local'),
    ports: [{ number: 8080, name: 'http', protocol: 'http' }],
    labels: {},
    endpoints: [aCatalogEndpoint()],
    sources: ['file/vms'],
    revision: 1,
    ...overrides,
  };
}

/** A synced source with sensible defaults. */
export function aSourceStatus(overrides: Partial<SourceStatus> = {}): SourceStatus {
  return {
    id: 'file/vms',
    kind: 'file',
    priority: 0,
    state: 'synced',
    lastSync: '2024-01-01T00:00:00.000Z',
    lastError: null,
    recordErrors: [],
    services: 1,
    endpoints: 1,
    stale: false,
    ...overrides,
  };
}

/** What one fake commit changes; services are stamped with the new revision. */
export interface FakeCommit {
  readonly upsert?: readonly CatalogService[];
  readonly remove?: readonly ServiceKey[];
  readonly sources?: readonly SourceStatus[];
}

function buildView(
  epoch: string,
  revision: number,
  services: Iterable<CatalogService>,
  sources: Iterable<SourceStatus>,
) {
  const byKey = [...services].map((s) => [serviceKeyOf(s), s] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  const view: CatalogView = {
    epoch,
    revision,
    version: catalogVersionOf(epoch, revision),
    services: new Map(byKey),
    sources: new Map([...sources].map((s) => [s.id, s])),
  };
  return view;
}

/** The fake catalog. */
export class FakeCatalog implements CatalogReader {
  #view: CatalogView;
  #ready = true;
  #log: CatalogChange[] = [];
  /** since(r) answers for r >= #floor. */
  #floor: number;
  #subscribers = 0;
  readonly #subject = new Subject<CatalogChange>();
  readonly #events = new EventEmitter();

  constructor(
    services: readonly CatalogService[] = [],
    sources: readonly SourceStatus[] = [aSourceStatus()],
    options: { epoch?: string; revision?: number; maxLog?: number } = {},
  ) {
    this.#view = buildView(options.epoch ?? 'e1', options.revision ?? 1, services, sources);
    this.#floor = this.#view.revision;
    this.maxLog = options.maxLog ?? 100;
  }

  readonly maxLog: number;

  view(): CatalogView {
    return this.#view;
  }

  changes(): Observable<CatalogChange> {
    return new Observable<CatalogChange>((subscriber) => {
      const inner = this.#subject.subscribe(subscriber);
      this.#setSubscribers(this.#subscribers + 1);
      return () => {
        inner.unsubscribe();
        this.#setSubscribers(this.#subscribers - 1);
      };
    });
  }

  since(revision: number): readonly CatalogChange[] | undefined {
    if (revision < this.#floor) return undefined;
    return this.#log.filter((change) => change.revision > revision);
  }

  ready(): boolean {
    return this.#ready;
  }

  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  /** Current subscribers of `changes()`. */
  get subscribers(): number {
    return this.#subscribers;
  }

  /** Resolves once exactly `count` subscribers are on the change feed. */
  async untilSubscribers(count: number): Promise<void> {
    while (this.#subscribers !== count) await once(this.#events, 'subscribers');
  }

  /** Commits one revision: updates the view first, then logs and emits the change. */
  apply(commit: FakeCommit): CatalogChange {
    const revision = this.#view.revision + 1;
    const services = new Map(this.#view.services);
    const sources = new Map(this.#view.sources);
    const changed: ServiceChange[] = [];
    for (const service of commit.upsert ?? []) {
      services.set(serviceKeyOf(service), { ...service, revision });
      changed.push({ namespace: service.namespace, name: service.name, op: 'upsert' });
    }
    for (const key of commit.remove ?? []) {
      services.delete(serviceKeyOf(key));
      changed.push({ namespace: key.namespace, name: key.name, op: 'delete' });
    }
    for (const source of commit.sources ?? []) sources.set(source.id, source);
    this.#view = buildView(this.#view.epoch, revision, services.values(), sources.values());
    const change: CatalogChange = {
      epoch: this.#view.epoch,
      revision,
      services: changed,
      sources: (commit.sources ?? []).map((s) => s.id),
    };
    this.#log.push(change);
    while (this.#log.length > this.maxLog) this.#floor = this.#log.shift()?.revision ?? this.#floor;
    this.#subject.next(change);
    return change;
  }

  /** Ends the change feed (the catalog closed). */
  complete(): void {
    this.#subject.complete();
  }

  #setSubscribers(count: number): void {
    this.#subscribers = count;
    this.#events.emit('subscribers', count);
  }
}
