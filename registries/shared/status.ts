/** The status an adapter reports from its per-watch errors and warnings, said once per change. */
import type { StatusEvent } from '../../src/registry.js';

/** At most three distinct problems, then how many more. */
function summarize(problems: readonly string[]): string {
  const unique = [...new Set(problems)];
  const shown = unique.slice(0, 3).join('; ');
  return unique.length > 3 ? `${shown}; and ${unique.length - 3} more` : shown;
}

/**
 * Errors (the registry cannot be read: records are stale) and warnings (bad objects left out) make
 * the source `degraded`; otherwise it is `synced` once its snapshot went out, `syncing` before.
 */
export function sourceStatus(
  errors: Iterable<string>,
  warnings: Iterable<string>,
  snapshotted: boolean,
): StatusEvent {
  const failing = [...errors];
  const problems = [...failing, ...warnings];
  const error = summarize(problems);
  if (failing.length > 0) return { type: 'status', state: 'degraded', stale: true, error };
  if (problems.length > 0) return { type: 'status', state: 'degraded', error };
  return { type: 'status', state: snapshotted ? 'synced' : 'syncing' };
}
