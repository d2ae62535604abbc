/**
 * The peer source's I/O shell: one SSE watch of the peer's `GET /v1/catalog/watch`, reopened with
 * capped jittered backoff and resumed from the last applied epoch and revision (the peer replays
 * only what was missed). A connection silent for `heartbeatTimeout`, ended, refused or carrying a
 * malformed event makes the source degraded and stale with the reason, keeping every record; after
 * `expiry` of continuous unreachability the imported services are dropped and the source is down.
 */
import { Observable, type Subscriber } from 'rxjs';
import { describeError } from '../../src/errors.js';
import type { PeerProgress } from '../../src/model/peer.js';
import type { Registry, RegistryContext, SourceEvent, StatusEvent } from '../../src/registry.js';
import { backoffDelay } from '../shared/backoff.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { formatMs } from '../shared/duration.js';
import { sourceStatus } from '../shared/status.js';
import { PeerClient, PeerRequestError } from './client.js';
import type { PeerSourceConfig } from './config.js';
import { isPeerEventType, parsePeerEvent } from './payload.js';
import { PeerFeed } from './records.js';
import type { SseItem } from './sse.js';

/** Seams for tests: time and randomness. */
export interface PeerWatchOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** `peer/west` → `west`: the peer's name, stamped as the origin of what it exports. */
export function peerNameOf(sourceId: string): string {
  return sourceId.slice(sourceId.indexOf('/') + 1);
}

/** At most three problems, then how many more. */
function summarize(errors: readonly string[]): string {
  const shown = errors.slice(0, 3).join('; ');
  return errors.length > 3 ? `${shown}; and ${errors.length - 3} more` : shown;
}

/** One subscription: its client, the connection open now, the feed state and what was last said. */
class PeerSession {
  private readonly controller = new AbortController();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly peer: string;
  private readonly feed: PeerFeed;
  private connection: AbortController | undefined;
  /** Why the open connection is being closed by the source (heartbeat timeout, malformed event). */
  private closing: string | undefined;
  private lastActivity = 0;
  private connected = false;
  private lastEventAt: string | null = null;
  private failures = 0;
  /** Why the source is not synced now; undefined while the stream works. */
  private failure: string | undefined;
  /** Set once the expiry dropped the imported services, until the peer answers again. */
  private expired: string | undefined;
  private expiryTimer: AbortController | undefined;
  private lastStatus: string | undefined;

  constructor(
    private readonly sourceId: string,
    private readonly config: PeerSourceConfig,
    private readonly context: RegistryContext,
    private readonly subscriber: Subscriber<SourceEvent>,
    options: PeerWatchOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.peer = peerNameOf(sourceId);
    this.feed = new PeerFeed({ peer: this.peer, network: config.network, gateways: config.gateways });
  }

  start(): void {
    this.publishStatus();
    PeerClient.open(this.config, this.context.baseDir).then(
      (client) => {
        if (this.closed) return client.close();
        this.run(client).then(
          () => client.close(),
          (error: unknown) => {
            client.close();
            if (!this.closed) this.subscriber.error(error);
          },
        );
      },
      (error: unknown) => {
        if (!this.closed) this.subscriber.error(error);
      },
    );
  }

  stop(): void {
    this.controller.abort();
    this.expiryTimer?.abort();
    this.context.peers?.forget(this.sourceId);
  }

  private get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Connects, streams, and after each failure waits its backoff and reconnects, until stopped. */
  private async run(client: PeerClient): Promise<void> {
    while (!this.closed) {
      const connection = new AbortController();
      const abort = (): void => connection.abort();
      this.controller.signal.addEventListener('abort', abort, { once: true });
      this.connection = connection;
      this.closing = undefined;
      let refused = false;
      try {
        await client.stream(this.feed.position, connection.signal, this.handlers(connection), this.clock);
        this.closing ??= `peer ${this.peer}: the peer ended the watch stream`;
      } catch (error) {
        refused = error instanceof PeerRequestError && error.refused;
        this.closing ??= this.describeFailure(error);
      } finally {
        this.controller.signal.removeEventListener('abort', abort);
        connection.abort(); // stops the watchdog
      }
      if (this.closed) return;
      this.disconnected(this.closing);
      this.failures += 1;
      const attempt = refused ? Number.MAX_SAFE_INTEGER : this.failures;
      await this.clock.sleep(
        backoffDelay(attempt, this.config.retryBase, this.config.retryMax, this.random),
        this.controller.signal,
      );
    }
  }

  /** `peer west refused the token: …`, `peer west: unreachable at <address> (ECONNREFUSED)`, `peer west: HTTP 500: …`. */
  private describeFailure(error: unknown): string {
    if (error instanceof PeerRequestError && error.refused) {
      return `peer ${this.peer} refused the token: ${error.detail || error.message}`;
    }
    const message = describeError(error);
    if (error instanceof PeerRequestError && error.status === undefined) {
      return `peer ${this.peer}: ${message.replace(/^(unreachable|connection lost)/, `$1 at ${this.config.address}`)}`;
    }
    return `peer ${this.peer}: ${message}`;
  }

