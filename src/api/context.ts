/** What every route handler of the REST API shares; built once by createApiServer. */
import type { CatalogReader } from '../catalog/view.js';
import type { Metrics } from '../observability/metrics.js';
import type { BlockingLimits } from './blocking.js';
import type { BodyCache } from './body-cache.js';

/** Limits of one SSE watch stream. */
export interface SseLimits {
  /** Interval of `: keepalive` comments. */
  readonly heartbeatMs: number;
  /** The stream is closed when more than this many bytes wait in its write buffer. */
  readonly maxBufferedBytes: number;
  /** The stream is closed when its write buffer stays full (no `drain`) this long. */
  readonly stallMs: number;
}

/** Shared state of the route handlers. */
export interface ApiContext {
  readonly catalog: CatalogReader;
  readonly metrics: Metrics;
  readonly cache: BodyCache;
  readonly blocking: BlockingLimits;
  readonly sse: SseLimits;
  /** Aborted when the server starts closing: held requests answer, watch streams end. */
  readonly closing: AbortSignal;
}
