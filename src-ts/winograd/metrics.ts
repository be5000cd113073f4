/**
 * Numerical metrics of a transform, in float64: singular values and 2-norm condition numbers of Aᵀ, G, Bᵀ, and
 * a Monte Carlo simulation of the fp16-storage error of one F(m×m, 3×3) tile. Condition numbers are cheap hints;
 * the simulation is the measurement (the project rule: measure fp16 error, do not trust condition numbers).
 */

import { roundToHalf } from '../util/fp16.js';
import { Rng } from '../util/random.js';
import { describeScaling, type RationalMatrix, type WinogradTransform } from './cook-toom.js';
import { formatPoints } from './points.js';

export interface MatrixMetrics {
  /** Singular values, largest first (min(rows, cols) of them). */
  readonly singularValues: readonly number[];
  /** ‖M‖₂ = σ_max */
  readonly norm2: number;
  /** σ_max / σ_min (Infinity when rank-deficient). */
  readonly cond: number;
}

export interface TransformMetrics {
  readonly AT: MatrixMetrics;
  readonly G: MatrixMetrics;
  readonly BT: MatrixMetrics;
  /** ‖Aᵀ‖₂·‖G‖₂·‖Bᵀ‖₂ (1-D; the 2-D transforms are Kronecker squares, so square it for 2-D). */
  readonly normProduct: number;
  /** κ(Aᵀ)·κ(G)·κ(Bᵀ) */
  readonly condProduct: number;
}

/** Float64 copy of an exact matrix (each entry the nearest double). */
export function toFloat64(a: RationalMatrix): number[][] {
  return a.map((row) => row.map((x) => x.toNumber()));
}

/**
 * Singular values by one-sided Jacobi (Hestenes): rotate column pairs until orthogonal; the column norms are
 * then the singular values. Works on the orientation with fewer columns; accurate to high relative precision.
 */
export function singularValues(matrix: readonly (readonly number[])[]): number[] {
  const rows = matrix.length;
  const cols = matrix[0]?.length ?? 0;
  if (rows === 0 || cols === 0) throw new RangeError(`Expected a non-empty matrix but received ${rows}×${cols}`);
  // columns of the working matrix as arrays; use Mᵀ when M is wide
  const wide = cols > rows;
  const n = wide ? rows : cols;
  const len = wide ? cols : rows;
  const entry = (i: number, j: number) => (wide ? matrix[j]![i]! : matrix[i]![j]!);
  const c = Array.from({ length: n }, (_, j) => Float64Array.from({ length: len }, (_, i) => entry(i, j)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const x = c[p]!;
        const y = c[q]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < len; i++) {
          alpha += x[i]! * x[i]!;
          beta += y[i]! * y[i]!;
          gamma += x[i]! * y[i]!;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < len; i++) {
          const xi = x[i]!;
          const yi = y[i]!;
          x[i] = cs * xi - sn * yi;
          y[i] = sn * xi + cs * yi;
        }
      }
    }
    if (!rotated) break;
  }
  return c.map((col) => Math.hypot(...col)).sort((a, b) => b - a);
}

export function matrixMetrics(a: RationalMatrix | readonly (readonly number[])[]): MatrixMetrics {
  const values = singularValues(isRational(a) ? toFloat64(a) : a);
  const smallest = values[values.length - 1]!;
  return { singularValues: values, norm2: values[0]!, cond: smallest === 0 ? Infinity : values[0]! / smallest };
}

export function transformMetrics(t: WinogradTransform): TransformMetrics {
  const AT = matrixMetrics(t.AT);
  const G = matrixMetrics(t.G);
  const BT = matrixMetrics(t.BT);
  return { AT, G, BT, normProduct: AT.norm2 * G.norm2 * BT.norm2, condProduct: AT.cond * G.cond * BT.cond };
}

function isRational(a: RationalMatrix | readonly (readonly number[])[]): a is RationalMatrix {
  return typeof a[0]?.[0] !== 'number';
}

// ---- fp16-storage error simulation ----------------------------------------------------------------------

export interface Fp16SimulationOptions {
  /** Tiles simulated (each a fresh input tile and filter per channel). Default 2000. */
  readonly trials?: number;
  /** Input channels summed in the Winograd domain, M = Σ_c U_c ⊙ V_c. Default 1. */
  readonly channels?: number;
  /** Seed of the PRNG; the same seed gives the same result on every platform. Default 1. */
  readonly seed?: number;
  /** Arithmetic of the transforms and the channel sum: fp32 (as the GPU, with fp32 constants) or fp64. */
  readonly accumulate?: 'fp32' | 'fp64';
  /** Round the output tile Y to fp16 (as an fp16 output tensor). Default true. */
  readonly roundOutput?: boolean;
  /** 'fp16' (default) stores V, U (and Y) in fp16; 'exact' stores nothing, to check the harness itself. */
  readonly storage?: 'fp16' | 'exact';
}

export interface Fp16SimulationResult {
  /** ‖Y − Y_ref‖_F / ‖Y_ref‖_F over all tiles together. */
  readonly relError: number;
  /** The largest per-tile relative Frobenius error. */
  readonly maxTileRelError: number;
  /** Stored fp16 values (V, U, Y) that overflowed to ±Inf. */
  readonly overflows: number;
  /** Stored fp16 values (V, U, Y) that were nonzero but rounded to 0 (fp16 underflow). */
  readonly flushedToZero: number;
  /** Stored fp16 values (V, U, Y) that are subnormal (fewer than 11 significant bits). */
  readonly subnormals: number;
  readonly trials: number;
  /** Everything needed to interpret the number: points, scaling, storage of each stage, data, reference. */
  readonly convention: string;
}