  private handlers(connection: AbortController): { onOpen(): void; onItem(item: SseItem): void } {
    return {
      onOpen: () => {
        this.connected = true;
        this.lastActivity = this.clock.now();
        this.report();
        void this.watchdog(connection);
      },
      onItem: (item) => {
        this.lastActivity = this.clock.now();
        if (item.kind === 'message') this.onMessage(item.event, item.data, connection);
      },
    };
  }

  /** Closes `connection` once nothing came for `heartbeatTimeout`. */
  private async watchdog(connection: AbortController): Promise<void> {
    const timeout = this.config.heartbeatTimeout;
    while (!connection.signal.aborted) {
      const idle = this.clock.now() - this.lastActivity;
      if (idle >= timeout) {
        this.closing = `peer ${this.peer}: no event for ${formatMs(timeout)} (heartbeatTimeout)`;
        connection.abort();
        return;
      }
      await this.clock.sleep(timeout - idle, connection.signal);
    }
  }

  private onMessage(type: string, data: string, connection: AbortController): void {
    if (!isPeerEventType(type)) return; // a newer peer's event type: not ours to follow
    const parsed = parsePeerEvent(type, data);
    const outcome = parsed.valid
      ? this.feed.apply(parsed.value)
      : { ok: false as const, error: `malformed ${type} event: ${summarize(parsed.errors)}` };
    if (!outcome.ok) {
      this.closing = `peer ${this.peer}: ${outcome.error}`;
      connection.abort();
      return;
    }
    for (const event of outcome.events) {
      this.subscriber.next(event);
      this.lastStatus = undefined; // a change is always followed by its status
    }
    this.lastEventAt = new Date(this.clock.now()).toISOString();
    this.reachable();
  }

  /** A good event came: failures, the expiry and the drop are over. */
  private reachable(): void {
    this.failures = 0;
    this.failure = undefined;
    this.expired = undefined;
    this.expiryTimer?.abort();
    this.expiryTimer = undefined;
    this.publishStatus();
    this.report();
  }

  private disconnected(reason: string): void {
    this.connected = false;
    this.failure = reason;
    if (this.expiryTimer === undefined && this.expired === undefined) this.startExpiry();
    this.publishStatus();
    this.report();
  }

  private startExpiry(): void {
    const timer = new AbortController();
    this.expiryTimer = timer;
    void this.clock.sleep(this.config.expiry, timer.signal).then(() => {
      if (timer.signal.aborted || this.closed) return;
      this.expiryTimer = undefined;
      this.expired = `peer ${this.peer} unreachable for ${formatMs(this.config.expiry)} (expiry): its imported services were dropped`;
      this.subscriber.next(this.feed.drop());
      this.lastStatus = undefined;
      this.publishStatus();
      this.report();
    });
  }

  private status(): StatusEvent {
    if (this.expired !== undefined) {
      const error = this.failure === undefined ? this.expired : `${this.expired}; ${this.failure}`;
      return { type: 'status', state: 'down', error };
    }
    return sourceStatus(this.failure === undefined ? [] : [this.failure], [], this.feed.synced);
  }

  private publishStatus(): void {
    const status = this.status();
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.subscriber.next(status);
  }

  private report(): void {
    const progress: PeerProgress = {
      sourceId: this.sourceId,
      peer: this.peer,
      address: this.config.address,
      connected: this.connected,
      epoch: this.feed.epoch,
      revision: this.feed.revision,
      headRevision: this.feed.headRevision,
      lastEventAt: this.lastEventAt,
      ...this.feed.counts,
    };
    this.context.peers?.report(progress);
  }
}

/**
 * Events of the peer source `sourceId` (`peer/<name>`): cold; each subscription opens its own client
 * and connection, and unsubscribing aborts the request, clears every timer and closes the sockets.
 */
export function watchPeerSource(
  sourceId: string,
  config: PeerSourceConfig,
  context: RegistryContext,
  options: PeerWatchOptions = {},
): Observable<SourceEvent> {
  return new Observable<SourceEvent>((subscriber) => {
    const session = new PeerSession(sourceId, config, context, subscriber, options);
    session.start();
    return () => session.stop();
  });
}

/** The peer source `id` (`peer/<name>`) as a Registry. */
export function createPeerRegistry(id: string, config: PeerSourceConfig, context: RegistryContext): Registry {
  return { id, kind: 'peer', events: () => watchPeerSource(id, config, context) };
}

/** Offline checks for `tributary validate`: the token and TLS files can be read. */
export async function checkPeerSource(
  config: PeerSourceConfig,
  context: RegistryContext,
): Promise<readonly string[]> {
  try {
    (await PeerClient.open(config, context.baseDir)).close();
    return [];
  } catch (error) {
    return [describeError(error)];
  }
}
