/**
 * A model of the FP16 error of Winograd F(m,3), from the matrices and the first two moments of the data.
 *
 * Pipeline modelled (the GPU kernel's): V = BᵀdB and U = GgGᵀ in fp32, each stored in fp16 (or as fp16 hi + lo
 * in compensated mode); M = Σ_c U⊙V accumulated in fp32; Y = AᵀMA in fp32; Y stored in fp16.
 *
 * Each stored value x is modelled as x(1+ε) with independent zero-mean ε, E[(fl(x)−x)²] = c·u²·E[x²] plus the
 * subnormal floor ulp²/12, where u = 2⁻¹¹ and c ≈ 0.18 is the mean squared rounding error of a Gaussian value in
 * units of u²·E[x²] (computed below, not fitted). Entries that are one fp16 operand times a power of two are exact.
 * The rounding noise of entry (i,j) of M, summed over channels, reaches the outputs through Aᵀ(·)A with weight
 * ‖Aᵀ column i‖²·‖Aᵀ column j‖². For zero-mean iid data this gives the closed form
 *   relative error ≈ √c · u · √(2q² + 1),   q = Σᵢ ‖Aᵀ[:,i]‖²·‖G[i,:]‖²·‖Bᵀ[i,:]‖² / (3m),
 * which is invariant under diagonal scaling: scaling moves range, not precision.
 */

import type { Moments } from './data.js';
import type { NumericTransform } from './transform.js';

export const FP16_UNIT_ROUNDOFF = 2 ** -11;
export const FP32_UNIT_ROUNDOFF = 2 ** -24;
/** Spacing of fp16 subnormals; the absolute rounding error floor below 2⁻¹⁴. */
const FP16_SUBNORMAL_ULP = 2 ** -24;
/** Roundings of an fp32 transform value (constants rounded to fp32, then a row pass and a column pass). */
const FP32_ROUNDINGS_PER_TRANSFORM = 3;

export type StorageMode = 'fp16' | 'compensated';

/**
 * c = E[(fl₁₆(x) − x)²] / (u²·E[x²]) for x ~ N(0,1) with round-to-nearest in the normal range: the error is
 * uniform over one ulp, so E[err²] = Σ over binades P(binade)·ulp²/12. Computed by quadrature once.
 */
export const ROUNDING_CONSTANT = (() => {
  let sum = 0;
  for (let e = -14; e < 16; e++) {
    const lo = 2 ** e;
    const hi = 2 ** (e + 1);
    const ulp = 2 ** (e - 10);
    sum += 2 * gaussianMass(lo, hi) * (ulp * ulp) / 12;
  }
  return sum / FP16_UNIT_ROUNDOFF ** 2;
})();

function gaussianMass(lo: number, hi: number): number {
  // Simpson's rule on the standard normal density; 64 panels per binade are far more than enough.
  const n = 64;
  const h = (hi - lo) / n;
  const pdf = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  let s = pdf(lo) + pdf(hi);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * pdf(lo + i * h);
  return (s * h) / 3;
}

/**
 * q = Σᵢ ‖Aᵀ[:,i]‖²·‖G[i,:]‖²·‖Bᵀ[i,:]‖² / (3m): how much the per-entry rounding of U and V is amplified, relative
 * to the output, for zero-mean iid data. The objective the model search minimizes.
 */
export function amplification(t: NumericTransform): number {
  const { a, g, b } = rowNorms(t);
  let sum = 0;
  for (let i = 0; i < t.alpha; i++) sum += a[i]! * g[i]! * b[i]!;
  return sum / (3 * t.m);
}

/** Squared norms of Aᵀ's columns, G's rows, Bᵀ's rows, and the row sums of G and Bᵀ (for nonzero means). */
function rowNorms(t: NumericTransform) {
  const { m, alpha } = t;
  const a = new Float64Array(alpha);
  const g = new Float64Array(alpha);
  const b = new Float64Array(alpha);
  const gSum = new Float64Array(alpha);
  const bSum = new Float64Array(alpha);
  for (let i = 0; i < alpha; i++) {
    for (let p = 0; p < m; p++) a[i] += t.AT[p * alpha + i]! ** 2;
    for (let k = 0; k < 3; k++) {
      g[i] += t.G[i * 3 + k]! ** 2;
      gSum[i] += t.G[i * 3 + k]!;
    }
    for (let k = 0; k < alpha; k++) {
      b[i] += t.BT[i * alpha + k]! ** 2;
      bSum[i] += t.BT[i * alpha + k]!;
    }
  }
  return { a, g, b, gSum, bSum };
}

/** Rows with one nonzero entry, and that entry (stage entries built from two such rows may be exact). */
function singleEntries(matrix: Float64Array, rows: number, cols: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < rows; i++) {
    const nonzero = [];
    for (let k = 0; k < cols; k++) if (matrix[i * cols + k] !== 0) nonzero.push(matrix[i * cols + k]!);
    out.push(nonzero.length === 1 ? nonzero[0]! : null);
  }
  return out;
}

