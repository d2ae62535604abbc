/**
 * Per-stream, per-type subscription state (STYLE.md habit 8, after go-control-plane's
 * pkg/server/stream/v3/subscription.go): which names the client asked for, the wildcard rules of
 * XDS.md §1.4 and §1.7, what was sent at which version, and the last ACK/NACK. Pure data and
 * transitions; the engines decide what to send.
 */
import { FULL_STATE_TYPES, type EncodedResource, type ResourceSource, type TypeUrl } from './types.js';

/** The explicit wildcard name (XDS.md §1.4). */
export const WILDCARD = '*';

/** Name sets of `source.wildcard()` arrays; a source returning a stable array per version makes this cheap. */
const wildcardNameCache = new WeakMap<readonly EncodedResource[], ReadonlySet<string>>();

/** The names a wildcard subscription of `typeUrl` covers now. */
export function wildcardNamesOf(source: ResourceSource, typeUrl: TypeUrl): ReadonlySet<string> {
  const all = source.wildcard(typeUrl);
  let names = wildcardNameCache.get(all);
  if (names === undefined) {
    names = new Set(all.map((r) => r.name));
    wildcardNameCache.set(all, names);
  }
  return names;
}

/** What one subscription update changed. */
export interface SubscriptionUpdate {
  /** Explicit names that were not subscribed before. */
  readonly added: readonly string[];
  /** Explicit names that are no longer subscribed. */
  readonly removed: readonly string[];
  readonly wildcardAdded: boolean;
  readonly wildcardRemoved: boolean;
}

/** An update that changed nothing (SotW ACKs repeat the subscription). */
const UNCHANGED: SubscriptionUpdate = Object.freeze({
  added: Object.freeze([]),
  removed: Object.freeze([]),
  wildcardAdded: false,
  wildcardRemoved: false,
});

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** The last NACK a client sent for the type. */
export interface NackRecord {
  readonly nonce: string;
  readonly version: string;
  readonly code: number;
  readonly message: string;
  /** ISO timestamp. */
  readonly at: string;
}

/** One response as it was handed to the transport. */
export interface SentRecord {
  readonly nonce: string;
  readonly version: string;
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
  /** SotW LDS/CDS: `resources` is the client's complete set; anything else sent before is gone. */
  readonly fullState: boolean;
}

/** JSON-able view of one subscription, for /debug/syncz. */
export interface SubscriptionStatus {
  readonly typeUrl: TypeUrl;
  readonly wildcard: boolean;
  readonly names: readonly string[];
  /** Requested names that do not exist (pushed when they appear: XDS.md §1.6). */
  readonly missing: readonly string[];
  readonly lastSentVersion: string | null;
  readonly lastSentNonce: string | null;
  readonly ackedVersion: string | null;
  readonly lastNack: NackRecord | null;
  /** How many resources the client holds from this stream, as far as the server knows. */
  readonly resourcesSent: number;
  /** name -> version last sent; only in detailed views. */
  readonly versions?: Readonly<Record<string, string>>;
}

/** Subscription state of one type on one stream. */
export class Subscription {
  /** LDS/CDS: the type supports wildcard and SotW responses carry the full set. */
  readonly wildcardCapable: boolean;
  private readonly subscribed = new Set<string>();
  private readonly sentVersions = new Map<string, string>();
  private readonly missingNames = new Set<string>();
  private wildcardFlag = false;
  private named = false;
  private started = false;
  private nonce: string | undefined;
  private version: string | undefined;
  private acked: string | undefined;
  private nack: NackRecord | undefined;
  /** The last SotW `resource_names` applied (a copy). */
  private lastSotwNames: readonly string[] | undefined;

  constructor(readonly typeUrl: TypeUrl) {
    this.wildcardCapable = FULL_STATE_TYPES.has(typeUrl);
  }

  /** The client currently has a wildcard subscription (legacy or explicit). */
  get wildcard(): boolean {
    return this.wildcardFlag;
  }

  /** The client has sent a non-empty name list for this type at least once (ends legacy wildcard). */
  get everNamed(): boolean {
    return this.named;
  }

  /** Explicitly subscribed names (without `*`). */
  get names(): ReadonlySet<string> {
    return this.subscribed;
  }

  /** Requested names that did not exist when last looked up. */
  get missing(): ReadonlySet<string> {
    return this.missingNames;
  }

  /** Nonce of the latest response sent for this type, if any. */
  get lastNonce(): string | undefined {
    return this.nonce;
  }

  /** Version of the latest response sent for this type, if any. */
  get lastVersion(): string | undefined {
    return this.version;
  }

  /** Latest version the client ACKed. */
  get ackedVersion(): string | undefined {
    return this.acked;
  }

  /** Latest NACK the client sent. */
  get lastNack(): NackRecord | undefined {
    return this.nack;
  }

  /** Names the server believes the client holds, with the version last sent. */
  get sent(): ReadonlyMap<string, string> {
    return this.sentVersions;
  }

  /** A request whose non-empty nonce is not the latest sent (XDS.md §1.3); false before any response. */
  isStale(responseNonce: string): boolean {
    return responseNonce !== '' && this.nonce !== undefined && responseNonce !== this.nonce;
  }

