/** Suite-level summaries: geometric-mean speedup over the vendor per suite × batch, for 'auto' and the best of ours. */
import { geomean } from './stats.js';
import type { BenchRow } from './types.js';

export interface SuiteSummary {
  readonly suite: string;
  readonly batch: number;
  readonly layers: number;
  /** Geomean of vendor_us / ours_us for the 'auto' rows (what a user gets); null if none ran. */
  readonly auto_speedup: number | null;
  /** Geomean over layers of the best of our explicit algorithms per layer. */
  readonly best_speedup: number | null;
  /** Layers where 'auto' is slower than the vendor. */
  readonly auto_losses: readonly string[];
}

export function summarize(rows: readonly BenchRow[]): SuiteSummary[] {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    const key = `${r.suite}\u0000${r.batch}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const layers = [...new Set(g.map((r) => r.layer))];
    const auto = g.filter((r) => r.algo === 'auto' && r.speedup !== null);
    const best = layers
      .map((l) => Math.max(...g.filter((r) => r.layer === l && r.algo !== 'auto' && r.speedup !== null).map((r) => r.speedup!)))
      .filter((x) => Number.isFinite(x));
    return {
      suite: g[0]!.suite,
      batch: g[0]!.batch,
      layers: layers.length,
      auto_speedup: auto.length ? geomean(auto.map((r) => r.speedup!)) : null,
      best_speedup: best.length ? geomean(best) : null,
      auto_losses: auto.filter((r) => r.speedup! < 1).map((r) => r.layer),
    };
  });
}
