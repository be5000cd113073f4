/**
 * Seeded search for Winograd points with low fp16 error, over exact rationals with small denominators (so the
 * constants stay exact), then the power-of-two scaling for range (scaling.ts; it does not change precision).
 *
 * Points are 0 plus ± pairs by default (every good set we found is symmetric, and the model's continuous
 * optimum is too); `symmetric: false` searches free points. Random restarts followed by coordinate descent:
 * each slot in turn tries every candidate value, keeping improvements, until no slot improves or the budget of
 * objective evaluations is spent. The same seed gives the same result.
 */

import { applyScaling, cookToom, type DiagonalScaling } from '../winograd/cook-toom.js';
import { Rational } from '../winograd/rational.js';
import { Rng } from '../util/random.js';
import { makeConvData, dataMoments, type ConvData } from './data.js';
import { measureError, type CpuConv } from './measure.js';
import { amplification, predictError } from './model.js';
import { chooseScaling } from './scaling.js';
import { exactInFp16, exactTransform, isDyadic, toNumeric } from './transform.js';

export type Objective = 'model' | 'fp16';

export interface SearchOptions {
  readonly m: number;
  readonly objective: Objective;
  /** Objective evaluations allowed. */
  readonly budget: number;
  readonly seed: number;
  /** Largest denominator of a candidate point. */
  readonly maxDenominator: number;
  /** Largest |point|. */
  readonly maxAbs: number;
  readonly symmetric: boolean;
  /** Only dyadic candidates (denominators powers of two). */
  readonly dyadicOnly: boolean;
  /** How many of the best distinct sets to return. */
  readonly keep: number;
  /** Needed for objective 'fp16'. */
  readonly cpu?: CpuConv;
  /** Channels of the data the objective sees (N(0,1), 1×C×24×24, 8 filters). */
  readonly channels: number;
}

export const DEFAULT_SEARCH: Omit<SearchOptions, 'm'> = {
  objective: 'model',
  budget: 2000,
  seed: 1,
  maxDenominator: 8,
  maxAbs: 4,
  symmetric: true,
  dyadicOnly: false,
  keep: 5,
  channels: 64,
};

export interface Candidate {
  /** Finite points, exact strings (infinity implied). */
  readonly points: readonly string[];
  readonly objective: number;
  readonly dyadic: boolean;
  /** Constants of each (scaled) matrix exact in fp16: Bᵀ and Aᵀ exact allow tensor-core transforms. */
  readonly exactInFp16: { readonly AT: boolean; readonly G: boolean; readonly BT: boolean };
  readonly scaling: DiagonalScaling;
}

export interface SearchResult {
  readonly options: Omit<SearchOptions, 'cpu'>;
  readonly evaluations: number;
  /** Best first. */
  readonly best: readonly Candidate[];
  /** Best dyadic set seen (may also be in `best`), or null. */
  readonly bestDyadic: Candidate | null;
  /** Best set whose Bᵀ and Aᵀ constants are exact in fp16 (tensor-core transforms), or null. */
  readonly bestTensorCoreExact: Candidate | null;
}

/** Positive (symmetric) or signed-with-zero (free) candidate values, smallest denominators first. */
export function candidateValues(options: Pick<SearchOptions, 'maxDenominator' | 'maxAbs' | 'symmetric' | 'dyadicOnly'>): Rational[] {
  const seen = new Map<string, Rational>();
  for (let den = 1; den <= options.maxDenominator; den++) {
    if (options.dyadicOnly && (den & (den - 1)) !== 0) continue;
    for (let num = 1; num <= options.maxAbs * den; num++) {
      const x = Rational.of(num, den);
      seen.set(x.toString(), x);
    }
  }
  const positive = [...seen.values()];
  if (options.symmetric) return positive;
  return [Rational.ZERO, ...positive.flatMap((x) => [x, x.neg()])];
}

/** Slots → the finite points: symmetric slots are ± pairs (plus 0 when the count is odd). */
function expand(slots: readonly Rational[], symmetric: boolean, count: number): string[] {
  if (!symmetric) return slots.map((x) => x.toString());
  const pairs = slots.flatMap((x) => [x.toString(), x.neg().toString()]);
  return count % 2 === 1 ? ['0', ...pairs] : pairs;
}

function slotCount(m: number, symmetric: boolean): number {
  const count = m + 1;
  return symmetric ? Math.floor(count / 2) : count;
}

function distinct(slots: readonly Rational[]): boolean {
  const keys = new Set(slots.map((x) => x.toString()));
  return keys.size === slots.length;
}

