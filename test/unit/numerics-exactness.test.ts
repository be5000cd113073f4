// Every point set the numerics study uses is an exact Winograd transform (rational identity check), before and
// after its range scaling; the defaults' scaling is the one scaling.ts chooses; the seed's κ figures reproduce.
import { describe, expect, it } from 'vitest';
import { chooseScaling, guaranteedInputMax } from '../../src-ts/numerics/scaling.js';
import { FAMILIES, STUDY_TILE_SIZES } from '../../src-ts/numerics/point-sets.js';
import { exactInFp16, exactTransform, vandermondeCondition } from '../../src-ts/numerics/transform.js';
import { DEFAULT_POINTS, DEFAULT_SCALING } from '../../src-ts/winograd/points.js';
import { verifyTransform } from '../../src-ts/winograd/verify.js';

const studySets = FAMILIES.flatMap((f) =>
  STUDY_TILE_SIZES.flatMap((m) => (f.sets[m] ? [{ name: `${f.name} F(${m},3)`, m, points: f.sets[m]! }] : [])),
);
const defaults = STUDY_TILE_SIZES.map((m) => ({ name: `default F(${m},3)`, m, points: DEFAULT_POINTS[m] }));

describe('exactness of every set used', () => {
  it.each([...studySets, ...defaults])('$name is exact, unscaled and with its range scaling', ({ m, points }) => {
    const unscaled = exactTransform(m, points);
    expect(verifyTransform(unscaled)).toBe(m * 3 * (m + 2));
    const scaled = exactTransform(m, points, chooseScaling(unscaled));
    expect(verifyTransform(scaled)).toBe(m * 3 * (m + 2));
  });
});

describe('default scaling', () => {
  it.each(STUDY_TILE_SIZES)('F(%i,3): DEFAULT_SCALING is what scaling.ts chooses, all powers of two', (m) => {
    const chosen = chooseScaling(exactTransform(m, DEFAULT_POINTS[m]));
    expect(DEFAULT_SCALING[m]).toEqual({ s: chosen.s.map(String), t: chosen.t.map(String) });
    for (const x of [...chosen.s, ...chosen.t]) {
      expect(x.num === 1n || x.den === 1n).toBe(true);
      expect(((x.num * x.den) & (x.num * x.den - 1n)) === 0n).toBe(true);
    }
    // the bound it guarantees for inputs
    expect(guaranteedInputMax(exactTransform(m, DEFAULT_POINTS[m], chosen))).toBeGreaterThanOrEqual(1000);
  });

  it("F(4,3) and F(6,3) defaults keep Aᵀ and Bᵀ exact in fp16 after scaling (tensor-core transforms)", () => {
    for (const m of [4, 6] as const) {
      const t = exactTransform(m, DEFAULT_POINTS[m], chooseScaling(exactTransform(m, DEFAULT_POINTS[m])));
      expect(exactInFp16(t)).toMatchObject({ AT: true, BT: true });
    }
  });
});

describe("the seed system's condition numbers", () => {
  it('κ 2075 → 77 reproduces with the square Vandermonde of the finite points, integer points as baseline', () => {
    expect(vandermondeCondition(['0', '1', '-1', '2', '-2', '3', '-3'])).toBeCloseTo(2074.5, 0);
    expect(vandermondeCondition(['0', '3/5', '-3/5', '1', '-1', '7/6', '-7/6'])).toBeCloseTo(76.64, 1);
  });
});
