// The error model's pieces: the rounding constant against fp16 rounding of seeded Gaussian samples, invariance
// under diagonal scaling, the closed form for zero-mean iid data, and the seeded generators.
import { describe, expect, it } from 'vitest';
import { dataMoments, makeConvData } from '../../src-ts/numerics/data.js';
import { Rng } from '../../src-ts/util/random.js';
import { amplification, FP16_UNIT_ROUNDOFF, predictError, ROUNDING_CONSTANT } from '../../src-ts/numerics/model.js';
import { chooseScaling } from '../../src-ts/numerics/scaling.js';
import { exactTransform, toNumeric } from '../../src-ts/numerics/transform.js';
import { roundToHalf } from '../../src-ts/util/fp16.js';
import { Rational } from '../../src-ts/winograd/rational.js';

const lavin6 = ['0', '1', '-1', '2', '-2', '1/2', '-1/2'];

describe('error model', () => {
  it('c matches the mean squared fp16 rounding error of Gaussian samples', () => {
    const rng = new Rng(3);
    let err = 0;
    let power = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = rng.normal();
      err += (roundToHalf(x) - x) ** 2;
      power += x * x;
    }
    const c = err / power / FP16_UNIT_ROUNDOFF ** 2;
    expect(ROUNDING_CONSTANT).toBeGreaterThan(0.17);
    expect(ROUNDING_CONSTANT).toBeLessThan(0.19);
    expect(Math.abs(c / ROUNDING_CONSTANT - 1)).toBeLessThan(0.02);
  });

  it('q and the prediction do not change under diagonal scaling', () => {
    const base = exactTransform(6, lavin6);
    const scaled = exactTransform(6, lavin6, chooseScaling(base));
    const factors = ['3/5', '7/3', '5/7', '9/5', '11/13', '4/3', '6/7', '13/9'].map((x) => Rational.parse(x));
    const odd = exactTransform(6, lavin6, { s: factors, t: [...factors].reverse() });
    const q = amplification(toNumeric(base));
    expect(amplification(toNumeric(scaled))).toBeCloseTo(q, 9);
    expect(amplification(toNumeric(odd))).toBeCloseTo(q, 9);
  });

  it('for zero-mean iid data it is √c·u·√(2q²+1) up to exactly-stored entries; Lavin F(6,3) ≈ 6e-3', () => {
    const t = toNumeric(exactTransform(6, lavin6));
    const q = amplification(t);
    expect(q).toBeCloseTo(20.63, 1);
    const closed = Math.sqrt(ROUNDING_CONSTANT) * FP16_UNIT_ROUNDOFF * Math.sqrt(2 * q * q + 1);
    const p = predictError({ transform: t, channels: 256, storage: 'fp16', ...dataMoments('normal') });
    // G's rows for 0 and ∞ make 4 of the 64 U entries exact: the full model is a little below the closed form
    expect(p.relError).toBeLessThan(closed);
    expect(p.relError).toBeGreaterThan(0.95 * closed);
    expect(p.relError).toBeGreaterThan(5.5e-3);
    expect(predictError({ transform: t, channels: 256, storage: 'compensated', ...dataMoments('normal') }).relError).toBeLessThan(2.2e-4);
  });
});

describe('seeded data', () => {
  it('is reproducible and already fp16', () => {
    const a = makeConvData('heavy', 5, 4, 2, 6, 6);
    const b = makeConvData('heavy', 5, 4, 2, 6, 6);
    expect(a.input).toEqual(b.input);
    expect(a.filter).toEqual(b.filter);
    expect(makeConvData('heavy', 6, 4, 2, 6, 6).input).not.toEqual(a.input);
    for (const x of [...a.input, ...a.filter]) expect(roundToHalf(x)).toBe(x);
    expect(Math.max(...a.input.map(Math.abs))).toBeLessThanOrEqual(1000);
  });

  it('sample moments agree with the moments the model uses', () => {
    for (const kind of ['normal', 'uniform', 'relu'] as const) {
      const d = makeConvData(kind, 11, 64, 8, 32, 32);
      const mean = d.input.reduce((s, x) => s + x, 0) / d.input.length;
      const ms = d.input.reduce((s, x) => s + x * x, 0) / d.input.length;
      const m = dataMoments(kind).input;
      expect(Math.abs(mean - m.mean)).toBeLessThan(0.01);
      expect(Math.abs(ms / m.meanSquare - 1)).toBeLessThan(0.04); // ~3σ for 65536 samples
    }
  });
});