/**
 * Monte Carlo fp16-storage error of one F(m×m, 3×3) tile. Data: input tiles and filters N(0,1), rounded to
 * fp16 (the values a kernel reads). V = Bᵀ d B and U = G g Gᵀ are stored in fp16; M = Σ_c U⊙V and
 * Y = Aᵀ M A are computed in `accumulate`; Y is stored in fp16 if `roundOutput`. Reference: the direct
 * correlation of the same fp16 operands in float64.
 */
export function simulateFp16Error(t: WinogradTransform, options: Fp16SimulationOptions = {}): Fp16SimulationResult {
  const trials = positiveInteger(options.trials ?? 2000, 'options.trials');
  const channels = positiveInteger(options.channels ?? 1, 'options.channels');
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`Expected an integer for options.seed but received ${seed}`);
  const accumulate = options.accumulate ?? 'fp32';
  if (accumulate !== 'fp32' && accumulate !== 'fp64') {
    throw new RangeError(`Expected 'fp32' or 'fp64' for options.accumulate but received ${String(accumulate)}`);
  }
  const storage = options.storage ?? 'fp16';
  if (storage !== 'fp16' && storage !== 'exact') {
    throw new RangeError(`Expected 'fp16' or 'exact' for options.storage but received ${String(storage)}`);
  }
  const roundOutput = storage === 'fp16' && (options.roundOutput ?? true);
  const { m, r, alpha } = t;
  const fp32 = accumulate === 'fp32';
  const round = fp32 ? Math.fround : (x: number) => x;
  const constants = (a: RationalMatrix) => a.map((row) => row.map((x) => (fp32 ? x.toFloat32() : x.toNumber())));
  const AT = constants(t.AT);
  const G = constants(t.G);
  const BT = constants(t.BT);
  const A = transposeNumbers(AT);
  const GT = transposeNumbers(G);
  const B = transposeNumbers(BT);
  const mul = (x: number[][], y: number[][]) => matmulRounded(x, y, round);

  const rng = new Rng(seed);
  let diff2 = 0;
  let ref2 = 0;
  let maxTile = 0;
  let overflows = 0;
  let flushedToZero = 0;
  let subnormals = 0;
  const toHalf = (x: number) => {
    if (storage === 'exact') return x;
    const h = roundToHalf(x);
    if (!Number.isFinite(h)) overflows++;
    else if (h === 0 && x !== 0) flushedToZero++;
    else if (h !== 0 && Math.abs(h) < 2 ** -14) subnormals++;
    return h;
  };
  for (let trial = 0; trial < trials; trial++) {
    const M = Array.from({ length: alpha }, () => new Array<number>(alpha).fill(0));
    const ref = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    for (let ch = 0; ch < channels; ch++) {
      const d = Array.from({ length: alpha }, () => Array.from({ length: alpha }, () => roundToHalf(rng.normal())));
      const g = Array.from({ length: r }, () => Array.from({ length: r }, () => roundToHalf(rng.normal())));
      const V = mul(mul(BT, d), B).map((row) => row.map(toHalf));
      const U = mul(mul(G, g), GT).map((row) => row.map(toHalf));
      for (let i = 0; i < alpha; i++) {
        for (let j = 0; j < alpha; j++) M[i]![j] = round(M[i]![j]! + round(U[i]![j]! * V[i]![j]!));
      }
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let u = 0; u < r; u++) for (let v = 0; v < r; v++) s += g[u]![v]! * d[i + u]![j + v]!;
          ref[i]![j]! += s;
        }
      }
    }
    let Y = mul(mul(AT, M), A);
    if (roundOutput) Y = Y.map((row) => row.map(toHalf));
    let tileDiff2 = 0;
    let tileRef2 = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        tileDiff2 += (Y[i]![j]! - ref[i]![j]!) ** 2;
        tileRef2 += ref[i]![j]! ** 2;
      }
    }
    diff2 += tileDiff2;
    ref2 += tileRef2;
    if (tileRef2 > 0) maxTile = Math.max(maxTile, Math.sqrt(tileDiff2 / tileRef2));
  }
  const convention =
    `F(${m}x${m},${r}x${r}) points {${formatPoints(t.points)}}, ${describeScaling(t)}; ` +
    `data: d, g ~ N(0,1) rounded to fp16, ${channels} channel(s), ${trials} tiles, seed ${seed}; ` +
    `storage: V=BᵀdB ${storage}, U=GgGᵀ ${storage}, M=ΣU⊙V ${accumulate}, Y=AᵀMA ${accumulate}` +
    `${roundOutput ? ' then fp16' : ''}; transforms in ${accumulate} with ${accumulate} constants; ` +
    `reference: direct correlation of the same fp16 operands in float64; error: ‖Y−ref‖_F/‖ref‖_F over all tiles`;
  return { relError: Math.sqrt(diff2 / ref2), maxTileRelError: maxTile, overflows, flushedToZero, subnormals, trials, convention };
}

function positiveInteger(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected a positive integer for ${name} but received ${String(value)} of type ${typeof value}`);
  }
  return value;
}

function transposeNumbers(a: number[][]): number[][] {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/** x·y with every product and partial sum passed through `round` (fp32 emulation, or identity for fp64). */
function matmulRounded(x: number[][], y: number[][], round: (v: number) => number): number[][] {
  return x.map((row) =>
    y[0]!.map((_, j) => {
      let acc = 0;
      for (let k = 0; k < row.length; k++) acc = round(acc + round(row[k]! * y[k]![j]!));
      return acc;
    }),
  );
}
