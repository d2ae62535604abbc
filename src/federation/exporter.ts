/**
 * The federation exporter (ARCHITECTURE.md §6): serves chosen parts of the catalog to named peers.
 * Transports (the gRPC CatalogWatch service, the SSE route) authenticate the caller, then `open` a
 * session here, which checks the export policy and starts the feed.
 */
import type { CatalogReader } from '../catalog/view.js';
import type { Principal } from '../auth/scopes.js';
import type { TokenSet } from '../auth/tokens.js';
import { ExportedRecords } from './exported.js';
import { ExportSession, type ExportSessionInfo, type ExportSink, type ResumePoint } from './feed.js';
import type { ExportFilter, ExportGrant, ExportPolicy } from './policy.js';

export interface ExporterOptions {
  readonly catalog: CatalogReader;
  readonly policy: ExportPolicy;
  readonly tokens: TokenSet;
  /** Ids of the sources that import from peers (their records are never exported). */
  readonly importedSources: ReadonlySet<string>;
  readonly heartbeatMs: number;
}

/** Where a granted feed starts and who reads it. */
export interface ExportRequest {
  readonly resume: ResumePoint | undefined;
  readonly transport: ExportSessionInfo['transport'];
  readonly remote: string;
}

/** A refusal: `unauthenticated` (no or unknown token), `forbidden` (policy), `invalid` (bad filter). */
export interface ExportRefusal {
  readonly ok: false;
  readonly reason: 'unauthenticated' | 'forbidden' | 'invalid';
  readonly message: string;
}

export class Exporter {
  private readonly records: ExportedRecords;
  private readonly sessions = new Set<ExportSession>();

  constructor(private readonly options: ExporterOptions) {
    this.records = new ExportedRecords(options.importedSources);
  }

  /** Authenticates the secret and checks the policy for `filter`: the grant, or why not. */
  authorize(
    secret: string | undefined,
    filter: ExportFilter,
  ): { readonly ok: true; readonly grant: ExportGrant } | ExportRefusal {
    const principal: Principal | undefined =
      secret === undefined ? undefined : this.options.tokens.authenticate(secret);
    if (principal === undefined) {
      const message =
        secret === undefined
          ? 'a peer token is required (Authorization: Bearer <token>)'
          : 'the bearer token is not valid';
      return { ok: false, reason: 'unauthenticated', message };
    }
    return this.options.policy.grant(principal, filter);
  }

  /** Starts a granted feed: it writes to `sink` at once (snapshot or replay, then a heartbeat). */
  start(grant: ExportGrant, request: ExportRequest, sink: ExportSink): ExportSession {
    const session = new ExportSession(
      this.options.catalog,
      this.records,
      grant,
      sink,
      request.transport,
      request.remote,
    );
    this.sessions.add(session);
    session.start(request.resume, this.options.heartbeatMs);
    return session;
  }

  /** Ends a session (its stream closed). */
  close(session: ExportSession): void {
    session.stop();
    this.sessions.delete(session);
  }

  /** The open sessions, for `/v1/peers`. */
  list(): ExportSessionInfo[] {
    return [...this.sessions].map((s) => s.info());
  }

  /** The peers that have an export rule. */
  get peers(): readonly string[] {
    return this.options.policy.peers;
  }

  /** Stops every session (shutdown). */
  stop(): void {
    for (const session of this.sessions) session.stop();
    this.sessions.clear();
  }
}
