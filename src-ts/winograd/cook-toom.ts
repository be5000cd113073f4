/**
 * Cook–Toom construction of Winograd F(m,r) transforms in exact rational arithmetic.
 *
 * With finite points a_0..a_{n-1} (n = α-1, α = m+r-1) plus infinity:
 *   y = Aᵀ[(G g) ⊙ (Bᵀ d)]   is the correlation y_i = Σ_j g_j d_{i+j}, exactly.
 * One pure function per formula (the shape of wincnn, Lavin's reference): Vandermonde evaluation rows, Lagrange
 * numerators and denominators, the node polynomial, then the assembly. Row 0's denominator is made positive and
 * the denominators go into G by default, so Lavin's points give the well-known matrices.
 */

import { Rational } from './rational.js';
import { checkTileSize, parsePoints, type PointInput } from './points.js';

export type RationalMatrix = Rational[][];
/** Where the Lagrange denominators ∏(a_i − a_k) go: into G (default, as wincnn), Aᵀ, or Bᵀ. */
export type FractionsIn = 'G' | 'A' | 'B';

/** Diagonal scaling: G' = S·G, Bᵀ' = T·Bᵀ, Aᵀ' = Aᵀ·(S·T)⁻¹ (α entries each, nonzero). */
export interface DiagonalScaling {
  readonly s: readonly Rational[];
  readonly t: readonly Rational[];
}

export interface WinogradTransform {
  readonly m: number;
  readonly r: number;
  readonly alpha: number;
  /** Finite points in order; infinity is the last row/column. */
  readonly points: readonly Rational[];
  readonly fractionsIn: FractionsIn;
  /** null when no diagonal scaling was applied. */
  readonly scaling: DiagonalScaling | null;
  /** m × α */
  readonly AT: RationalMatrix;
  /** α × r */
  readonly G: RationalMatrix;
  /** α × α */
  readonly BT: RationalMatrix;
}

export interface CookToomOptions {
  /** Filter size; 3 unless stated. */
  readonly r?: number;
  readonly fractionsIn?: FractionsIn;
}

// ---- formulas -------------------------------------------------------------------------------------------

/** Evaluation matrix (α × cols): row k is (a_k^0 … a_k^{cols-1}); the last row, infinity, picks the top coefficient. */
export function evaluationMatrix(points: readonly Rational[], cols: number): RationalMatrix {
  const rows = points.map((a) => Array.from({ length: cols }, (_, j) => a.pow(j)));
  rows.push(Array.from({ length: cols }, (_, j) => (j === cols - 1 ? Rational.ONE : Rational.ZERO)));
  return rows;
}

/** Coefficients (lowest degree first) of the product ∏ (x − roots_k). */
export function polynomialFromRoots(roots: readonly Rational[]): Rational[] {
  let coeffs: Rational[] = [Rational.ONE];
  for (const root of roots) {
    const next = Array.from({ length: coeffs.length + 1 }, () => Rational.ZERO);
    coeffs.forEach((c, j) => {
      next[j + 1] = next[j + 1]!.add(c);
      next[j] = next[j]!.sub(c.mul(root));
    });
    coeffs = next;
  }
  return coeffs;
}

/** Lagrange numerators: coefficients of ∏_{k≠i} (x − a_k), one row per point. */
export function lagrangeNumerators(points: readonly Rational[]): Rational[][] {
  return points.map((_, i) => polynomialFromRoots(points.filter((_, k) => k !== i)));
}

/** Lagrange denominators f_i = ∏_{k≠i} (a_i − a_k). */
export function lagrangeDenominators(points: readonly Rational[]): Rational[] {
  return points.map((a, i) => points.reduce((acc, b, k) => (k === i ? acc : acc.mul(a.sub(b))), Rational.ONE));
}

/**
 * The denominators as the diagonal that is moved between matrices (α entries, 1 for infinity), with row 0's
 * sign made positive as wincnn does, so F(2,3), F(4,3), F(6,3) match the published matrices.
 */
export function denominatorDiagonal(points: readonly Rational[]): Rational[] {
  const f = lagrangeDenominators(points);
  if (f[0]!.sign() < 0) f[0] = f[0]!.neg();
  return [...f, Rational.ONE];
}

/**
 * Bᵀ with the fractions in it (α × α): row k < n is the Lagrange basis polynomial L_k(x) = numerator_k / f_k,
 * and the infinity row is the node polynomial ∏(x − a_k) — the exact remainder terms of the CRT.
 */
export function interpolationMatrix(points: readonly Rational[]): RationalMatrix {
  const alpha = points.length + 1;
  const f = lagrangeDenominators(points);
  const rows = lagrangeNumerators(points).map((coeffs, k) => [
    ...coeffs.map((c) => c.div(f[k]!)),
    ...Array.from({ length: alpha - coeffs.length }, () => Rational.ZERO),
  ]);
  rows.push(polynomialFromRoots(points));
  return rows;
}

