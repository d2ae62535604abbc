/**
 * xDS observability through the engines' callbacks (STYLE.md habit 8): metrics, one log line per
 * request and response (XDS.md §6: that format was enough to debug every scenario), NACKs as warnings
 * with the node, type, nonce and message, and commit-to-write push latency.
 */
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { CatalogChange } from '../catalog/view.js';
import type { Metrics } from '../observability/metrics.js';
import type { XdsCallbacks } from './callbacks.js';
import { TYPE_URLS, type TypeUrl } from './types.js';

const SHORT: Readonly<Record<string, string>> = {
  [TYPE_URLS.cluster]: 'cds',
  [TYPE_URLS.endpoint]: 'eds',
  [TYPE_URLS.listener]: 'lds',
  [TYPE_URLS.route]: 'rds',
};
const COMMIT_TIMES_KEPT = 4096;

/** `cds`, `eds`, `lds`, `rds`, or `other`. */
export function shortType(typeUrl: string): string {
  return SHORT[typeUrl] ?? 'other';
}

function revisionOf(version: string): number | undefined {
  const dash = version.lastIndexOf('-');
  const revision = Number(version.slice(dash + 1));
  return dash > 0 && Number.isInteger(revision) ? revision : undefined;
}

/** An incrementable counter child. */
interface Inc {
  inc(): void;
}

/** Counter children by label key, made once: a push then costs no label object or label lookup. */
function children(make: (key: string) => Inc): (key: string) => Inc {
  const made = new Map<string, Inc>();
  return (key) => {
    let child = made.get(key);
    if (child === undefined) made.set(key, (child = make(key)));
    return child;
  };
}

/** Callbacks feeding metrics and logs; `commits` gives each revision's commit time for push latency. */
export function observeXds(
  metrics: Metrics,
  logger: Logger,
  commits: Observable<CatalogChange>,
): {
  callbacks: XdsCallbacks;
  stop(): void;
} {
  /** Monotonic milliseconds (performance.now: a plain number, no BigInt per push). */
  const committedAt = new Map<number, number>();
  const subscription = commits.subscribe((change) => {
    committedAt.set(change.revision, performance.now());
    if (committedAt.size > COMMIT_TIMES_KEPT) committedAt.delete(committedAt.keys().next().value!);
  });
  /** Per stream and type, the newest revision already measured, so each push is measured once. */
  const measured = new Map<number, Map<TypeUrl, number>>();
  const openedAt = new Map<number, number>();
  // Every stream pushed for one change carries the same version string: parse it once.
  let lastVersion = '';
  let lastRevision: number | undefined;
  const revisionOfCached = (version: string): number | undefined => {
    if (version !== lastVersion) {
      lastVersion = version;
      lastRevision = revisionOf(version);
    }
    return lastRevision;
  };
  const responses = children((type) => metrics.xdsResponses.labels({ type }));
  const requests = new Map<string, (disposition: string) => Inc>();
  const requestCounter = (type: string, disposition: string): Inc => {
    let byDisposition = requests.get(type);
    if (byDisposition === undefined) {
      byDisposition = children((d) => metrics.xdsRequests.labels({ type, disposition: d }));
      requests.set(type, byDisposition);
    }
    return byDisposition(disposition);
  };
  // Per-request and per-response lines are debug level: build them only when they will be written.
  const debug = (): boolean => logger.isLevelEnabled('debug');

  const callbacks: XdsCallbacks = {
    onStreamOpen: (e) => {
      metrics.xdsStreams.inc({ kind: e.kind });
      openedAt.set(e.streamId, performance.now());
      logger.debug({ stream: e.streamId, peer: e.peer, kind: e.kind, ads: e.ads }, 'xds stream opened');
    },
    onRequest: (e) => {
      requestCounter(shortType(e.typeUrl), e.disposition).inc();
      if (!debug()) return;
      logger.debug(
        {
          stream: e.streamId,
          node: e.nodeId,
          type: shortType(e.typeUrl),
          version: e.versionInfo,
          nonce: e.nonce,
          names: e.names,
          disposition: e.disposition,
        },
        'xds request',
      );
    },
    onResponse: (e) => {
      const type = shortType(e.typeUrl);
      responses(type).inc();
      const revision = revisionOfCached(e.version);
      const at = revision === undefined ? undefined : committedAt.get(revision);
      let seen = measured.get(e.streamId);
      if (!seen) measured.set(e.streamId, (seen = new Map()));
      // Only pushes of a revision committed while the stream was open measure commit-to-write.
      if (
        revision !== undefined &&
        at !== undefined &&
        (seen.get(e.typeUrl) ?? -1) < revision &&
        at > (openedAt.get(e.streamId) ?? 0)
      ) {
        metrics.xdsPushSeconds.observe((performance.now() - at) / 1000);
      }
      if (revision !== undefined) seen.set(e.typeUrl, revision);
      if (!debug()) return;
      logger.debug(
        {
          stream: e.streamId,
          node: e.nodeId,
          type,
          version: e.version,
          nonce: e.nonce,
          names: e.names,
          removed: e.removed,
          bufferFull: e.bufferFull,
        },
        'xds response',
      );
    },
    onNack: (e) => {
      metrics.xdsNacks.inc({ type: shortType(e.typeUrl) });
      logger.warn(
        {
          stream: e.streamId,
          node: e.nodeId,
          type: shortType(e.typeUrl),
          version: e.version,
          nonce: e.nonce,
          code: e.code,
          error: e.message,
        },
        'xds NACK: the proxy rejected a response; it keeps its last good config',
      );
    },
    onStreamClosed: (e) => {
      metrics.xdsStreams.dec({ kind: e.kind });
      measured.delete(e.streamId);
      openedAt.delete(e.streamId);
      const fields = {
        stream: e.streamId,
        node: e.nodeId,
        peer: e.peer,
        reason: e.reason,
        error: e.error?.message,
      };
      if (e.reason === 'rejected' || e.reason === 'internal')
        logger.warn(fields, 'xds stream closed with an error');
      else logger.debug(fields, 'xds stream closed');
    },
  };
  return { callbacks, stop: () => subscription.unsubscribe() };
}
