/** Small statistics helpers: quantiles over numbers, and run summaries (median with min–max). */

/** Quantile q in [0, 1] of `values` (nearest-rank on a sorted copy); NaN when empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).filter((v) => !Number.isNaN(v));
  if (sorted.length === 0) return Number.NaN;
  sorted.sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    n += 1;
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** Median and range of per-run values. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** A number for a table: 3 significant digits, thousands separated, '-' for NaN. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}