export function transpose(a: RationalMatrix): RationalMatrix {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/** diag(d)·a */
export function scaleRows(d: readonly Rational[], a: RationalMatrix): RationalMatrix {
  return a.map((row, i) => row.map((x) => x.mul(d[i]!)));
}

/** a·diag(d)⁻¹ */
export function divideColumns(a: RationalMatrix, d: readonly Rational[]): RationalMatrix {
  return a.map((row) => row.map((x, j) => x.div(d[j]!)));
}

// ---- assembly -------------------------------------------------------------------------------------------

/**
 * Aᵀ (m×α), G (α×r), Bᵀ (α×α) for F(m,r) from m+r-2 distinct finite points (plus infinity).
 * Points are validated: see parsePoints for what is rejected.
 */
export function cookToom(m: number, points: readonly PointInput[], options: CookToomOptions = {}): WinogradTransform {
  const r = options.r ?? 3;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 2 || r > 7) {
    throw new RangeError(`Expected an integer between 2 and 7 for r but received ${String(r)} of type ${typeof r}`);
  }
  const fractionsIn = options.fractionsIn ?? 'G';
  if (fractionsIn !== 'G' && fractionsIn !== 'A' && fractionsIn !== 'B') {
    throw new RangeError(
      `Expected 'G', 'A' or 'B' for fractionsIn but received ${String(fractionsIn)} of type ${typeof fractionsIn}`,
    );
  }
  checkTileSize(m);
  const a = parsePoints(m, points, r);
  const alpha = m + r - 1;
  const f = denominatorDiagonal(a);
  const AT = transpose(evaluationMatrix(a, m));
  const G = evaluationMatrix(a, r);
  const BT = interpolationMatrix(a);
  // The triple (AT, G, BT) is already exact; f only decides which matrix carries the denominators.
  switch (fractionsIn) {
    case 'G':
      return { m, r, alpha, points: a, fractionsIn, scaling: null, AT, G: divideRowsBy(G, f), BT: scaleRows(f, BT) };
    case 'A':
      return { m, r, alpha, points: a, fractionsIn, scaling: null, AT: divideColumns(AT, f), G, BT: scaleRows(f, BT) };
    case 'B':
      return { m, r, alpha, points: a, fractionsIn, scaling: null, AT, G, BT };
  }
}

function divideRowsBy(a: RationalMatrix, d: readonly Rational[]): RationalMatrix {
  return a.map((row, i) => row.map((x) => x.div(d[i]!)));
}

/**
 * Applies a diagonal scaling: G' = S·G, Bᵀ' = T·Bᵀ, Aᵀ' = Aᵀ·(S·T)⁻¹. Exact, so the identity still holds;
 * used to move magnitudes between stages for fp16 range. Scalings compose (the result records the product).
 */
export function applyScaling(
  t: WinogradTransform,
  scaling: { s: readonly PointInput[] | readonly Rational[]; t: readonly PointInput[] | readonly Rational[] },
): WinogradTransform {
  const s = parseDiagonal(scaling.s, t.alpha, 'scaling.s');
  const tt = parseDiagonal(scaling.t, t.alpha, 'scaling.t');
  const st = s.map((x, i) => x.mul(tt[i]!));
  const previous = t.scaling;
  return {
    ...t,
    scaling: previous
      ? { s: previous.s.map((x, i) => x.mul(s[i]!)), t: previous.t.map((x, i) => x.mul(tt[i]!)) }
      : { s, t: tt },
    G: scaleRows(s, t.G),
    BT: scaleRows(tt, t.BT),
    AT: divideColumns(t.AT, st),
  };
}

function parseDiagonal(values: readonly (PointInput | Rational)[], alpha: number, name: string): Rational[] {
  if (!Array.isArray(values) || values.length !== alpha) {
    throw new RangeError(
      `Expected an array of ${alpha} nonzero rationals for ${name} but received ` +
        `${Array.isArray(values) ? `${values.length} values` : String(values)} of type ${typeof values}`,
    );
  }
  return values.map((v, i) => {
    const x = v instanceof Rational ? v : Rational.parse(v, `${name}[${i}]`);
    if (x.isZero()) throw new RangeError(`Expected a nonzero rational for ${name}[${i}] but received 0`);
    return x;
  });
}

/** "fractionsIn=G; no diagonal scaling" or "fractionsIn=G; S=diag(…); T=diag(…)". */
export function describeScaling(t: WinogradTransform): string {
  const base = `fractionsIn=${t.fractionsIn}`;
  if (!t.scaling) return `${base}; no diagonal scaling`;
  const diag = (d: readonly Rational[]) => `diag(${d.map((x) => x.toString()).join(', ')})`;
  return `${base}; S=${diag(t.scaling.s)}; T=${diag(t.scaling.t)}`;
}
