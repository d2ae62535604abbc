import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { aCatalogEndpoint, aCatalogService, aSourceStatus, FakeCatalog } from '../../fakes/catalog.js';
import { getJson, startHarness, type Harness } from './harness.js';

const METRIC_NAMES = [
  'tributary_catalog_revision',
  'tributary_catalog_services',
  'tributary_catalog_endpoints',
  'tributary_source_up',
  'tributary_source_records_rejected_total',
  'tributary_pipeline_batches_total',
  'tributary_pipeline_batch_apply_seconds',
  'tributary_api_requests_total',
  'tributary_api_blocking_queries',
  'tributary_api_watch_streams',
  'process_cpu_seconds_total',
];

describe('health and metrics routes', () => {
  let harness: Harness;
  beforeEach(async () => {
    const services = [
      aCatalogService({ endpoints: [aCatalogEndpoint(), aCatalogEndpoint({ address: '10.0.0.2' })] }),
    ];
    const sources = [
      aSourceStatus({ id: 'file/vms', state: 'synced' }),
      aSourceStatus({ id: 'consul/dc1', state: 'syncing' }),
    ];
    harness = await startHarness(new FakeCatalog(services, sources, { revision: 9 }));
  });
  afterEach(async () => {
    await harness.close();
  });

  it('answers /healthz with ok', async () => {
    const { response, body } = await getJson(harness, '/healthz');
    expect(response.status).toBe(200);
    expect(body).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 and source states until the catalog is ready, then 200', async () => {
    harness.catalog.setReady(false);
    const notReady = await getJson(harness, '/readyz');
    expect(notReady.response.status).toBe(503);
    expect(notReady.body).toEqual({
      ready: false,
      revision: 9,
      sources: [
        { id: 'file/vms', state: 'synced' },
        { id: 'consul/dc1', state: 'syncing' },
      ],
    });
    harness.catalog.setReady(true);
    const ready = await getJson(harness, '/readyz');
    expect(ready.response.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true });
  });

  it('serves every metric name in Prometheus text, with catalog gauges from the view', async () => {
    await getJson(harness, '/v1/services');
    await getJson(harness, '/nope');
    const response = await fetch(`${harness.url}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    for (const name of METRIC_NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain('tributary_catalog_revision 9');
    expect(text).toContain('tributary_catalog_endpoints 2');
    expect(text).toContain('tributary_source_up{source="file/vms"} 1');
    expect(text).toContain('tributary_source_up{source="consul/dc1"} 0');
    expect(text).toContain('tributary_api_requests_total{route="/v1/services",code="200"} 1');
    expect(text).toContain('tributary_api_requests_total{route="unmatched",code="404"} 1');
  });
});
