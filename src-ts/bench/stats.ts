/** Order statistics of repeated timings, and the geometric mean used for suite summaries. */
import type { TimeStats } from './types.js';

/** Quantile q ∈ [0,1] of `values` with linear interpolation between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function timeStats(values: ArrayLike<number>): TimeStats {
  const median = quantile(values, 0.5);
  const p10 = quantile(values, 0.1);
  const p90 = quantile(values, 0.9);
  return { median_us: median, p10_us: p10, p90_us: p90, spread: (p90 - p10) / median, reps: values.length };
}

export function geomean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return Math.exp(values.reduce((a, v) => a + Math.log(v), 0) / values.length);
}
