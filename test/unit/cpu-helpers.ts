// Shared by the cpu-*.test.ts files: error norms and a naive float64 convolution written independently of the
// addon, to check the addon's own reference. Seeded data comes from src-ts/util/random.ts.
import type { ConvSizes, ConvWindow } from '../../src-ts/backends/backend.js';
import { convOutputSize, SAME_3X3, type CpuConvArgs } from '../../src-ts/binding/cpu-native.js';

/** ‖out − ref‖₂ / ‖ref‖₂; NaN when either holds a NaN, so a poisoned, unwritten output can never pass. */
export function relativeError(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (out.length !== ref.length) throw new Error(`length ${out.length} vs ${ref.length}`);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    err += (out[i]! - ref[i]!) ** 2;
    norm += ref[i]! ** 2;
  }
  return Math.sqrt(err / norm);
}

/** What the naive convolution needs: CpuConvArgs without the arrays and the algorithm. */
export type Shape = ConvSizes & ConvWindow & Pick<CpuConvArgs, 'layout' | 'relu'>;

export function shape(partial: Partial<Shape> & Pick<Shape, 'n' | 'c' | 'h' | 'w' | 'k'>): Shape {
  return { ...SAME_3X3, layout: 'nhwc', relu: false, ...partial };
}

/** Textbook cross-correlation, one output at a time, float64; filter KCRS. */
export function naiveConv(p: Shape, input: ArrayLike<number>, filter: ArrayLike<number>, bias: ArrayLike<number> | null): Float64Array {
  const { outH, outW } = convOutputSize(p);
  const inAt = (n: number, c: number, y: number, x: number): number =>
    p.layout === 'nhwc' ? input[((n * p.h + y) * p.w + x) * p.c + c]! : input[((n * p.c + c) * p.h + y) * p.w + x]!;
  const out = new Float64Array(p.n * p.k * outH * outW);
  for (let n = 0; n < p.n; n++)
    for (let k = 0; k < p.k; k++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let sum = 0;
          for (let c = 0; c < p.c; c++)
            for (let r = 0; r < p.r; r++)
              for (let s = 0; s < p.s; s++) {
                const y = oy * p.strideH - p.padH + r * p.dilationH;
                const x = ox * p.strideW - p.padW + s * p.dilationW;
                if (y < 0 || y >= p.h || x < 0 || x >= p.w) continue;
                sum += inAt(n, c, y, x) * filter[((k * p.c + c) * p.r + r) * p.s + s]!;
              }
          if (bias) sum += bias[k]!;
          if (p.relu && sum < 0) sum = 0;
          const index = p.layout === 'nhwc' ? ((n * outH + oy) * outW + ox) * p.k + k : ((n * p.k + k) * outH + oy) * outW + ox;
          out[index] = sum;
        }
  return out;
}
