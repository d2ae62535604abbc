/**
 * The incremental ("delta") engine (XDS.md §1.7): one ADS or per-type stream of
 * DeltaDiscoveryRequest/DeltaDiscoveryResponse. Tracks the version of every resource the client holds
 * and sends only what differs; removals are explicit, but only for wildcard-capable types (§1.6).
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
import { WILDCARD, type Subscription, type SubscriptionUpdate } from './subscription.js';
import type { DeltaRequest, DeltaResponse, EncodedResource, ResourceSource } from './types.js';

/** §1.7: the first request per type is initial; no nonce = subscription change; else ACK/NACK/stale. */
function classify(sub: Subscription, request: DeltaRequest, first: boolean): RequestDisposition {
  if (first) return 'initial';
  if (request.responseNonce === '') return 'subscription-change';
  if (request.responseNonce !== sub.lastNonce) return 'stale';
  return request.errorDetail === undefined ? 'ack' : 'nack';
}

/** One delta stream: `handleRequest` per decoded request, `handleClose` when the transport ends it. */
export class DeltaStream extends EngineStream<DeltaRequest, DeltaResponse> {
  constructor(source: ResourceSource, duplex: XdsDuplex<DeltaResponse>, options: EngineOptions) {
    super('delta', source, duplex, options);
  }

  protected describe(request: DeltaRequest): RequestSummary {
    return { versionInfo: '', names: request.subscribe, unsubscribe: request.unsubscribe };
  }

  protected process(request: DeltaRequest): void {
    const typeUrl = this.resolve(request);
    if (typeUrl === undefined) return;
    const first = !this.subscriptions.has(typeUrl);
    const sub = this.subscriptionFor(typeUrl);
    const disposition = classify(sub, request, first);
    this.logRequest(request, disposition);
    if (disposition === 'ack') sub.recordAck(sub.lastVersion ?? '');
    // §5 item 36: a NACK is recorded; the versions it rejected stay recorded as sent, so none is resent.
    if (disposition === 'nack' && request.errorDetail !== undefined) {
      this.recordNack(sub, request.responseNonce, sub.lastVersion ?? '', request.errorDetail);
    }
    // §1.7: initial_resource_versions are what the client holds after a reconnect.
    if (first) sub.seedSent(request.initialResourceVersions);
    // §1.7, §5 item 34: subscription changes apply even when the nonce is stale.
    const update = sub.applyDelta(request.subscribe, request.unsubscribe);
    this.track(sub, update);
    this.markRequested(sub, request, update, first);
    this.pushNow();
  }

  protected build(sub: Subscription, work: PendingWork): Outgoing<DeltaResponse> | undefined {
    const resources: EncodedResource[] = [];
    const removed: string[] = [];
    for (const name of this.candidates(sub, work)) {
      const covered = sub.names.has(name) || (sub.wildcard && this.wildcardNames(sub.typeUrl).has(name));
      const resource = covered ? this.source.get(sub.typeUrl, name) : undefined;
      if (resource === undefined) {
        if (this.reportGone(sub, name, work)) removed.push(name);
        continue;
      }
      sub.markPresent(name);
      if (work.forced.has(name) || sub.sentVersion(name) !== resource.version) resources.push(resource);
    }
    if (resources.length === 0 && removed.length === 0 && !work.respond) return undefined;
    const nonce = this.nextNonce();
    const version = this.source.version();
    const response: DeltaResponse = {
      typeUrl: sub.typeUrl,
      systemVersionInfo: version,
      nonce,
      resources,
      removedResources: removed,
    };
    return { response, record: { nonce, version, resources, removed, fullState: false } };
  }

  /**
   * What a request makes due. Initial: reconsider everything, answering even if nothing differs.
   * Later: every explicitly subscribed name is resent even if the client should hold it (§1.7); a new
   * wildcard sends what the client lacks; with a wildcard, an unsubscribed explicit name is answered
   * in resources (still covered) or removed_resources (§5 item 35). Phantom unsubscribes do nothing.
   */
  private markRequested(
    sub: Subscription,
    request: DeltaRequest,
    update: SubscriptionUpdate,
    first: boolean,
  ): void {
    if (first) {
      this.slot.markAll(sub.typeUrl, true);
      return;
    }
    const explicit = request.subscribe.filter((name) => name !== WILDCARD);
    if (explicit.length > 0) this.slot.markForced(sub.typeUrl, explicit);
    if (update.wildcardAdded) this.slot.markAll(sub.typeUrl);
    if (sub.wildcard && update.removed.length > 0) this.slot.markForced(sub.typeUrl, update.removed);
  }

  private candidates(sub: Subscription, work: PendingWork): ReadonlySet<string> {
    const names = new Set([...work.names, ...work.forced]);
    if (!work.all) return names;
    for (const name of sub.names) names.add(name);
    for (const name of sub.sent.keys()) names.add(name);
    if (sub.wildcard) for (const name of this.wildcardNames(sub.typeUrl)) names.add(name);
    return names;
  }

  /**
   * `name` is not (or no longer) served to this stream. LDS/CDS: tell the client in removed_resources
   * if it holds the name, just asked for it, or has not been told it is missing (§1.6, §5 items 32-33).
   * EDS/RDS never get explicit removals (§1.6: istio PR #60647, envoy#32823).
   */
  private reportGone(sub: Subscription, name: string, work: PendingWork): boolean {
    const named = sub.names.has(name);
    const tell =
      sub.wildcardCapable &&
      (sub.sent.has(name) || work.forced.has(name) || (named && !sub.missing.has(name)));
    if (named) sub.markMissing(name);
    if (!sub.wildcardCapable) sub.forget(name);
    return tell;
  }
}
