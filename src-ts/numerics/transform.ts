/**
 * Winograd transforms as the numerics study uses them: the exact rational matrices from the generator, turned
 * into row-major Float64Arrays (each the nearest double of the exact value), plus the condition numbers the seed
 * system's claims are stated in.
 */

import { applyScaling, cookToom, type DiagonalScaling, type WinogradTransform } from '../winograd/cook-toom.js';
import { Rational } from '../winograd/rational.js';
import { verifyTransform } from '../winograd/verify.js';
import { matrixMetrics, transformMetrics } from '../winograd/metrics.js';

export interface NumericTransform {
  readonly m: number;
  readonly alpha: number;
  /** m × α, row-major. */
  readonly AT: Float64Array;
  /** α × 3, row-major. */
  readonly G: Float64Array;
  /** α × α, row-major. */
  readonly BT: Float64Array;
}

function flatten(rows: readonly (readonly Rational[])[]): Float64Array {
  return Float64Array.from(rows.flatMap((row) => row.map((x) => x.toNumber())));
}

export function toNumeric(t: WinogradTransform): NumericTransform {
  return { m: t.m, alpha: t.alpha, AT: flatten(t.AT), G: flatten(t.G), BT: flatten(t.BT) };
}

/**
 * The exact transform for `points` with an optional diagonal scaling, verified exact (throws otherwise). The
 * denominators sit in G, as wincnn and Lavin publish them.
 */
export function exactTransform(m: number, points: readonly string[], scaling?: DiagonalScaling | null): WinogradTransform {
  const base = cookToom(m, points);
  const t = scaling ? applyScaling(base, scaling) : base;
  verifyTransform(t);
  return t;
}

/** A dyadic rational (denominator a power of two) is exact in binary floating point at any scale. */
export function isDyadic(x: Rational): boolean {
  return (x.den & (x.den - 1n)) === 0n;
}

/**
 * Which matrices have every constant exactly representable in fp16 (11 significant bits, within range): those
 * transforms could run on fp16 tensor cores with fp32 accumulation and no extra rounding.
 */
export function exactInFp16(t: WinogradTransform): { AT: boolean; G: boolean; BT: boolean } {
  const exact = (mat: readonly (readonly Rational[])[]) =>
    mat.every((row) => row.every((x) => x.isZero() || (isDyadic(x) && fitsHalf(x))));
  return { AT: exact(t.AT), G: exact(t.G), BT: exact(t.BT) };
}

function fitsHalf(x: Rational): boolean {
  const v = Math.abs(x.toNumber());
  if (v > 65504 || v < 2 ** -24) return false;
  // significant bits of num (den is a power of two): strip trailing zero bits
  let n = x.num < 0n ? -x.num : x.num;
  while ((n & 1n) === 0n) n >>= 1n;
  return n.toString(2).length <= 11;
}

// ---- condition numbers -----------------------------------------------------------------------------------

/** κ₂ of the square Vandermonde matrix of the finite points, [aᵢʲ] for j < count: the seed system's convention. */
export function vandermondeCondition(points: readonly string[]): number {
  const a = points.map((p) => Rational.parse(p).toNumber());
  return matrixMetrics(a.map((x) => a.map((_, j) => x ** j))).cond;
}

/** κ₂ of each matrix of the transform (our convention: the matrices the kernel multiplies by). */
export function transformConditions(t: WinogradTransform): { AT: number; G: number; BT: number } {
  const metrics = transformMetrics(t);
  return { AT: metrics.AT.cond, G: metrics.G.cond, BT: metrics.BT.cond };
}
