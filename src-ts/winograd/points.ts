/**
 * Interpolation points for F(m,3): parsing, validation, and the point sets the build uses.
 *
 * F(m,r) needs m+r-2 distinct finite points; the point at infinity is always added last. Points decide the
 * fp16 accuracy of the transforms, so the defaults are one table (DEFAULT_POINTS) that numerics work can change.
 */

import { Rational } from './rational.js';

export const MIN_TILE = 2;
export const MAX_TILE = 8;
/** Tile sizes written to the generated header and to `nova gen --json`. */
export const BUILT_TILE_SIZES = [2, 4, 6, 8] as const;
export type BuiltTileSize = (typeof BUILT_TILE_SIZES)[number];

/** A point as the user writes it: "5/6", "-1/2", "0.6", 2, or "inf" (accepted only where infinity belongs). */
export type PointInput = string | number | bigint;

/**
 * The points the build uses for each tile size (finite points; infinity is implied), chosen by measured fp16
 * error in docs/numerics.md (`npm run numerics:report`). F(2,3): the usual integer points. F(4,3): {0,±5/8,±3/2},
 * about 2× more accurate than {0,±1,±2} and, like Lavin's, with Aᵀ and Bᵀ exact in fp16. F(6,3): Lavin & Gray's
 * {0,±1,±2,±1/2}, within a fraction of a percent of the best any points can do. F(8,3): the best dyadic set the
 * search found (about 3.4e-2 in fp16 storage; 14× better than {0,±1,±2,±1/2,±4}).
 */
export const DEFAULT_POINTS: Readonly<Record<BuiltTileSize, readonly string[]>> = {
  2: ['0', '1', '-1'],
  4: ['0', '5/8', '-5/8', '3/2', '-3/2'],
  6: ['0', '1', '-1', '2', '-2', '1/2', '-1/2'],
  8: ['0', '7/16', '-7/16', '13/16', '-13/16', '5/4', '-5/4', '19/8', '-19/8'],
};

/**
 * Power-of-two diagonal scaling of the default transforms (G' = S·G, Bᵀ' = T·Bᵀ, Aᵀ' = Aᵀ(ST)⁻¹), from
 * src-ts/numerics/scaling.ts: no V entry can overflow fp16 for |input| ≤ 1000, no U entry for |weight| ≤ 64, and
 * small weights stay clear of fp16 subnormals. Exact and precision-neutral; a numerics test keeps it in sync.
 */
export const DEFAULT_SCALING: Readonly<Partial<Record<BuiltTileSize, { readonly s: readonly string[]; readonly t: readonly string[] }>>> = {
  4: { s: ['16', '16', '16', '32', '32', '16'], t: ['1', '1', '1', '2', '2', '1'] },
  6: { s: ['16', '32', '32', '256', '256', '16', '16', '16'], t: ['1/2', '1/2', '1/2', '1', '1', '1/2', '1/2', '1/2'] },
  8: {
    s: ['32', '16', '16', '32', '32', '128', '128', '4096', '4096', '16'],
    t: ['1/8', '1/8', '1/8', '1/8', '1/8', '1/4', '1/4', '1/4', '1/4', '1/8'],
  },
};

/** Named point sets (finite points, r = 3) with where they come from, for tests, comparisons and the CLI. */
export const NAMED_POINT_SETS: Readonly<Record<string, { m: number; points: readonly string[]; source: string }>> = {
  'lavin-f2': { m: 2, points: DEFAULT_POINTS[2], source: 'Lavin & Gray 2016, F(2,3)' },
  'lavin-f4': { m: 4, points: ['0', '1', '-1', '2', '-2'], source: 'Lavin & Gray 2016, F(4,3)' },
  'lavin-f6': { m: 6, points: DEFAULT_POINTS[6], source: 'Lavin & Gray 2016 / wincnn default, F(6,3)' },
  'seed-f6': {
    m: 6,
    points: ['0', '3/5', '-3/5', '1', '-1', '7/6', '-7/6'],
    source: "the seed system's claimed F(6,3) points (a claim to check, not an endorsement)",
  },
};

/** Is `value` the point at infinity ("inf", "∞", "Infinity", ±Infinity)? */
export function isInfinityPoint(value: unknown): boolean {
  if (typeof value === 'number') return value === Infinity || value === -Infinity;
  if (typeof value !== 'string') return false;
  return /^[+-]?(inf|infinity|∞)$/i.test(value.trim());
}

/** Number of finite points F(m,r) needs. */
export function finitePointCount(m: number, r: number): number {
  return m + r - 2;
}

export function checkTileSize(m: unknown, name = 'm'): number {
  if (typeof m !== 'number') {
    throw new TypeError(`Expected an integer for ${name} but received ${String(m)} of type ${typeof m}`);
  }
  if (!Number.isInteger(m) || m < MIN_TILE || m > MAX_TILE) {
    throw new RangeError(
      `Expected an integer between ${MIN_TILE} and ${MAX_TILE} for ${name} but received ${m} of type number`,
    );
  }
  return m;
}

/**
 * Validates a point set for F(m,r) and returns its finite points as exact rationals, in the given order.
 * Accepts exactly m+r-2 finite points, optionally followed or preceded by one infinity (which is implied anyway).
 */
export function parsePoints(m: number, points: readonly PointInput[], r = 3, name = 'points'): Rational[] {
  checkTileSize(m);
  if (!Array.isArray(points)) {
    throw new TypeError(
      `Expected an array of points like ["0","1","-1"] for ${name} but received ${String(points)} of type ${typeof points}`,
    );
  }
  const expected = finitePointCount(m, r);
  const infinities = points.filter(isInfinityPoint).length;
  if (infinities > 1) {
    throw new RangeError(`Expected at most one infinity for ${name} but received ${infinities} in [${points.join(', ')}]`);
  }
  const finiteIndices = points.flatMap((p, i) => (isInfinityPoint(p) ? [] : [i]));
  if (finiteIndices.length !== expected) {
    throw new RangeError(
      `Expected ${expected} distinct finite points for ${name} of F(${m},${r}) (plus infinity) but received ` +
        `${finiteIndices.length}: [${points.join(', ')}]`,
    );
  }
  const parsed = finiteIndices.map((i) => Rational.parse(points[i]!, `${name}[${i}]`));
  for (let i = 0; i < parsed.length; i++) {
    for (let j = 0; j < i; j++) {
      if (parsed[i]!.equals(parsed[j]!)) {
        throw new RangeError(
          `Expected distinct points for ${name} but received ${parsed[i]!.toString()} twice ` +
            `(${name}[${finiteIndices[j]}] = "${String(points[finiteIndices[j]!])}" and ` +
            `${name}[${finiteIndices[i]}] = "${String(points[finiteIndices[i]!])}")`,
        );
      }
    }
  }
  return parsed;
}

/** "0, 1, -1, 2, -2, 1/2, -1/2, inf": the finite points in order, then infinity. */
export function formatPoints(points: readonly Rational[]): string {
  return [...points.map((p) => p.toString()), 'inf'].join(', ');
}
