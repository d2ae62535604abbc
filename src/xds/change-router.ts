/**
 * Change fan-out (PERFORMANCE.md §3.7: almost no per-proxy work besides the write; XDS.md §5 items
 * 16 and 37): one subscription to a ResourceSource's change feed, and per type URL an index
 * name → streams subscribing it plus the set of wildcard streams, so a change costs work proportional
 * to the streams that cover a changed name, not to every connected stream.
 *
 * Streams keep the index in step with their subscriptions: `track` right after every subscription
 * update (in the same synchronous step, so no change can fall between the update and the index), and
 * `drop` when they end. A name added to a subscription is always sent at its current version by the
 * engines (XDS.md §5 items 2, 10 and 34), so nothing emitted before `track` can be missed either.
 */
import type { Subscription as RxSubscription } from 'rxjs';
import type { SubscriptionUpdate } from './subscription.js';
import type { ResourceChange, ResourceSource, TypeUrl } from './types.js';

/** A stream the router hands changes to. */
export interface RoutedStream {
  /**
   * `names` of `typeUrl` changed and this stream covers them; `wildcard` = through its wildcard
   * subscription (then `names` is every changed name of the type). `names` is shared: read it, never keep it.
   */
  routeChange(typeUrl: TypeUrl, names: readonly string[], wildcard: boolean): void;
  /** `routeChange` threw: close the stream visibly (the other streams still get the change). */
  fail(error: unknown): void;
}

/** What a stream's subscription of one type looks like to the router, at the time it ends. */
export interface TrackedSubscription {
  readonly typeUrl: TypeUrl;
  readonly names: ReadonlySet<string>;
  readonly wildcard: boolean;
}

/** Index sizes, for tests and /debug. */
export interface ChangeRouterStats {
  /** Streams attached (open). */
  readonly streams: number;
  /** (type, name) entries in the index. */
  readonly names: number;
  /** (type, stream) wildcard entries. */
  readonly wildcards: number;
  /** Whether the router follows the source's change feed (only while a stream is attached). */
  readonly following: boolean;
}

interface TypeIndex {
  readonly byName: Map<string, Set<RoutedStream>>;
  readonly wildcard: Set<RoutedStream>;
}

const routers = new WeakMap<ResourceSource, ChangeRouter>();

/** Routes one source's changes to the streams that subscribe the changed names. */
export class ChangeRouter {
  private readonly types = new Map<TypeUrl, TypeIndex>();
  private readonly attached = new Set<RoutedStream>();
  private feed: RxSubscription | undefined;

  constructor(private readonly source: ResourceSource) {}

  /** The router every engine stream over `source` shares (created on first use). */
  static of(source: ResourceSource): ChangeRouter {
    let router = routers.get(source);
    if (router === undefined) {
      router = new ChangeRouter(source);
      routers.set(source, router);
    }
    return router;
  }

  /** A stream opened; the first one starts following the source's change feed. */
  attach(stream: RoutedStream): void {
    this.attached.add(stream);
    // A completed feed (the source stopped) is closed; a later stream follows the feed again.
    if (this.feed === undefined || this.feed.closed) {
      this.feed = this.source.changes().subscribe((change) => this.route(change));
    }
  }

  /** Apply one subscription update of `stream` (call right after the Subscription changed). */
  track(stream: RoutedStream, typeUrl: TypeUrl, update: SubscriptionUpdate): void {
    const { added, removed, wildcardAdded, wildcardRemoved } = update;
    if (added.length === 0 && removed.length === 0 && !wildcardAdded && !wildcardRemoved) return;
    if (!this.attached.has(stream)) return; // it ended
    const index = this.indexOf(typeUrl);
    for (const name of added) {
      let streams = index.byName.get(name);
      if (streams === undefined) index.byName.set(name, (streams = new Set()));
      streams.add(stream);
    }
    for (const name of removed) unindex(index, name, stream);
    if (wildcardAdded) index.wildcard.add(stream);
    if (wildcardRemoved) index.wildcard.delete(stream);
  }

  /** `stream` ended: remove it everywhere; the last one stops following the feed. */
  drop(stream: RoutedStream, subscriptions: Iterable<TrackedSubscription>): void {
    if (!this.attached.delete(stream)) return;
    for (const sub of subscriptions) {
      const index = this.types.get(sub.typeUrl);
      if (index === undefined) continue;
      for (const name of sub.names) unindex(index, name, stream);
      index.wildcard.delete(stream);
    }
    if (this.attached.size === 0) {
      this.feed?.unsubscribe();
      this.feed = undefined;
    }
  }

  /** How many streams subscribe `name` of `typeUrl` explicitly. */
  subscribers(typeUrl: TypeUrl, name: string): number {
    return this.types.get(typeUrl)?.byName.get(name)?.size ?? 0;
  }

  /** Index sizes. */
  stats(): ChangeRouterStats {
    let names = 0;
    let wildcards = 0;
    for (const index of this.types.values()) {
      names += index.byName.size;
      wildcards += index.wildcard.size;
    }
    const following = this.feed !== undefined && !this.feed.closed;
    return { streams: this.attached.size, names, wildcards, following };
  }

  /** Hand every changed name to the streams covering it: wildcard streams first, then by name. */
  private route(change: ResourceChange): void {
    for (const [typeUrl, changed] of change.changed) {
      const index = this.types.get(typeUrl);
      if (index === undefined || changed.size === 0) continue;
      if (index.wildcard.size > 0) {
        const all = [...changed];
        for (const stream of index.wildcard) this.deliver(stream, typeUrl, all, true);
      }
      if (index.byName.size > 0) this.routeNamed(index, typeUrl, changed);
    }
  }

  /** Streams with a wildcard already got every name; a stream gets its names in one call. */
  private routeNamed(index: TypeIndex, typeUrl: TypeUrl, changed: ReadonlySet<string>): void {
    if (changed.size === 1) {
      const names = [...changed];
      const streams = index.byName.get(names[0]!);
      if (streams === undefined) return;
      for (const stream of streams) {
        if (!index.wildcard.has(stream)) this.deliver(stream, typeUrl, names, false);
      }
      return;
    }
    const hits = new Map<RoutedStream, string[]>();
    const collect = (name: string, streams: ReadonlySet<RoutedStream>): void => {
      for (const stream of streams) {
        if (index.wildcard.has(stream)) continue;
        const names = hits.get(stream);
        if (names === undefined) hits.set(stream, [name]);
        else names.push(name);
      }
    };
    // Walk the smaller side: the changed names, or (bulk changes) the indexed names.
    if (changed.size <= index.byName.size) {
      for (const name of changed) {
        const streams = index.byName.get(name);
        if (streams !== undefined) collect(name, streams);
      }
    } else {
      for (const [name, streams] of index.byName) if (changed.has(name)) collect(name, streams);
    }
    for (const [stream, names] of hits) this.deliver(stream, typeUrl, names, false);
  }

  private deliver(stream: RoutedStream, typeUrl: TypeUrl, names: readonly string[], wildcard: boolean): void {
    try {
      stream.routeChange(typeUrl, names, wildcard);
    } catch (error) {
      stream.fail(error);
    }
  }

  private indexOf(typeUrl: TypeUrl): TypeIndex {
    let index = this.types.get(typeUrl);
    if (index === undefined) {
      index = { byName: new Map(), wildcard: new Set() };
      this.types.set(typeUrl, index);
    }
    return index;
  }
}

function unindex(index: TypeIndex, name: string, stream: RoutedStream): void {
  const streams = index.byName.get(name);
  if (streams === undefined || !streams.delete(stream)) return;
  if (streams.size === 0) index.byName.delete(name);
}
