/**
 * The kubernetes source's I/O shell. Per namespace read (or once for all namespaces), one informer of
 * EndpointSlices and one of Services; one informer of Nodes (for locality) when `nodes` is on. The
 * first complete list of every informer is a snapshot; after it, an upsert or delete per service whose
 * record changed, then the status. Changes that arrive together (one relist, one read of the stream)
 * are emitted together. Failures keep the last records (status degraded, stale) while the informers
 * retry; unsubscribing aborts every request.
 */
import { Observable, type Subscriber } from 'rxjs';
import { describeError } from '../../src/errors.js';
import { sourceStatus } from '../shared/status.js';
import type { Registry, RegistryContext, SourceEvent, StatusEvent } from '../../src/registry.js';
import type { KubernetesReads } from './client.js';
import { describeFailure } from './failures.js';
import type { KubernetesSourceConfig } from './config.js';
import { Informer, systemClock, type Clock } from './informer.js';
import { describeIssue, endpointSliceSchema, nodeSchema, serviceSchema } from './payload.js';
import { KubernetesRecords, type ObjectKind } from './records.js';

/** Seams for tests: time, randomness and the API access. */
export interface KubernetesWatchOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly openClient?: (config: KubernetesSourceConfig, baseDir: string) => KubernetesReads;
}

const SCHEMAS = { slice: endpointSliceSchema, service: serviceSchema, node: nodeSchema } as const;

interface InformerState {
  readonly id: string;
  readonly kind: ObjectKind;
  readonly namespace: string | undefined;
  listed: boolean;
}

/** One subscription: its informers, the records and what was last emitted. */
class KubernetesSession {
  private readonly controller = new AbortController();
  private readonly records: KubernetesRecords;
  private readonly informers: InformerState[] = [];
  private readonly errors = new Map<string, string>();
  private readonly warnings = new Map<string, string>();
  private readonly pending = new Set<string>();
  private flushQueued = false;
  private lastStatus: string | undefined;

  constructor(
    private readonly config: KubernetesSourceConfig,
    private readonly cluster: string,
    private readonly context: RegistryContext,
    private readonly subscriber: Subscriber<SourceEvent>,
    private readonly options: KubernetesWatchOptions,
  ) {
    this.records = new KubernetesRecords(
      {
        cluster,
        network: config.network,
        externalName: config.externalName,
        defaultProtocol: config.defaultProtocol,
      },
      config.locality,
    );
    const namespaces = config.namespaces.length === 0 ? [undefined] : [...new Set(config.namespaces)];
    for (const namespace of namespaces) {
      for (const kind of ['service', 'slice'] as const) {
        this.informers.push({ id: `${kind}|${namespace ?? '*'}`, kind, namespace, listed: false });
      }
    }
    if (config.nodes)
      this.informers.push({ id: 'node|*', kind: 'node', namespace: undefined, listed: false });
  }

  start(): void {
    this.publishStatus({ type: 'status', state: 'syncing' });
    void this.open();
  }

