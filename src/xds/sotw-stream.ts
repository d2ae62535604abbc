/**
 * The state-of-the-world engine (XDS.md §1.3-1.6, §1.8): one ADS or per-type stream of
 * DiscoveryRequest/DiscoveryResponse. Requests only update subscriptions and mark what is owed; the
 * response is built when the stream is flushed, from the source's state at that moment.
 */
import type { RequestDisposition } from './callbacks.js';
import {
  EngineStream,
  type EngineOptions,
  type Outgoing,
  type RequestSummary,
  type XdsDuplex,
} from './duplex.js';
import type { PendingWork } from './push-scheduler.js';
import type { Subscription, SubscriptionUpdate } from './subscription.js';
import type {
  EncodedResource,
  NodeInfo,
  ResourceSource,
  SotwRequest,
  SotwResponse,
  TypeUrl,
} from './types.js';

/** Client features that allow `Resource` wrappers in SotW responses (XDS.md §1.9, §5 item 19). */
export const RESOURCE_IN_SOTW_FEATURES: readonly string[] = [
  'xds.config.resource-in-sotw',
  'xds.config.supports-resource-in-sotw',
];

/** XDS.md §1.3: empty nonce = (re)initial; latest nonce = ACK or NACK (by error_detail); else stale. */
function classify(sub: Subscription, request: SotwRequest): RequestDisposition {
  // A nonce this stream never sent for the type (a reconnect carrying an old server's nonce, §1.8)
  // is treated as initial too: the client needs the current state.
  if (request.responseNonce === '' || sub.lastNonce === undefined) return 'initial';
  if (sub.isStale(request.responseNonce)) return 'stale';
  return request.errorDetail === undefined ? 'ack' : 'nack';
}

/** One SotW stream: `handleRequest` per decoded request, `handleClose` when the transport ends it. */
export class SotwStream extends EngineStream<SotwRequest, SotwResponse> {
  private wrapNode: NodeInfo | undefined;
  private wrap = false;

  constructor(source: ResourceSource, duplex: XdsDuplex<SotwResponse>, options: EngineOptions) {
    super('sotw', source, duplex, options);
  }

  protected describe(request: SotwRequest): RequestSummary {
    return { versionInfo: request.versionInfo, names: request.resourceNames, unsubscribe: [] };
  }

  protected process(request: SotwRequest): void {
    const typeUrl = this.resolve(request);
    if (typeUrl === undefined) return;
    const sub = this.subscriptionFor(typeUrl);
    const disposition = classify(sub, request);
    this.logRequest(request, disposition);
    // §1.3: a stale request is ignored entirely; the client sends another with the latest nonce.
    if (disposition === 'stale') return;
    if (disposition === 'ack') sub.recordAck(request.versionInfo);
    // §1.3: NACK = error_detail present, whatever the version (gRFC A46). Record, never resend it.
    if (disposition === 'nack' && request.errorDetail !== undefined) {
      this.recordNack(sub, request.responseNonce, request.versionInfo, request.errorDetail);
    }
    const update = sub.setSotwNames(request.resourceNames);
    this.track(sub, update);
    // §1.8, §5 items 2 and 29: always answer an initial request with everything subscribed that exists.
    if (disposition === 'initial') this.slot.markAll(typeUrl, true);
    else this.markSubscribed(typeUrl, update);
    this.pushNow();
  }

  protected build(sub: Subscription, work: PendingWork): Outgoing<SotwResponse> | undefined {
    if (sub.wildcardCapable) {
      // §1.5: LDS/CDS carry the full subscribed set (omission = deletion); skip exact repeats (§4.6 rule 3).
      const resources = this.fullSet(sub);
      const due = work.respond || work.forced.size > 0 || !sub.sameAsSent(resources);
      return due ? this.response(sub, resources, true) : undefined;
    }
    // §1.5: EDS/RDS carry requested names that exist; absence means nothing to the client.
    const resources = this.requested(sub, work);
    return resources.length > 0 || work.respond ? this.response(sub, resources, false) : undefined;
  }

  /**
   * §1.3 and §5 items 10, 12, 14: newly requested names are sent even if unchanged or sent before
   * (LDS/CDS as the full set); a wildcard that appears sends the wildcard set. Removals need nothing.
   */
  private markSubscribed(typeUrl: TypeUrl, update: SubscriptionUpdate): void {
    if (update.wildcardAdded) this.slot.markAll(typeUrl, true);
    if (update.added.length > 0) this.slot.markForced(typeUrl, update.added);
  }

  /** Wildcard set ∪ named resources that exist, each name once (§5 item 18). */
  private fullSet(sub: Subscription): EncodedResource[] {
    const byName = new Map<string, EncodedResource>();
    if (sub.wildcard) for (const r of this.source.wildcard(sub.typeUrl)) byName.set(r.name, r);
    for (const name of sub.names) {
      const resource = byName.get(name) ?? this.source.get(sub.typeUrl, name);
      if (resource === undefined) {
        sub.markMissing(name); // §1.6: remembered; the change feed pushes it when it appears
        continue;
      }
      sub.markPresent(name);
      byName.set(name, resource);
    }
    return [...byName.values()];
  }

  /** The subscribed names `work` covers whose version the client lacks, or which are forced. */
  private requested(sub: Subscription, work: PendingWork): EncodedResource[] {
    const resources: EncodedResource[] = [];
    if (work.all) {
      for (const name of sub.names) this.addRequested(sub, name, true, resources);
      return resources;
    }
    for (const name of work.names) this.addRequested(sub, name, work.forced.has(name), resources);
    for (const name of work.forced) {
      if (!work.names.has(name)) this.addRequested(sub, name, true, resources);
    }
    return resources;
  }

  /** Adds `name` if it is still subscribed, exists, and is forced or new to the client. */
  private addRequested(sub: Subscription, name: string, force: boolean, into: EncodedResource[]): void {
    if (!sub.names.has(name)) return; // unsubscribed since it was marked
    const resource = this.source.get(sub.typeUrl, name);
    if (resource === undefined) {
      sub.markMissing(name);
      return;
    }
    sub.markPresent(name);
    if (force || sub.sentVersion(name) !== resource.version) into.push(resource);
  }

  /** Whether responses wrap resources in `Resource` (§1.9), from the node's features (fixed once known). */
  private wrapsInResource(): boolean {
    const node = this.node;
    if (node !== this.wrapNode) {
      this.wrapNode = node;
      this.wrap = RESOURCE_IN_SOTW_FEATURES.some((f) => node?.clientFeatures.includes(f) ?? false);
    }
    return this.wrap;
  }

  private response(
    sub: Subscription,
    resources: readonly EncodedResource[],
    fullState: boolean,
  ): Outgoing<SotwResponse> {
    const nonce = this.nextNonce();
    const version = this.source.version();
    const response: SotwResponse = {
      typeUrl: sub.typeUrl,
      versionInfo: version,
      nonce,
      resources,
      wrapInResource: this.wrapsInResource(),
    };
    return { response, record: { nonce, version, resources, removed: [], fullState } };
  }
}
