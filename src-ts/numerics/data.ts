/**
 * Seeded test data for the numerics study: the input and filter of one convolution, already rounded to fp16
 * (the values a kernel would read), so the float64 reference sees exactly the same operands.
 */

import { roundToHalf } from '../util/fp16.js';
import { Rng } from '../util/random.js';

// Kept for the callers that still import the generator from here (src-ts/cli/layer.ts and some tests).
export { Rng };

/** Kinds of data the study measures on. */
export const DATA_KINDS = ['normal', 'uniform', 'relu', 'heavy'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

export const DATA_DESCRIPTIONS: Readonly<Record<DataKind, string>> = {
  normal: 'input N(0,1), weights N(0,1)',
  uniform: 'input U(-1,1), weights U(-1,1)',
  relu: 'input max(0, N(0,1)) (post-ReLU), weights N(0,1)',
  heavy:
    'input ±min(1000, 40·|t₂|) (Student-t with 2 degrees of freedom: heavy-tailed, up to 1e3), weights N(0, 0.02²)',
};

/** First and second moments of one operand, what the error model needs to know of the data. */
export interface Moments {
  readonly mean: number;
  readonly meanSquare: number;
}

export interface ConvData {
  readonly kind: DataKind;
  readonly seed: number;
  /** NCHW, n = 1, values exactly representable in fp16. */
  readonly input: Float64Array;
  /** KCRS, values exactly representable in fp16. */
  readonly filter: Float64Array;
  readonly c: number;
  readonly k: number;
  readonly h: number;
  readonly w: number;
}

function inputSample(kind: DataKind, rng: Rng): number {
  switch (kind) {
    case 'normal':
      return rng.normal();
    case 'uniform':
      return 2 * rng.uniform() - 1;
    case 'relu':
      return Math.max(0, rng.normal());
    case 'heavy': {
      // Student-t(2) = Z / sqrt(χ²₂ / 2), χ²₂ = -2 ln U
      const z = rng.normal();
      let u = 0;
      while (u === 0) u = rng.uniform();
      const t = z / Math.sqrt(-Math.log(u));
      return Math.sign(t) * Math.min(1000, 40 * Math.abs(t));
    }
  }
}

function weightSample(kind: DataKind, rng: Rng): number {
  switch (kind) {
    case 'normal':
    case 'relu':
      return rng.normal();
    case 'uniform':
      return 2 * rng.uniform() - 1;
    case 'heavy':
      return 0.02 * rng.normal();
  }
}

/** Seeded input (1×c×h×w) and filter (k×c×3×3), rounded to fp16. */
export function makeConvData(kind: DataKind, seed: number, c: number, k: number, h: number, w: number): ConvData {
  const rng = new Rng(seed);
  const input = new Float64Array(c * h * w);
  for (let i = 0; i < input.length; i++) input[i] = roundToHalf(inputSample(kind, rng));
  const filter = new Float64Array(k * c * 9);
  for (let i = 0; i < filter.length; i++) filter[i] = roundToHalf(weightSample(kind, rng));
  return { kind, seed, input, filter, c, k, h, w };
}

/** Moments of the distributions (not of a sample): the model's view of each data kind. */
export function dataMoments(kind: DataKind): { input: Moments; weights: Moments } {
  switch (kind) {
    case 'normal':
      return { input: { mean: 0, meanSquare: 1 }, weights: { mean: 0, meanSquare: 1 } };
    case 'uniform':
      return { input: { mean: 0, meanSquare: 1 / 3 }, weights: { mean: 0, meanSquare: 1 / 3 } };
    case 'relu':
      return { input: { mean: 1 / Math.sqrt(2 * Math.PI), meanSquare: 1 / 2 }, weights: { mean: 0, meanSquare: 1 } };
    case 'heavy':
      // t₂ has no finite variance; with the clip at 1000 = 40·25, E[min(40|t|,1000)²] = 1600·E[min(t²,625)].
      return { input: { mean: 0, meanSquare: 1600 * clippedT2SecondMoment(25) }, weights: { mean: 0, meanSquare: 4e-4 } };
  }
}

/**
 * E[min(t², a²)] for Student-t with 2 degrees of freedom: P(|t| > x) = 1 − x/√(2+x²), so
 * E[min(t²,a²)] = ∫₀^{a²} P(t² > s) ds = ∫₀^{a} 2x·(1 − x/√(2+x²)) dx, evaluated in closed form.
 */
function clippedT2SecondMoment(a: number): number {
  // ∫ 2x dx − ∫ 2x²/√(2+x²) dx; the second is x√(2+x²) − 2·asinh(x/√2)
  return a * a - (a * Math.sqrt(2 + a * a) - 2 * Math.asinh(a / Math.SQRT2));
}
