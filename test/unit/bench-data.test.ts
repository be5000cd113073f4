// Bench data, the sampled float64 reference and the statistics.
import { describe, expect, it } from 'vitest';

import { makeConvData, randomHalf, referenceAt, relativeError, sampleIndices } from '../../src-ts/bench/data.js';
import { geomean, quantile, timeStats } from '../../src-ts/bench/stats.js';
import { fromHalfBits, toHalfBits } from '../../src-ts/util/fp16.js';

function naive(input: (n: number, c: number, y: number, x: number) => number, filter: (k: number, c: number, r: number, s: number) => number, N: number, C: number, H: number, W: number, K: number) {
  const out: number[][][][] = [];
  for (let n = 0; n < N; n++) {
    out.push([]);
    for (let k = 0; k < K; k++) {
      out[n]!.push([]);
      for (let y = 0; y < H; y++) {
        out[n]![k]!.push([]);
        for (let x = 0; x < W; x++) {
          let acc = 0;
          for (let c = 0; c < C; c++)
            for (let r = 0; r < 3; r++)
              for (let s = 0; s < 3; s++) {
                const iy = y + r - 1;
                const ix = x + s - 1;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += input(n, c, iy, ix) * filter(k, c, r, s);
              }
          out[n]![k]![y]!.push(acc);
        }
      }
    }
  }
  return out;
}

describe('bench data and reference', () => {
  it('draws exact fp16 values j/1024 in [-1, 1], not all equal, never all zero, reproducibly', () => {
    const a = randomHalf(10_000, 7);
    expect(randomHalf(10_000, 7)).toEqual(a);
    const values = Array.from(a, fromHalfBits);
    for (const v of values) {
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
      expect(Number.isInteger(v * 1024)).toBe(true);
    }
    expect(new Set(values).size).toBeGreaterThan(1500);
    expect(values.filter((v) => v === 0).length).toBeLessThan(50);
  });

  it.each(['nhwc', 'nchw'] as const)('the sampled reference equals a naive convolution (%s)', (layout) => {
    const [N, C, H, W, K] = [2, 5, 4, 6, 3];
    const d = makeConvData({ n: N, c: C, h: H, w: W, k: K, layout }, 11);
    const v = (bits: Uint16Array, i: number) => fromHalfBits(bits[i]!);
    const inp = layout === 'nhwc' ? (n: number, c: number, y: number, x: number) => v(d.input, ((n * H + y) * W + x) * C + c) : (n: number, c: number, y: number, x: number) => v(d.input, ((n * C + c) * H + y) * W + x);
    const fil = layout === 'nhwc' ? (k: number, c: number, r: number, s: number) => v(d.filter, ((k * 3 + r) * 3 + s) * C + c) : (k: number, c: number, r: number, s: number) => v(d.filter, ((k * C + c) * 3 + r) * 3 + s);
    const want = naive(inp, fil, N, C, H, W, K);
    const all = sampleIndices(N * K * H * W, 1 << 20, 1);
    expect(all.length).toBe(N * K * H * W);
    const got = referenceAt(d, all);
    for (let i = 0; i < all.length; i++) {
      const [n, k, y, x] = layout === 'nhwc' ? [Math.floor(i / (H * W * K)), i % K, Math.floor(i / (W * K)) % H, Math.floor(i / K) % W] : [Math.floor(i / (K * H * W)), Math.floor(i / (H * W)) % K, Math.floor(i / W) % H, i % W];
      expect(got[i]).toBe(want[n!]![k!]![y!]![x!]);
    }
  });

  it('samples distinct sorted positions', () => {
    const s = sampleIndices(1_000_000, 4096, 3);
    expect(s.length).toBe(4096);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
  });

  it('relative error: exact for fp16-representable results, NaN when an output is not finite', () => {
    const ref = Float64Array.of(1, -2, 0.5);
    expect(relativeError(Uint16Array.from(ref, toHalfBits), ref)).toBe(0);
    const off = Uint16Array.from([1.5, -2, 0.5], toHalfBits);
    expect(relativeError(off, ref)).toBeCloseTo(0.5 / Math.sqrt(5.25), 12);
    expect(relativeError(Uint16Array.from([0x7e00, 0, 0]), ref)).toBeNaN();
    expect(relativeError(Uint16Array.from([0x7c00, 0, 0]), ref)).toBeNaN();
    expect(() => relativeError(new Uint16Array(2), ref)).toThrow(RangeError);
  });

  it('median, p10/p90, spread and geomean', () => {
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    const t = timeStats(Array.from({ length: 11 }, (_, i) => 10 + i));
    expect([t.median_us, t.p10_us, t.p90_us, t.reps]).toEqual([15, 11, 19, 11]);
    expect(t.spread).toBeCloseTo(8 / 15, 12);
    expect(geomean([1, 4])).toBeCloseTo(2, 12);
  });
});
