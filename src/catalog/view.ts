/**
 * The merged, immutable catalog as servers read it (ARCHITECTURE.md §1): a snapshot at one revision.
 * Nothing in here is mutated after it is published; a new revision gets a new view.
 */
import type { Observable } from 'rxjs';
import type { Endpoint, Provenance } from '../model/endpoint.js';
import type { ServicePort } from '../model/service.js';
import type { SourceState } from '../registry.js';

/** A merged endpoint: fields from the highest-priority source that reported it, every origin kept. */
export interface CatalogEndpoint extends Endpoint {
  /** The source whose fields won (highest priority among `origins`). */
  readonly sourceId: string;
  /** Every source that reported this address:port for this service port, winner first. */
  readonly origins: readonly Provenance[];
  /** True when the deciding source is not currently synced (down, or not yet synced since a restart). */
  readonly stale: boolean;
  /** The peer the deciding source imported it from; '' for this cloud's own endpoints. */
  readonly origin: string;
}

/** One service: the union of what every source says about `(namespace, name)`. */
export interface CatalogService {
  readonly namespace: string;
  readonly name: string;
  readonly hostname: string;
  readonly ports: readonly ServicePort[];
  readonly labels: Readonly<Record<string, string>>;
  /** Sorted by service port, then address, then port. */
  readonly endpoints: readonly CatalogEndpoint[];
  /** Ids of the sources that report this service, highest priority first. */
  readonly sources: readonly string[];
  /** Revision of the last change to this service. */
  readonly revision: number;
}

/** What the catalog knows about one configured source. */
export interface SourceStatus {
  readonly id: string;
  readonly kind: string;
  readonly priority: number;
  readonly state: SourceState;
  /** ISO time of the last snapshot or change received from the source; null before the first. */
  readonly lastSync: string | null;
  readonly lastError: string | null;
  /** Why records were rejected (field paths and reasons), newest first, at most 50. */
  readonly recordErrors: readonly string[];
  readonly services: number;
  readonly endpoints: number;
  /** True when the source's data came from disk or from before it went down. */
  readonly stale: boolean;
}

/** An immutable catalog snapshot. */
export interface CatalogView {
  readonly epoch: string;
  readonly revision: number;
  /** `<epoch>-<revision>`. */
  readonly version: string;
  /** Keyed `namespace/name`, iterated in sorted key order. */
  readonly services: ReadonlyMap<string, CatalogService>;
  /** Keyed by source id, in configuration order. */
  readonly sources: ReadonlyMap<string, SourceStatus>;
}

/** One committed revision: which services changed, which sources' status changed. */
export interface CatalogChange {
  readonly epoch: string;
  readonly revision: number;
  readonly services: readonly ServiceChange[];
  readonly sources: readonly string[];
}

export interface ServiceChange {
  readonly namespace: string;
  readonly name: string;
  readonly op: 'upsert' | 'delete';
}

/**
 * What servers (REST, xDS, federation) read. Consistency contract: when a change is emitted on
 * `changes()`, `view()` already returns a view at least as new as that change's revision; changes
 * are emitted in revision order, one per committed batch, synchronously after the commit.
 */
export interface CatalogReader {
  view(): CatalogView;
  changes(): Observable<CatalogChange>;
  /** Changes after `revision`, oldest first; undefined when the change log no longer reaches back that far. */
  since(revision: number): readonly CatalogChange[] | undefined;
  /** True once every source has synced, or the catalog was loaded from disk at start. */
  ready(): boolean;
}