  /**
   * SotW: `resource_names` is the complete set each time (XDS.md §1.4). LDS/CDS: every request so far
   * empty = legacy wildcard; `*` = wildcard; {*,A} = wildcard + A; {A} drops wildcard; empty after
   * names = nothing. EDS/RDS are never wildcard (grpc-js sends a transient empty EDS list).
   */
  setSotwNames(names: readonly string[]): SubscriptionUpdate {
    // The same list as last time (every ACK) leads to the same state: skip the set arithmetic.
    const last = this.lastSotwNames;
    if (last !== undefined && (last === names || sameList(last, names))) return UNCHANGED;
    // A frozen list (the request decoder's) cannot change under us: keep it, the next ACK hands it back.
    this.lastSotwNames = Object.isFrozen(names) ? names : [...names];
    const hadWildcard = this.wildcardFlag;
    const explicit = new Set(names.filter((n) => n !== WILDCARD));
    if (names.length > 0) this.named = true;
    this.started = true;
    this.wildcardFlag = this.wildcardCapable && (names.includes(WILDCARD) || !this.named);
    const added = [...explicit].filter((n) => !this.subscribed.has(n));
    const removed = [...this.subscribed].filter((n) => !explicit.has(n));
    for (const name of added) this.subscribed.add(name);
    return this.finishUpdate(added, removed, hadWildcard);
  }

  /**
   * Delta: subscribe/unsubscribe are changes (XDS.md §1.7). A first request with nothing to subscribe
   * is a legacy wildcard on LDS/CDS; later names keep the wildcard; only unsubscribing `*` drops it.
   * Unsubscribing a name that is not subscribed is a phantom and changes nothing.
   */
  applyDelta(subscribe: readonly string[], unsubscribe: readonly string[]): SubscriptionUpdate {
    this.lastSotwNames = undefined;
    const hadWildcard = this.wildcardFlag;
    if (!this.started && subscribe.length === 0 && this.wildcardCapable) this.wildcardFlag = true;
    this.started = true;
    if (subscribe.length > 0) this.named = true;
    const added = new Set<string>();
    const removed = new Set<string>();
    for (const name of subscribe) {
      if (name === WILDCARD) this.wildcardFlag = this.wildcardCapable;
      else if (!this.subscribed.has(name)) {
        this.subscribed.add(name);
        if (!removed.delete(name)) added.add(name);
      }
    }
    for (const name of unsubscribe) {
      if (name === WILDCARD) this.wildcardFlag = false;
      else if (this.subscribed.delete(name) && !added.delete(name)) removed.add(name);
    }
    return this.finishUpdate([...added], [...removed], hadWildcard);
  }

  /**
   * Delta reconnect: the versions the client already holds (initial_resource_versions, XDS.md §1.7).
   * Only meaningful before the first response for the type.
   */
  seedSent(versions: ReadonlyMap<string, string>): void {
    for (const [name, version] of versions) this.sentVersions.set(name, version);
  }

  /** The version of `name` last sent (or seeded), if the client holds it. */
  sentVersion(name: string): string | undefined {
    return this.sentVersions.get(name);
  }

  /** True when `resources` is exactly what the client holds: a full-state response would be a repeat. */
  sameAsSent(resources: readonly EncodedResource[]): boolean {
    if (resources.length !== this.sentVersions.size) return false;
    return resources.every((r) => this.sentVersions.get(r.name) === r.version);
  }

  /** `name` is requested but does not exist: remember it (XDS.md §1.6; pushed when it appears). */
  markMissing(name: string): void {
    this.missingNames.add(name);
  }

  /** Stop believing the client holds `name` (it will be sent again if it is served later). */
  forget(name: string): void {
    this.sentVersions.delete(name);
  }

  /** `name` exists (again). */
  markPresent(name: string): void {
    if (this.missingNames.size > 0) this.missingNames.delete(name);
  }

  /** Record a response handed to the transport. */
  recordSent(record: SentRecord): void {
    this.nonce = record.nonce;
    this.version = record.version;
    if (record.fullState) this.sentVersions.clear();
    for (const r of record.resources) this.sentVersions.set(r.name, r.version);
    for (const name of record.removed) this.sentVersions.delete(name);
  }

  /** Record an ACK of the latest response. */
  recordAck(version: string): void {
    this.acked = version;
  }

  /** Record a NACK of the latest response. */
  recordNack(record: NackRecord): void {
    this.nack = record;
  }

  /** JSON-able view; `detailed` adds the per-resource versions. */
  status(detailed = false): SubscriptionStatus {
    const base: SubscriptionStatus = {
      typeUrl: this.typeUrl,
      wildcard: this.wildcardFlag,
      names: [...this.subscribed].sort(),
      missing: [...this.missingNames].sort(),
      lastSentVersion: this.version ?? null,
      lastSentNonce: this.nonce ?? null,
      ackedVersion: this.acked ?? null,
      lastNack: this.nack ?? null,
      resourcesSent: this.sentVersions.size,
    };
    if (!detailed) return base;
    return {
      ...base,
      versions: Object.fromEntries([...this.sentVersions].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  /**
   * Apply removals. A name no longer covered is forgotten (so a resubscribe resends it, XDS.md §5
   * item 14) unless the wildcard may still cover it; dropping the wildcard forgets what only it covered.
   */
  private finishUpdate(added: string[], removed: string[], hadWildcard: boolean): SubscriptionUpdate {
    for (const name of removed) {
      this.subscribed.delete(name);
      this.missingNames.delete(name);
      if (!this.wildcardFlag) this.sentVersions.delete(name);
    }
    const wildcardRemoved = hadWildcard && !this.wildcardFlag;
    if (wildcardRemoved) {
      for (const name of this.sentVersions.keys()) {
        if (!this.subscribed.has(name)) this.sentVersions.delete(name);
      }
    }
    return { added, removed, wildcardAdded: !hadWildcard && this.wildcardFlag, wildcardRemoved };
  }
}
