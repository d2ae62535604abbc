/**
 * The resource cache (STYLE.md habit 6, XDS.md §4.3): every Cluster and ClusterLoadAssignment built
 * from the catalog view and encoded once per content version; Listeners and RouteConfigurations built
 * on demand when first asked for and kept up to date while remembered. Catalog changes are debounced,
 * only the services they name are rebuilt, and one ResourceChange lists the names whose bytes
 * changed: an endpoint-only change names only the CLA (XDS.md §5 items 16 and 37).
 */
import { Subject } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import type { CatalogChange, CatalogReader, CatalogService, CatalogView } from '../catalog/view.js';
import { serviceKeyOf } from '../model/service.js';
import { createEncodedResource } from './codec/resource.js';
import { candidateServiceKeys, clusterName } from './naming.js';
import { buildCluster } from './resources/cluster.js';
import { buildClusterLoadAssignment, type ClusterLoadAssignmentOptions } from './resources/endpoint.js';
import { buildOnDemand, isOnDemandType } from './resources/on-demand.js';
import type { OnDemandTypeUrl } from './resources/on-demand.js';
import { TYPE_URLS } from './types.js';
import type { EncodedResource, ResourceChange, ResourceSource, TypeUrl } from './types.js';

export interface ResourceCacheOptions {
  /** The hostname domain (`<name>.<namespace>.<domain>`), for resolving listener authorities. */
  readonly domain: string;
  /** Apply changes once the catalog has been quiet this long (default 30 ms). */
  readonly debounceMs?: number;
  /** …but never later than this after the first pending change (default 500 ms). */
  readonly maxDelayMs?: number;
  /** On-demand names remembered per type (LDS, RDS); the least recently requested go first (default 10,000). */
  readonly maxOnDemand?: number;
  /** Told when a service's resources could not be built; its last good resources stay. */
  readonly onError?: (error: unknown, serviceKey: string) => void;
  /**
   * When the clusters and CLAs of the view at `start()` are encoded: all in `start()` ('eager', the
   * default), or each when first read, or by `warmUp()` ('on-demand': a cold start serves at once).
   * Both modes answer every read with the same bytes and emit the same changes.
   */
  readonly initialBuild?: 'eager' | 'on-demand';
  /** EDS priorities (ClusterLoadAssignmentOptions.priorityOf); default: every endpoint at 0. */
  readonly endpointPriority?: ClusterLoadAssignmentOptions;
}

/** How long one warm-up slice may encode before it yields to I/O. */
const WARM_UP_SLICE_MS = 1;

/** A remembered on-demand name: the services its authority could name, and its current resource. */
interface OnDemandEntry {
  readonly candidates: readonly string[];
  resource: EncodedResource | undefined;
}

type ChangedNames = Map<TypeUrl, Set<string>>;

