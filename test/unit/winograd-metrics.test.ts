// Singular values / condition numbers against known values (numpy for the F(6,3) ones), and the fp16-storage
// simulation: harness exact without storage rounding, Lavin's F(6,3) near the published ~0.7%, the seed's far worse.
import { describe, expect, it } from 'vitest';
import {
  cookToom,
  DEFAULT_POINTS,
  matrixMetrics,
  NAMED_POINT_SETS,
  simulateFp16Error,
  singularValues,
  transformMetrics,
} from '../../src-ts/winograd/index.js';

const closeTo = (actual: readonly number[], expected: readonly number[], rel = 1e-12) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(rel * Math.abs(expected[i]!)));
};

describe('singular values and condition numbers', () => {
  it('small matrices with known singular values', () => {
    closeTo(singularValues([[3, 0], [0, -2]]), [3, 2]);
    closeTo(singularValues([[0.6, -0.8], [0.8, 0.6]]), [1, 1]);
    closeTo(singularValues([[1, 2, 2]]), [3]);
    closeTo(singularValues([[1], [2], [2]]), [3]);
    expect(matrixMetrics([[1, 2], [2, 4]]).cond).toBeGreaterThan(1e12);
  });

  it('F(2,3): Aᵀ has orthogonal rows of norm √3, GᵀG has eigenvalues 2, 1, 1/2', () => {
    const m = transformMetrics(cookToom(2, DEFAULT_POINTS[2]));
    closeTo(m.AT.singularValues, [Math.sqrt(3), Math.sqrt(3)]);
    closeTo(m.G.singularValues, [Math.SQRT2, 1, Math.SQRT1_2]);
    expect(m.AT.cond).toBeCloseTo(1, 12);
    expect(m.G.cond).toBeCloseTo(2, 12);
    expect(m.normProduct).toBeCloseTo(Math.sqrt(3) * Math.SQRT2 * m.BT.norm2, 12);
  });

  it('F(6,3) Lavin: matches numpy.linalg.svd', () => {
    const m = transformMetrics(cookToom(6, DEFAULT_POINTS[6]));
    closeTo(m.AT.singularValues, [46.77808040567327, 23.437605221143937, 2.3252517724395756, 1.798775252603971, 0.6361432170301031, 0.3298549317275421], 1e-11);
    closeTo(m.G.singularValues, [1.4924754024245768, 1.0241159453176647, 0.5937950762616618], 1e-11);
    expect(m.BT.cond).toBeCloseTo(30.9471817839434, 9);
    expect(m.condProduct).toBeCloseTo(m.AT.cond * m.G.cond * m.BT.cond, 9);
  });
});

describe('fp16-storage error simulation', () => {
  it('is exact (to float64) when nothing is stored in fp16, for every tile size', () => {
    for (const m of [2, 4, 6, 8] as const) {
      const r = simulateFp16Error(cookToom(m, DEFAULT_POINTS[m]), { trials: 50, storage: 'exact', accumulate: 'fp64' });
      expect(r.relError).toBeLessThan(1e-12);
      expect(r.overflows + r.flushedToZero + r.subnormals).toBe(0);
    }
  });

  it("Lavin's F(6,3) is well under 1%; the seed's points are several times worse", () => {
    const lavin = simulateFp16Error(cookToom(6, DEFAULT_POINTS[6]), { trials: 300, seed: 7 });
    const seedSet = NAMED_POINT_SETS['seed-f6']!;
    const seed = simulateFp16Error(cookToom(seedSet.m, seedSet.points), { trials: 300, seed: 7 });
    expect(lavin.relError).toBeGreaterThan(2e-3);
    expect(lavin.relError).toBeLessThan(1e-2);
    expect(seed.relError).toBeGreaterThan(3 * lavin.relError);
    expect(lavin.maxTileRelError).toBeGreaterThanOrEqual(lavin.relError);
    expect(lavin.convention).toMatch(/points \{0, 1, -1, 2, -2, 1\/2, -1\/2, inf\}.*V=BᵀdB fp16.*reference: direct/);
  });

  it('F(2,3) error is near the fp16 output rounding floor; more channels do not break it', () => {
    const one = simulateFp16Error(cookToom(2, DEFAULT_POINTS[2]), { trials: 300 });
    const many = simulateFp16Error(cookToom(2, DEFAULT_POINTS[2]), { trials: 50, channels: 32 });
    expect(one.relError).toBeGreaterThan(1e-4);
    expect(one.relError).toBeLessThan(2e-3);
    expect(many.relError).toBeLessThan(2e-3);
  });

  it('is reproducible for a seed and changes with it', () => {
    const t = cookToom(4, DEFAULT_POINTS[4]);
    const a = simulateFp16Error(t, { trials: 40, seed: 3 });
    expect(simulateFp16Error(t, { trials: 40, seed: 3 })).toEqual(a);
    expect(simulateFp16Error(t, { trials: 40, seed: 4 }).relError).not.toBe(a.relError);
  });

  it('rejects bad options with the option named', () => {
    const t = cookToom(2, DEFAULT_POINTS[2]);
    expect(() => simulateFp16Error(t, { trials: 0 })).toThrow(/positive integer for options.trials/);
    expect(() => simulateFp16Error(t, { channels: 1.5 })).toThrow(/options.channels/);
    expect(() => simulateFp16Error(t, { accumulate: 'fp8' as 'fp32' })).toThrow(/options.accumulate/);
    expect(() => simulateFp16Error(t, { storage: 'bf16' as 'fp16' })).toThrow(/options.storage/);
    expect(() => simulateFp16Error(t, { seed: 0.5 })).toThrow(/options.seed/);
  });
});