  /** Loads client-node only now (not when the daemon starts without a kubernetes source). */
  private async open(): Promise<void> {
    let reads: KubernetesReads;
    try {
      if (this.options.openClient) reads = this.options.openClient(this.config, this.context.baseDir);
      else {
        const { KubernetesClient, loadKubeConfig } = await import('./client.js');
        reads = new KubernetesClient(loadKubeConfig(this.config, this.context.baseDir));
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.subscriber.error(error);
      return;
    }
    if (this.controller.signal.aborted) return;
    const timing = {
      pageSize: this.config.pageSize,
      listTimeoutMs: this.config.listTimeout,
      watchTimeoutMs: this.config.watchTimeout,
      minIntervalMs: this.config.minInterval,
      retryBaseMs: this.config.retryBase,
      retryMaxMs: this.config.retryMax,
    };
    for (const state of this.informers) {
      const selector = state.kind === 'service' ? this.config.labelSelector : undefined;
      const informer = new Informer(
        reads,
        state.kind,
        state.namespace,
        selector,
        timing,
        {
          replace: (objects) => this.replace(state, objects),
          upsert: (object) => this.apply(state, object, 'upsert'),
          remove: (object) => this.apply(state, object, 'remove'),
          healthy: () => this.healthy(state),
          failed: (error) => this.failed(state, error),
        },
        this.options.clock ?? systemClock,
        this.options.random ?? Math.random,
      );
      void informer.run(this.controller.signal);
    }
  }

  stop(): void {
    this.controller.abort();
  }

  private get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Parses objects of the informer's kind; a malformed one is reported and left out. */
  private parse(
    state: InformerState,
    raw: unknown,
  ): ReturnType<(typeof SCHEMAS)[ObjectKind]['parse']> | undefined {
    const parsed = SCHEMAS[state.kind].safeParse(raw);
    if (parsed.success) return parsed.data;
    const name = describeObject(raw);
    this.warnings.set(
      `${state.id}|${name}`,
      `kubernetes ${this.cluster}: ${state.kind} ${name}${describeIssue(parsed.error)}`,
    );
    return undefined;
  }

  private replace(state: InformerState, raws: readonly unknown[]): void {
    if (this.closed) return;
    for (const key of [...this.warnings.keys()])
      if (key.startsWith(`${state.id}|`)) this.warnings.delete(key);
    const objects = raws.flatMap((raw) => {
      const object = this.parse(state, raw);
      return object === undefined ? [] : [object];
    });
    for (const key of this.records.replace(state.kind, state.namespace, objects)) this.pending.add(key);
    state.listed = true;
    this.schedule();
  }

  private apply(state: InformerState, raw: unknown, op: 'upsert' | 'remove'): void {
    if (this.closed) return;
    const object = this.parse(state, raw);
    if (object === undefined) return;
    this.warnings.delete(`${state.id}|${describeObject(raw)}`);
    const affected =
      op === 'upsert'
        ? this.records.upsert(state.kind, object)
        : this.records.remove(state.kind, object.metadata.namespace, object.metadata.name);
    for (const key of affected) this.pending.add(key);
    this.schedule();
  }

  private healthy(state: InformerState): void {
    if (this.closed || !this.errors.delete(state.id)) return;
    this.schedule();
  }

  private failed(state: InformerState, error: unknown): void {
    if (this.closed) return;
    this.errors.set(state.id, describeFailure(error, this.cluster, state.kind, state.namespace));
    this.schedule();
  }

  /** Emits once the current burst of callbacks is over (one relist, one chunk of watch lines). */
  private schedule(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (!this.closed) this.publish();
    });
  }

  private publish(): void {
    if (!this.records.snapshotted) {
      if (!this.informers.every((i) => i.listed)) return this.publishStatus(this.status());
      this.pending.clear();
      this.subscriber.next({ type: 'snapshot', services: this.records.snapshot() });
      this.lastStatus = undefined;
    } else {
      const keys = new Set(this.pending);
      this.pending.clear();
      for (const event of this.records.changes(keys)) {
        this.subscriber.next(event);
        this.lastStatus = undefined;
      }
    }
    this.publishStatus(this.status());
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

/** `namespace/name` of a raw object, for messages. */
function describeObject(raw: unknown): string {
  const meta =
    raw !== null && typeof raw === 'object' && 'metadata' in raw
      ? (raw as { metadata: unknown }).metadata
      : undefined;
  if (meta === null || typeof meta !== 'object') return '(no metadata)';
  const { namespace, name } = meta as { namespace?: unknown; name?: unknown };
  return typeof namespace === 'string' ? `${namespace}/${String(name)}` : String(name);
}

/** The cluster id: the configured one, else the source's name (`kubernetes/<name>` → `<name>`). */
export function clusterIdOf(config: KubernetesSourceConfig, id: string): string {
  return config.cluster ?? id.slice(id.indexOf('/') + 1);
}

/**
 * Events of the Kubernetes services `config` selects: cold; each subscription opens its own
 * informers, and unsubscribing aborts every list and watch in flight.
 */
export function watchKubernetesSource(
  config: KubernetesSourceConfig,
  cluster: string,
  context: RegistryContext,
  options: KubernetesWatchOptions = {},
): Observable<SourceEvent> {
  return new Observable<SourceEvent>((subscriber) => {
    const session = new KubernetesSession(config, cluster, context, subscriber, options);
    session.start();
    return () => session.stop();
  });
}

/** The kubernetes source `id` (`kubernetes/<name>`) as a Registry. */
export function createKubernetesRegistry(
  id: string,
  config: KubernetesSourceConfig,
  context: RegistryContext,
): Registry {
  const cluster = clusterIdOf(config, id);
  return { id, kind: 'kubernetes', events: () => watchKubernetesSource(config, cluster, context) };
}

/** Offline checks for `tributary validate`: the kubeconfig (or in-cluster credentials) can be loaded. */
export async function checkKubernetesSource(
  config: KubernetesSourceConfig,
  context: RegistryContext,
): Promise<readonly string[]> {
  try {
    const { loadKubeConfig } = await import('./client.js');
    loadKubeConfig(config, context.baseDir);
    return [];
  } catch (error) {
    return [describeError(error)];
  }
}