/** The ResourceSource over a CatalogReader. `start()` before use, `stop()` to release the feed and timers. */
export class ResourceCache implements ResourceSource {
  readonly #catalog: CatalogReader;
  readonly #domain: string;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #maxOnDemand: number;
  readonly #onError: (error: unknown, serviceKey: string) => void;
  readonly #priority: ClusterLoadAssignmentOptions;
  readonly #changes = new Subject<ResourceChange>();
  /** Clusters and CLAs by name. */
  readonly #byName = new Map<TypeUrl, Map<string, EncodedResource>>([
    [TYPE_URLS.cluster, new Map()],
    [TYPE_URLS.endpoint, new Map()],
  ]);
  /** Cluster (= CLA) names per service key. */
  readonly #namesOfService = new Map<string, readonly string[]>();
  /** Insertion order is recency: a lookup moves the name to the end, eviction takes the first. */
  readonly #onDemand = new Map<OnDemandTypeUrl, Map<string, OnDemandEntry>>([
    [TYPE_URLS.listener, new Map()],
    [TYPE_URLS.route, new Map()],
  ]);
  readonly #encodes: Record<TypeUrl, number> = {
    [TYPE_URLS.cluster]: 0,
    [TYPE_URLS.endpoint]: 0,
    [TYPE_URLS.listener]: 0,
    [TYPE_URLS.route]: 0,
  };
  readonly #initialBuild: 'eager' | 'on-demand';
  /**
   * On-demand initial build: per type, the names of the start view not encoded yet, with their
   * service key. Only ever shrinks: a name leaves when it is encoded, and a service named by a
   * catalog change is encoded (from the view before it) before the change is applied.
   */
  readonly #unbuilt = new Map<TypeUrl, Map<string, string>>([
    [TYPE_URLS.cluster, new Map()],
    [TYPE_URLS.endpoint, new Map()],
  ]);
  /** Service keys `warmUp()` still has to visit, and where it is. */
  #warmKeys: readonly string[] = [];
  #warmNext = 0;
  #warmTimer: NodeJS.Immediate | undefined;
  #view: CatalogView | undefined;
  #clusterList: readonly EncodedResource[] | undefined;
  #pending = new Set<string>();
  #subscription: Subscription | undefined;
  #quietTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;

  constructor(catalog: CatalogReader, options: ResourceCacheOptions) {
    this.#catalog = catalog;
    this.#domain = options.domain;
    this.#debounceMs = options.debounceMs ?? 30;
    this.#maxDelayMs = options.maxDelayMs ?? 500;
    this.#maxOnDemand = options.maxOnDemand ?? 10_000;
    this.#onError = options.onError ?? (() => undefined);
    this.#priority = options.endpointPriority ?? {};
    this.#initialBuild = options.initialBuild ?? 'eager';
  }

  /**
   * Takes the current view and follows the catalog's changes. Eager: encodes every Cluster and CLA
   * now. On demand: only lists their names (O(services)); reads encode what they ask for.
   */
  start(): void {
    if (this.#subscription !== undefined) return;
    const view = this.#catalog.view();
    this.#view = view;
    if (this.#initialBuild === 'on-demand') this.#listUnbuilt(view);
    else for (const [key, service] of view.services) this.#rebuildService(key, undefined, service, new Map());
    this.#subscription = this.#catalog.changes().subscribe({
      next: (change) => this.#onCatalogChange(change),
      error: (error: unknown) => this.#onError(error, ''),
    });
  }

  /**
   * Encodes what the on-demand start left unencoded, about a millisecond of it per event-loop turn
   * (reads and I/O go between slices), so the first proxies find their resources ready; `done` is
   * called once everything is. `stop()` cancels it. With nothing left, `done` is called at once.
   */
  warmUp(done?: () => void): void {
    if (this.#warmTimer !== undefined || this.#subscription === undefined) return;
    if (this.#warmNext >= this.#warmKeys.length) {
      done?.();
      return;
    }
    this.#warmTimer = setImmediate(() => {
      this.#warmTimer = undefined;
      const until = performance.now() + WARM_UP_SLICE_MS;
      do {
        const key = this.#warmKeys[this.#warmNext++]!;
        this.#buildUnbuilt(TYPE_URLS.cluster, key);
        this.#buildUnbuilt(TYPE_URLS.endpoint, key);
      } while (this.#warmNext < this.#warmKeys.length && performance.now() < until);
      if (this.#warmNext >= this.#warmKeys.length) this.#warmKeys = [];
      this.warmUp(done);
    });
  }

  /** Stops following the catalog, drops pending work and completes `changes()`. */
  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    if (this.#warmTimer !== undefined) clearImmediate(this.#warmTimer);
    this.#warmTimer = undefined;
    this.#clearTimers();
    this.#pending.clear();
    this.#changes.complete();
  }

  /** Encodes so far, per type (XDS.md §5 item 39: one change is encoded once, whatever the stream count). */
  get encodes(): Readonly<Record<TypeUrl, number>> {
    return { ...this.#encodes };
  }

  /** `<epoch>-<revision>` of the last applied view ('' before `start()`). */
  version(): string {
    return this.#view?.version ?? '';
  }

  /**
   * Clusters and CLAs by name. A listener or route name is an authority: the first request builds it
   * from the last applied view and remembers it (also when it does not exist yet, so it is listed as
   * changed when it appears: XDS.md §5 item 13); later requests return the remembered resource.
   */
  get(typeUrl: TypeUrl, name: string): EncodedResource | undefined {
    if (!isOnDemandType(typeUrl)) {
      const unbuilt = this.#unbuilt.get(typeUrl);
      if (unbuilt !== undefined && unbuilt.size > 0) {
        const key = unbuilt.get(name);
        if (key !== undefined) this.#buildUnbuilt(typeUrl, key);
      }
      return this.#byName.get(typeUrl)?.get(name);
    }
    const table = this.#onDemand.get(typeUrl)!;
    let entry = table.get(name);
    if (entry !== undefined) table.delete(name);
    else {
      if (this.#view === undefined) return undefined;
      entry = {
        candidates: candidateServiceKeys(name, this.#domain),
        resource: this.#buildOnDemand(typeUrl, name),
      };
    }
    table.set(name, entry);
    for (const oldest of table.keys()) {
      if (table.size <= this.#maxOnDemand) break;
      table.delete(oldest);
    }
    return entry.resource;
  }

  /** CDS: every cluster, sorted by name. Nothing else is served to wildcard subscriptions. */
  wildcard(typeUrl: TypeUrl): readonly EncodedResource[] {
    if (typeUrl !== TYPE_URLS.cluster) return [];
    const unbuilt = this.#unbuilt.get(TYPE_URLS.cluster)!;
    for (const key of unbuilt.values()) this.#buildUnbuilt(TYPE_URLS.cluster, key);
    this.#clusterList ??= [...this.#byName.get(TYPE_URLS.cluster)!.values()].sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    return this.#clusterList;
  }

  changes(): Observable<ResourceChange> {
    return this.#changes.asObservable();
  }

  /** Applies pending catalog changes now instead of waiting for the debounce (tests, shutdown). */
  flush(): void {
    this.#clearTimers();
    const previous = this.#view;
    if (previous === undefined || this.#pending.size === 0) return;
    const keys = this.#pending;
    this.#pending = new Set();
    // A service still unencoded from an on-demand start is encoded as the previous view had it, so
    // the rebuild below compares against the same bytes an eager start would hold.
    for (const key of keys) {
      this.#buildUnbuilt(TYPE_URLS.cluster, key);
      this.#buildUnbuilt(TYPE_URLS.endpoint, key);
    }
    const view = this.#catalog.view();
    this.#view = view;
    const changed: ChangedNames = new Map();
    for (const key of keys) {
      this.#rebuildService(key, previous.services.get(key), view.services.get(key), changed);
    }
    // Listeners and routes depend only on a service's existence, hostname and port numbers: an
    // endpoint-only change leaves them alone (no re-encode).
    const reshaped = new Set(
      [...keys].filter((key) => !sameShape(previous.services.get(key), view.services.get(key))),
    );
    if (reshaped.size > 0) this.#refreshOnDemand(reshaped, changed);
    if (changed.size > 0) this.#changes.next({ version: view.version, changed });
  }

  /** On-demand start: records the names of every service of `view` as not encoded yet. */
  #listUnbuilt(view: CatalogView): void {
    const clusters = this.#unbuilt.get(TYPE_URLS.cluster)!;
    const endpoints = this.#unbuilt.get(TYPE_URLS.endpoint)!;
    const keys: string[] = [];
    for (const [key, service] of view.services) {
      const names = service.ports.map((port) => clusterName(port.number, service.hostname));
      this.#namesOfService.set(key, names);
      keys.push(key);
      for (const name of names) {
        clusters.set(name, key);
        endpoints.set(name, key);
      }
    }
    this.#warmKeys = keys;
    this.#warmNext = 0;
  }

  /**
   * Encodes the `typeUrl` resources of one service from the last applied view if they are still
   * unencoded since an on-demand start. Nobody can hold a resource that was never encoded, so
   * nothing is announced as changed.
   */
  #buildUnbuilt(typeUrl: TypeUrl, key: string): void {
    const unbuilt = this.#unbuilt.get(typeUrl);
    const names = this.#namesOfService.get(key);
    if (unbuilt === undefined || unbuilt.size === 0 || names === undefined) return;
    let listed = false;
    for (const name of names) listed = unbuilt.delete(name) || listed;
    const service = this.#view?.services.get(key);
    if (!listed || service === undefined) return;
    const unannounced: ChangedNames = new Map();
    try {
      for (const port of service.ports) {
        const name = clusterName(port.number, service.hostname);
        const message =
          typeUrl === TYPE_URLS.cluster
            ? buildCluster(service, port.number)
            : buildClusterLoadAssignment(service, port.number, this.#priority);
        this.#put(typeUrl, name, message, unannounced);
      }
    } catch (error) {
      this.#onError(error, key);
    }
  }

  #onCatalogChange(change: CatalogChange): void {
    for (const service of change.services) this.#pending.add(serviceKeyOf(service));
    if (this.#pending.size === 0) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.flush(), this.#debounceMs);
    this.#maxTimer ??= setTimeout(() => this.flush(), this.#maxDelayMs);
  }

  #clearTimers(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#quietTimer = undefined;
    this.#maxTimer = undefined;
  }

  /**
   * Rebuilds the clusters and CLAs of one service. A cluster is rebuilt only when something it is
   * built from (hostname, labels) changed or its port is new; CLAs always are. Names of ports that
   * are gone are deleted from both types.
   */
  #rebuildService(
    key: string,
    before: CatalogService | undefined,
    after: CatalogService | undefined,
    changed: ChangedNames,
  ): void {
    let names: string[];
    try {
      names = after === undefined ? [] : this.#buildService(after, before, changed);
    } catch (error) {
      this.#onError(error, key);
      return;
    }
    for (const gone of this.#namesOfService.get(key) ?? []) {
      if (names.includes(gone)) continue;
      for (const typeUrl of [TYPE_URLS.cluster, TYPE_URLS.endpoint] as const) {
        if (this.#byName.get(typeUrl)!.delete(gone)) markChanged(changed, typeUrl, gone);
      }
      this.#clusterList = undefined;
    }
    if (names.length > 0) this.#namesOfService.set(key, names);
    else this.#namesOfService.delete(key);
  }

  /** Builds and stores the clusters and CLAs of every port of `service`; returns their names. */
  #buildService(
    service: CatalogService,
    before: CatalogService | undefined,
    changed: ChangedNames,
  ): string[] {
    const clusters = this.#byName.get(TYPE_URLS.cluster)!;
    const sameCluster = before !== undefined && sameClusterInputs(before, service);
    return service.ports.map((port) => {
      const name = clusterName(port.number, service.hostname);
      if (!sameCluster || !clusters.has(name)) {
        this.#put(TYPE_URLS.cluster, name, buildCluster(service, port.number), changed);
      }
      this.#put(
        TYPE_URLS.endpoint,
        name,
        buildClusterLoadAssignment(service, port.number, this.#priority),
        changed,
      );
      return name;
    });
  }

  /** Encodes and stores a resource; unchanged bytes keep the stored object and report nothing. */
  #put(typeUrl: TypeUrl, name: string, message: object, changed: ChangedNames): void {
    const encoded = this.#encode(typeUrl, name, message);
    const resources = this.#byName.get(typeUrl)!;
    if (resources.get(name)?.version === encoded.version) return;
    resources.set(name, encoded);
    if (typeUrl === TYPE_URLS.cluster) this.#clusterList = undefined;
    markChanged(changed, typeUrl, name);
  }

  /** Recomputes remembered listeners and routes whose authority could name a changed service. */
  #refreshOnDemand(keys: ReadonlySet<string>, changed: ChangedNames): void {
    for (const [typeUrl, table] of this.#onDemand) {
      for (const [name, entry] of table) {
        if (!entry.candidates.some((key) => keys.has(key))) continue;
        let resource: EncodedResource | undefined;
        try {
          resource = this.#buildOnDemand(typeUrl, name);
        } catch (error) {
          this.#onError(error, entry.candidates.join(','));
          continue;
        }
        if (resource?.version === entry.resource?.version) continue;
        entry.resource = resource;
        markChanged(changed, typeUrl, name);
      }
    }
  }

  #buildOnDemand(typeUrl: OnDemandTypeUrl, name: string): EncodedResource | undefined {
    const message = buildOnDemand(typeUrl, name, this.#view!, this.#domain);
    return message === undefined ? undefined : this.#encode(typeUrl, name, message);
  }

  #encode(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
    this.#encodes[typeUrl] += 1;
    return createEncodedResource(typeUrl, name, message);
  }
}

function markChanged(changed: ChangedNames, typeUrl: TypeUrl, name: string): void {
  let names = changed.get(typeUrl);
  if (names === undefined) changed.set(typeUrl, (names = new Set()));
  names.add(name);
}

/** Whether a listener or route naming this service would come out the same. */
function sameShape(before: CatalogService | undefined, after: CatalogService | undefined): boolean {
  if (before === undefined || after === undefined) return before === after;
  return (
    before.hostname === after.hostname &&
    before.ports.length === after.ports.length &&
    before.ports.every((p, i) => p.number === after.ports[i]?.number)
  );
}

/** What a cluster is built from, besides its port: the hostname and the service labels. */
function sameClusterInputs(before: CatalogService, after: CatalogService): boolean {
  if (before.hostname !== after.hostname) return false;
  const keys = Object.keys(after.labels);
  return (
    keys.length === Object.keys(before.labels).length &&
    keys.every((key) => before.labels[key] === after.labels[key])
  );
}
