/**
 * Diagonal scaling for fp16 range: G' = S·G, Bᵀ' = T·Bᵀ, Aᵀ' = Aᵀ·(S·T)⁻¹ (exact, so Y is unchanged).
 *
 * Scaling does not change precision: the error model is invariant under it, and measurement agrees (see
 * docs/numerics.md). It only moves stored values away from fp16's overflow (65504) and its subnormal range
 * (below 2⁻¹⁴). So the factors are powers of two: they keep every exact constant exact, keep dyadic points
 * dyadic, and leave exactly-stored entries (one operand times a power of two) exact.
 */

import { Rational } from '../winograd/rational.js';
import type { DiagonalScaling, WinogradTransform } from '../winograd/cook-toom.js';

export const HALF_MAX = 65504;

export interface RangeBounds {
  /** Largest |input| that must never overflow V = BᵀdB. */
  readonly inputMax: number;
  /** Largest |weight| that must never overflow U = GgGᵀ. */
  readonly weightMax: number;
}

/**
 * Activations of the large-magnitude data reach 1e3. Weights of trained networks stay far below 64, even with
 * batch norm folded in; the bound is what lets U be scaled up, away from the subnormals that small weights
 * (std 0.02) and small G entries would otherwise produce.
 */
export const DEFAULT_BOUNDS: RangeBounds = { inputMax: 1000, weightMax: 64 };

function absRowSums(rows: readonly (readonly Rational[])[]): number[] {
  return rows.map((row) => row.reduce((acc, x) => acc + Math.abs(x.toNumber()), 0));
}

function powerOfTwoAtMost(x: number): Rational {
  const e = Math.floor(Math.log2(x));
  return e >= 0 ? Rational.of(1n << BigInt(e)) : Rational.of(1n, 1n << BigInt(-e));
}

/**
 * Powers of two per row so that |V_ij| ≤ T_i·R_i · T_j·R_j · inputMax ≤ 65504 for every input with
 * |d| ≤ inputMax (R_i = Σ_k |Bᵀ_ik|), and likewise for U with the rows of G and weightMax: a guarantee, not a
 * statistic. Each row is scaled as far up as that bound allows, which keeps small data far from subnormals.
 */
export function chooseScaling(t: WinogradTransform, bounds: RangeBounds = DEFAULT_BOUNDS): DiagonalScaling {
  const perRowV = Math.sqrt(HALF_MAX / bounds.inputMax);
  const perRowU = Math.sqrt(HALF_MAX / bounds.weightMax);
  return {
    s: absRowSums(t.G).map((r) => powerOfTwoAtMost(perRowU / r)),
    t: absRowSums(t.BT).map((r) => powerOfTwoAtMost(perRowV / r)),
  };
}

/** The bound the scaling guarantees: the largest |input| for which no V entry can overflow. */
export function guaranteedInputMax(t: WinogradTransform): number {
  const r = Math.max(...absRowSums(t.BT));
  return HALF_MAX / (r * r);
}

/** "S=diag(1/4, …); T=diag(…)" */
export function formatScaling(scaling: DiagonalScaling | null): string {
  if (!scaling) return 'none (denominators in G, as wincnn)';
  const diag = (d: readonly Rational[]) => `diag(${d.map((x) => x.toString()).join(', ')})`;
  return `S=${diag(scaling.s)}; T=${diag(scaling.t)}`;
}
