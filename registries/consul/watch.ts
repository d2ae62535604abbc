/**
 * The consul source's I/O shell. Per datacenter, one blocking watch of `/v1/catalog/services`; per
 * selected service, one blocking watch of `/v1/health/service/{name}`, opened and closed as services
 * come and go, at most `maxWatches` queries held at once. The first complete read of everything is a
 * snapshot; after it, an upsert or delete per service whose records changed, then the status.
 * Failures keep the last records (status degraded, stale) and the watches resume from their index.
 */
import { Observable, type Subscriber } from 'rxjs';
import { describeError } from '../../src/errors.js';
import { sourceStatus } from '../shared/status.js';
import type { Registry, RegistryContext, SourceEvent, StatusEvent } from '../../src/registry.js';
import {
  runBlockingWatch,
  systemClock,
  WatchSlots,
  type BlockingFetch,
  type BlockingHandlers,
  type Clock,
} from './blocking.js';
import { ConsulClient, ConsulRequestError, type ConsulReads } from './client.js';
import type { ConsulSourceConfig } from './config.js';
import { catalogServicesSchema, parseHealthEntries } from './payload.js';
import { ConsulRecords } from './records.js';
import { selectService, translateEntries } from './translate.js';

/** Seams for tests: time, randomness and the client. */
export interface ConsulWatchOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly openClient?: (config: ConsulSourceConfig, baseDir: string) => Promise<ConsulReads>;
}

interface ServiceWatch {
  readonly id: string;
  readonly dc: string;
  readonly name: string;
  readonly controller: AbortController;
  readonly unregister: () => void;
  /** False until the first reply. */
  read: boolean;
}

interface DatacenterWatch {
  readonly dc: string;
  listed: boolean;
  readonly services: Map<string, ServiceWatch>;
}

/** Where `dc` appears in messages. */
const dcName = (dc: string): string => (dc === '' ? 'local datacenter' : dc);

/** The status message of a failed query; a 403 says which ACL permission to grant. */
export function describeFailure(error: unknown, service: string | undefined): string {
  const message = describeError(error);
  if (!(error instanceof ConsulRequestError) || error.status !== 403) return message;
  if (/acl not found/i.test(error.body)) {
    return `${message}: Consul does not know the configured ACL token; check token/tokenFile`;
  }
  return service === undefined
    ? `${message}: grant the ACL token service:read on the services to list, e.g. service_prefix "" { policy = "read" }`
    : `${message}: grant the ACL token service:read on "${service}" and node:read on its nodes, e.g. service "${service}" { policy = "read" } and node_prefix "" { policy = "read" }`;
}

