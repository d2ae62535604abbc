/** xDS metrics and logs (XDS.md §5 item 6, §6): counts per type, debug lines only when debug is on. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino, type Logger } from 'pino';
import { Subject } from 'rxjs';
import type { CatalogChange } from '../../../src/catalog/view.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import type { XdsCallbacks } from '../../../src/xds/callbacks.js';
import { observeXds } from '../../../src/xds/observe.js';
import { TYPE_URLS } from '../../../src/xds/types.js';

const EDS = TYPE_URLS.endpoint;

function response(
  streamId: number,
  version: string,
  nonce: string,
): Parameters<NonNullable<XdsCallbacks['onResponse']>>[0] {
  return {
    streamId,
    nodeId: 'n',
    typeUrl: EDS,
    version,
    nonce,
    names: ['a'],
    removed: [],
    bufferFull: false,
  };
}

describe('observeXds', () => {
  let metrics: Metrics;
  let lines: { msg: string }[];
  let logger: Logger;
  let commits: Subject<CatalogChange>;
  let observed: ReturnType<typeof observeXds>;

  beforeEach(() => {
    metrics = createMetrics();
    lines = [];
    logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    commits = new Subject();
    observed = observeXds(metrics, logger, commits);
  });

  afterEach(() => observed.stop());

  /** The sample `name` (of metric `metric`, default the same) with these labels. */
  async function value(
    name: string,
    labels: Record<string, string>,
    metric = name,
  ): Promise<number | undefined> {
    const values = (await metrics.registry.getSingleMetric(metric)?.get())?.values ?? [];
    const found = values.find(
      (v) =>
        ((v as { metricName?: string }).metricName ?? metric) === name &&
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    );
    return found?.value;
  }

  it('counts requests and responses per type and disposition', async () => {
    const { callbacks } = observed;
    const request = { streamId: 1, nodeId: 'n', typeUrl: EDS, versionInfo: '', nonce: '', names: [] };
    callbacks.onRequest?.({ ...request, unsubscribe: [], disposition: 'initial' });
    callbacks.onRequest?.({ ...request, unsubscribe: [], disposition: 'ack' });
    callbacks.onRequest?.({ ...request, unsubscribe: [], disposition: 'ack' });
    callbacks.onResponse?.(response(1, 'e1-1', '1'));
    callbacks.onResponse?.(response(2, 'e1-1', '1'));
    callbacks.onResponse?.(response(1, 'e1-2', '2'));
    expect(await value('tributary_xds_requests_total', { type: 'eds', disposition: 'ack' })).toBe(2);
    expect(await value('tributary_xds_requests_total', { type: 'eds', disposition: 'initial' })).toBe(1);
    expect(await value('tributary_xds_responses_total', { type: 'eds' })).toBe(3);
  });

  it('measures commit-to-write once per stream, type and revision', async () => {
    const { callbacks } = observed;
    callbacks.onStreamOpen?.({ streamId: 1, peer: 'p', kind: 'sotw', ads: true, typeUrl: null });
    commits.next({ epoch: 'e1', revision: 7, services: [], sources: [] });
    callbacks.onResponse?.(response(1, 'e1-7', '1'));
    callbacks.onResponse?.(response(1, 'e1-7', '2'));
    callbacks.onResponse?.(response(1, 'not-a-revision', '3'));
    expect(await value('tributary_xds_push_seconds_count', {}, 'tributary_xds_push_seconds')).toBe(1);
  });

  it('writes per-request and per-response lines only while the level is debug', () => {
    const { callbacks } = observed;
    callbacks.onResponse?.(response(1, 'e1-1', '1'));
    expect(lines).toEqual([]);
    logger.level = 'debug';
    callbacks.onResponse?.(response(1, 'e1-2', '2'));
    expect(lines.map((l) => l.msg)).toEqual(['xds response']);
  });
});