export async function searchPoints(partial: Partial<SearchOptions> & Pick<SearchOptions, 'm'>): Promise<SearchResult> {
  const options: SearchOptions = { ...DEFAULT_SEARCH, ...partial };
  if (options.objective === 'fp16' && !options.cpu) {
    throw new TypeError("Expected the CPU addon for objective 'fp16' but received none");
  }
  const { m } = options;
  const count = m + 1;
  const values = candidateValues(options);
  const nSlots = slotCount(m, options.symmetric);
  const rng = new Rng(options.seed);
  // One data set for every evaluation: comparisons between sets are then not blurred by sampling noise.
  const data: ConvData | null =
    options.objective === 'fp16' ? makeConvData('normal', options.seed, options.channels, 8, 24, 24) : null;
  const moments = dataMoments('normal');
  const cache = new Map<string, Candidate>();
  let evaluations = 0;

  const evaluate = async (slots: readonly Rational[]): Promise<number> => {
    if (!distinct(slots)) return Infinity;
    const points = expand(slots, options.symmetric, count);
    const key = [...points].sort().join(',');
    const known = cache.get(key);
    if (known) return known.objective;
    if (evaluations >= options.budget) return Infinity;
    evaluations++;
    // Cook–Toom is exact by construction; the kept sets are verified at the end.
    const exact = cookToom(m, points);
    const scaling = chooseScaling(exact);
    const scaledExact = applyScaling(exact, scaling);
    const scaled = toNumeric(scaledExact);
    const objective =
      options.objective === 'model'
        ? predictError({ transform: scaled, channels: 256, storage: 'fp16', ...moments }).relError
        : (await measureError(options.cpu!, scaled, data!, 'fp16')).relError;
    const value = Number.isFinite(objective) ? objective : Infinity;
    cache.set(key, { points, objective: value, dyadic: exact.points.every(isDyadic), exactInFp16: exactInFp16(scaledExact), scaling });
    return value;
  };

  // Small pools can run out of unseen sets before the budget: stop after many restarts that found nothing new.
  let staleRestarts = 0;
  while (evaluations < options.budget && staleRestarts < 50) {
    const before = evaluations;
    // random distinct start
    const slots: Rational[] = [];
    while (slots.length < nSlots) {
      const x = values[rng.below(values.length)]!;
      if (!slots.some((y) => y.equals(x))) slots.push(x);
    }
    let current = await evaluate(slots);
    let improved = true;
    while (improved && evaluations < options.budget) {
      improved = false;
      for (let i = 0; i < nSlots; i++) {
        for (const x of values) {
          const trial = slots.slice();
          trial[i] = x;
          const value = await evaluate(trial);
          if (value < current) {
            current = value;
            slots[i] = x;
            improved = true;
          }
        }
      }
    }
    staleRestarts = evaluations === before ? staleRestarts + 1 : 0;
  }
  const ranked = [...cache.values()].filter((c) => Number.isFinite(c.objective)).sort((a, b) => a.objective - b.objective);
  for (const c of ranked.slice(0, options.keep)) exactTransform(m, c.points, c.scaling); // throws if not exact
  const { cpu: _cpu, ...recorded } = options;
  return {
    options: recorded,
    evaluations,
    best: ranked.slice(0, options.keep),
    bestDyadic: ranked.find((c) => c.dyadic) ?? null,
    bestTensorCoreExact: ranked.find((c) => c.exactInFp16.AT && c.exactInFp16.BT) ?? null,
  };
}

/**
 * The model's optimum over all real symmetric point sets (0 and ± pairs), by Nelder–Mead on the logarithms of the
 * pair values, from `start`. Points are not restricted to small denominators here: it shows how far the exact
 * sets are from the best any points could do under the model.
 */
export function continuousOptimum(m: number, start: readonly number[], iterations = 250): { pairs: number[]; q: number } {
  const q = (logs: readonly number[]): number => {
    const values = logs.map(Math.exp);
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.some((x, i) => i > 0 && x / sorted[i - 1]! < 1 + 1e-6)) return Infinity;
    const points = ['0', ...values.flatMap((x) => [String(x), String(-x)])];
    return amplification(toNumeric(cookToom(m, points)));
  };
  const n = start.length;
  let simplex = [start.map(Math.log)];
  for (let i = 0; i < n; i++) simplex.push(simplex[0]!.map((x, j) => (j === i ? x + 0.1 : x)));
  let values = simplex.map(q);
  for (let it = 0; it < iterations; it++) {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    simplex = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    const centroid = simplex[0]!.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p[j]!, 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n]![j]! - c));
    const reflected = along(-1);
    const fr = q(reflected);
    if (fr < values[0]!) {
      const expanded = along(-2);
      const fe = q(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]!) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = along(0.5);
      const fc = q(contracted);
      if (fc < values[n]!) [simplex[n], values[n]] = [contracted, fc];
      else {
        simplex = simplex.map((p) => p.map((x, j) => simplex[0]![j]! + 0.5 * (x - simplex[0]![j]!)));
        values = simplex.map(q);
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { pairs: simplex[best]!.map(Math.exp).sort((a, b) => a - b), q: values[best]! };
}
