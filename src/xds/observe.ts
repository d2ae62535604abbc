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

/** Callbacks feeding metrics and logs; `commits` gives each revision's commit time for push latency. */
export function observeXds(
  metrics: Metrics,
  logger: Logger,
  commits: Observable<CatalogChange>,
): {
  callbacks: XdsCallbacks;
  stop(): void;
} {
  const committedAt = new Map<number, bigint>();
  const subscription = commits.subscribe((change) => {
    committedAt.set(change.revision, process.hrtime.bigint());
    if (committedAt.size > COMMIT_TIMES_KEPT) committedAt.delete(committedAt.keys().next().value!);
  });
  /** Per stream and type, the newest revision already measured, so each push is measured once. */
  const measured = new Map<number, Map<TypeUrl, number>>();
  const openedAt = new Map<number, bigint>();

  const callbacks: XdsCallbacks = {
    onStreamOpen: (e) => {
      metrics.xdsStreams.inc({ kind: e.kind });
      openedAt.set(e.streamId, process.hrtime.bigint());
      logger.debug({ stream: e.streamId, peer: e.peer, kind: e.kind, ads: e.ads }, 'xds stream opened');
    },
    onRequest: (e) => {
      metrics.xdsRequests.inc({ type: shortType(e.typeUrl), disposition: e.disposition });
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
      metrics.xdsResponses.inc({ type });
      const revision = revisionOf(e.version);
      const at = revision === undefined ? undefined : committedAt.get(revision);
      let seen = measured.get(e.streamId);
      if (!seen) measured.set(e.streamId, (seen = new Map()));
      // Only pushes of a revision committed while the stream was open measure commit-to-write.
      if (
        revision !== undefined &&
        at !== undefined &&
        (seen.get(e.typeUrl) ?? -1) < revision &&
        at > (openedAt.get(e.streamId) ?? 0n)
      ) {
        metrics.xdsPushSeconds.observe(Number(process.hrtime.bigint() - at) / 1e9);
      }
      if (revision !== undefined) seen.set(e.typeUrl, revision);
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