/** One subscription: its client, watches, the records per service and what was last emitted. */
class ConsulSession {
  private readonly controller = new AbortController();
  private readonly slots: WatchSlots;
  private readonly datacenters: DatacenterWatch[];
  private readonly records = new ConsulRecords();
  private readonly watches = new Map<string, ServiceWatch>();
  /** Failing queries (stale) and problems that leave data out (not stale), by watch id. */
  private readonly errors = new Map<string, string>();
  private readonly warnings = new Map<string, string>();
  private lastStatus: string | undefined;
  private client: ConsulReads | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private readonly config: ConsulSourceConfig,
    private readonly context: RegistryContext,
    private readonly subscriber: Subscriber<SourceEvent>,
    private readonly options: ConsulWatchOptions,
  ) {
    this.slots = new WatchSlots(config.maxWatches);
    const dcs = config.datacenters.length === 0 ? [''] : [...new Set(config.datacenters)];
    this.datacenters = dcs.map((dc) => ({ dc, listed: false, services: new Map() }));
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.publishStatus({ type: 'status', state: 'syncing' });
    const open = this.options.openClient ?? ((c, dir) => ConsulClient.open(c, dir));
    open(this.config, this.context.baseDir).then(
      (client) => {
        if (this.closed) return client.close();
        this.client = client;
        for (const dc of this.datacenters) this.watchCatalog(dc, client);
      },
      (error: unknown) => {
        if (!this.closed) this.subscriber.error(error);
      },
    );
  }

  stop(): void {
    this.controller.abort();
    for (const watch of this.watches.values()) watch.controller.abort();
    this.client?.close();
  }

  private get closed(): boolean {
    return this.controller.signal.aborted;
  }

  private run(
    fetch: BlockingFetch,
    handlers: BlockingHandlers,
    signal: AbortSignal,
    slots?: WatchSlots,
  ): void {
    const timing = {
      waitMs: this.config.wait,
      minIntervalMs: this.config.minInterval,
      retryBaseMs: this.config.retryBase,
      retryMaxMs: this.config.retryMax,
    };
    runBlockingWatch(fetch, handlers, timing, signal, {
      clock: this.clock,
      random: this.random,
      slots,
    }).catch((error: unknown) => {
      if (!this.closed) this.subscriber.error(error);
    });
  }

  private watchCatalog(dc: DatacenterWatch, client: ConsulReads): void {
    const id = `catalog|${dc.dc}`;
    const signal = this.controller.signal;
    this.run(
      (index, waitMs, s) => client.services({ datacenter: dc.dc, index, waitMs, signal: s }),
      {
        onReply: (reply, changed) => {
          if (this.closed) return;
          const failed = this.errors.delete(id);
          if (changed || !dc.listed || failed) {
            const parsed = catalogServicesSchema.safeParse(reply.body);
            if (!parsed.success) {
              this.errors.set(id, `consul ${dcName(dc.dc)}: /v1/catalog/services: unexpected reply`);
            } else {
              this.reconcile(dc, client, parsed.data);
              dc.listed = true;
            }
          }
          this.publish(new Set());
        },
        onError: (error) => {
          if (this.closed) return;
          this.errors.set(id, describeFailure(error, undefined));
          this.publish(new Set());
        },
      },
      signal,
    );
  }

  /** Opens watches for services newly listed and selected, closes those no longer listed. */
  private reconcile(dc: DatacenterWatch, client: ConsulReads, listed: Record<string, string[] | null>): void {
    const wanted = new Set(
      Object.entries(listed)
        .filter(([name, tags]) => selectService(name, tags ?? [], this.config.filter))
        .map(([name]) => name),
    );
    const affected = new Set<string>();
    for (const [name, watch] of dc.services) {
      if (wanted.has(name)) continue;
      dc.services.delete(name);
      for (const key of this.closeWatch(watch)) affected.add(key);
    }
    for (const name of wanted) {
      if (!dc.services.has(name)) dc.services.set(name, this.watchService(dc.dc, name, client));
    }
    this.emit(affected);
  }

  /** Stops a watch and drops its instances; the service keys that may change. */
  private closeWatch(watch: ServiceWatch): Set<string> {
    watch.controller.abort();
    watch.unregister();
    this.watches.delete(watch.id);
    this.errors.delete(watch.id);
    this.warnings.delete(watch.id);
    return this.records.place(watch.id, []);
  }

  private watchService(dc: string, name: string, client: ConsulReads): ServiceWatch {
    const id = `health|${dc}|${name}`;
    const controller = new AbortController();
    const watch: ServiceWatch = {
      id,
      dc,
      name,
      controller,
      unregister: this.slots.register(),
      read: false,
    };
    this.watches.set(id, watch);
    const where = `consul ${dcName(dc)}: service "${name}"`;
    this.run(
      (index, waitMs, signal) => client.health(name, { datacenter: dc, index, waitMs, signal }),
      {
        onReply: (reply, changed) => {
          if (this.closed || controller.signal.aborted) return;
          const failed = this.errors.delete(id);
          let affected = new Set<string>();
          if (changed || !watch.read || failed) {
            const { entries, errors } = parseHealthEntries(reply.body);
            const problems = errors.map((e) => `${where}: entries${e}`);
            if (reply.filteredByAcls) {
              problems.push(
                `${where}: ACLs hid some instances; grant the ACL token node:read on their nodes`,
              );
            }
            if (problems.length > 0) this.warnings.set(id, problems.join('; '));
            else this.warnings.delete(id);
            affected = this.records.place(id, translateEntries(entries, dc, this.config));
            watch.read = true;
          }
          this.publish(affected);
        },
        onError: (error) => {
          if (this.closed || controller.signal.aborted) return;
          this.errors.set(id, describeFailure(error, name));
          this.publish(new Set());
        },
      },
      controller.signal, // stop() aborts it with the session
      this.slots,
    );
    return watch;
  }

  private get complete(): boolean {
    return this.datacenters.every((dc) => dc.listed && [...dc.services.values()].every((w) => w.read));
  }

  /** Emits the snapshot once everything was read, then the changes of `affected`, then the status. */
  private publish(affected: ReadonlySet<string>): void {
    if (!this.records.snapshotted) {
      if (!this.complete) return this.publishStatus(this.status());
      this.subscriber.next({ type: 'snapshot', services: this.records.snapshot() });
      this.lastStatus = undefined;
    } else {
      this.emit(affected);
    }
    this.publishStatus(this.status());
  }

  /** Emits what changed among `keys`; a change is always followed by its status. */
  private emit(keys: ReadonlySet<string>): void {
    for (const event of this.records.changes(keys)) {
      this.subscriber.next(event);
      this.lastStatus = undefined;
    }
  }

  private status(): StatusEvent {
    return sourceStatus(this.errors.values(), this.warnings.values(), this.records.snapshotted);
  }

  private publishStatus(status: StatusEvent): void {
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.subscriber.next(status);
  }
}

/**
 * Events of the Consul services named by `config`: cold; each subscription opens its own client and
 * watches, and unsubscribing aborts every query in flight and closes the client's sockets.
 */
export function watchConsulSource(
  config: ConsulSourceConfig,
  context: RegistryContext,
  options: ConsulWatchOptions = {},
): Observable<SourceEvent> {
  return new Observable<SourceEvent>((subscriber) => {
    const session = new ConsulSession(config, context, subscriber, options);
    session.start();
    return () => session.stop();
  });
}

/** The consul source `id` (`consul/<name>`) as a Registry. */
export function createConsulRegistry(
  id: string,
  config: ConsulSourceConfig,
  context: RegistryContext,
): Registry {
  return { id, kind: 'consul', events: () => watchConsulSource(config, context) };
}

/** Offline checks for `tributary validate`: the token and TLS files can be read. */
export async function checkConsulSource(
  config: ConsulSourceConfig,
  context: RegistryContext,
): Promise<readonly string[]> {
  try {
    (await ConsulClient.open(config, context.baseDir)).close();
    return [];
  } catch (error) {
    return [describeError(error)];
  }
}