function isPowerOfTwo(x: number): boolean {
  const ax = Math.abs(x);
  return ax > 0 && 2 ** Math.round(Math.log2(ax)) === ax;
}

export interface ModelInput {
  readonly transform: NumericTransform;
  readonly channels: number;
  /** Both stages alike, or per stage (V: input tiles, U: transformed filters) to model partial compensation. */
  readonly storage: StorageMode | { readonly input: StorageMode; readonly filter: StorageMode };
  readonly input: Moments;
  readonly weights: Moments;
}

export interface ModelPrediction {
  /** Predicted ‖Y − Y_ref‖ / ‖Y_ref‖. */
  readonly relError: number;
  /** Relative rms contribution of each source (they add in quadrature). */
  readonly parts: {
    readonly inputTransform: number;
    readonly filterTransform: number;
    readonly fp32Arithmetic: number;
    readonly output: number;
  };
  readonly amplification: number;
}

/** Mean squared storage error of a value with mean square `p`, stored as fp16 or as fp16 hi + fp16 lo. */
function storageVariance(p: number, storage: StorageMode): number {
  const c = ROUNDING_CONSTANT;
  const u2 = FP16_UNIT_ROUNDOFF ** 2;
  const floor = FP16_SUBNORMAL_ULP ** 2 / 12;
  if (storage === 'fp16') return c * u2 * p + floor;
  // hi + lo: only the lo part's own rounding remains (its mean square is the hi part's rounding error).
  const lo = c * u2 * p;
  return c * u2 * lo + floor;
}

export function predictError(model: ModelInput): ModelPrediction {
  const t = model.transform;
  const { m, alpha } = t;
  const { a, g, b, gSum, bSum } = rowNorms(t);
  const varD = model.input.meanSquare - model.input.mean ** 2;
  const varW = model.weights.meanSquare - model.weights.mean ** 2;
  const exactG = singleEntries(t.G, alpha, 3);
  const exactB = singleEntries(t.BT, alpha, alpha);
  const c32 = ROUNDING_CONSTANT * FP32_UNIT_ROUNDOFF ** 2;
  const inputStorage = typeof model.storage === 'string' ? model.storage : model.storage.input;
  const filterStorage = typeof model.storage === 'string' ? model.storage : model.storage.filter;
  let inputPart = 0;
  let filterPart = 0;
  let fp32Part = 0;
  for (let i = 0; i < alpha; i++) {
    for (let j = 0; j < alpha; j++) {
      const pV = varD * b[i]! * b[j]! + model.input.mean ** 2 * bSum[i]! ** 2 * bSum[j]! ** 2;
      const pU = varW * g[i]! * g[j]! + model.weights.mean ** 2 * gSum[i]! ** 2 * gSum[j]! ** 2;
      const vExact = exactB[i] != null && exactB[j] != null && isPowerOfTwo(exactB[i]! * exactB[j]!);
      const uExact = exactG[i] != null && exactG[j] != null && isPowerOfTwo(exactG[i]! * exactG[j]!);
      const rhoV = vExact ? 0 : storageVariance(pV, inputStorage);
      const rhoU = uExact ? 0 : storageVariance(pU, filterStorage);
      const weight = a[i]! * a[j]! * model.channels;
      inputPart += weight * pU * rhoV;
      filterPart += weight * pV * rhoU;
      // fp32: transforms, the dropped lo·lo term of compensated mode, the channel sum (recursive, ~C/2
      // roundings of a growing partial sum), and the output transform's two passes.
      const dropped =
        inputStorage === 'compensated' && filterStorage === 'compensated' ? (ROUNDING_CONSTANT * FP16_UNIT_ROUNDOFF ** 2) ** 2 : 0;
      fp32Part += weight * pU * pV * (2 * FP32_ROUNDINGS_PER_TRANSFORM * c32 + dropped + c32 * (model.channels / 2 + 2));
    }
  }
  const c = model.channels;
  // E[Y²] per output: Y sums n = 9C products d·g of independent operands; E[(Σ x_k)²] = n·E[x²] + n(n−1)·E[x]².
  const terms = 9 * c;
  const productMean = model.input.mean * model.weights.mean;
  const outputPower = terms * model.input.meanSquare * model.weights.meanSquare + terms * (terms - 1) * productMean ** 2;
  const refPower = m * m * outputPower;
  const outputVar = ROUNDING_CONSTANT * FP16_UNIT_ROUNDOFF ** 2;
  const parts = {
    inputTransform: Math.sqrt(inputPart / refPower),
    filterTransform: Math.sqrt(filterPart / refPower),
    fp32Arithmetic: Math.sqrt(fp32Part / refPower),
    output: Math.sqrt(outputVar),
  };
  const relError = Math.sqrt(parts.inputTransform ** 2 + parts.filterTransform ** 2 + parts.fp32Arithmetic ** 2 + parts.output ** 2);
  return { relError, parts, amplification: amplification(t) };
}
