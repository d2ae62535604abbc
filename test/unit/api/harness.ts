/** Starts the real API server on 127.0.0.1, port 0, over a FakeCatalog; `close` stops everything. */
import { pino } from 'pino';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api/server.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import { FakeCatalog } from '../../fakes/catalog.js';

/** A running server and what it reads. */
export interface Harness {
  readonly catalog: FakeCatalog;
  readonly metrics: Metrics;
  readonly server: ApiServer;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a server over `catalog`; extra options override the defaults. */
export async function startHarness(
  catalog: FakeCatalog = new FakeCatalog(),
  options: Partial<Omit<ApiServerOptions, 'catalog' | 'metrics' | 'logger'>> = {},
): Promise<Harness> {
  const metrics = createMetrics();
  const server = createApiServer({ catalog, metrics, logger: pino({ level: 'silent' }), ...options });
  const { host, port } = await server.listen('127.0.0.1', 0);
  return { catalog, metrics, server, url: `http://${host}:${port}`, close: () => server.close() };
}

/** Fetches `path` and decodes the JSON body. */
export async function getJson(harness: Harness, path: string, init: RequestInit = {}) {
  const response = await fetch(`${harness.url}${path}`, init);
  const text = await response.text();
  return { response, text, body: JSON.parse(text) as unknown };
}
