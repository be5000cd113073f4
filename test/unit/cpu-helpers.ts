// Shared by the cpu-*.test.ts files: error norms and a naive float64 convolution written independently of the
// addon, to check the addon's own reference. Seeded data comes from src-ts/util/random.ts.

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

export interface Shape {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  r: number;
  s: number;
  padH: number;
  padW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  layout: 'nhwc' | 'nchw';
  relu: boolean;
}

export function shape(partial: Partial<Shape> & Pick<Shape, 'n' | 'c' | 'h' | 'w' | 'k'>): Shape {
  return {
    r: 3,
    s: 3,
    padH: 1,
    padW: 1,
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    layout: 'nhwc',
    relu: false,
    ...partial,
  };
}

export function outputSize(p: Shape): { outH: number; outW: number } {
  return {
    outH: Math.floor((p.h + 2 * p.padH - p.dilationH * (p.r - 1) - 1) / p.strideH) + 1,
    outW: Math.floor((p.w + 2 * p.padW - p.dilationW * (p.s - 1) - 1) / p.strideW) + 1,
  };
}

/** Textbook cross-correlation, one output at a time, float64; filter KCRS. */
export function naiveConv(p: Shape, input: ArrayLike<number>, filter: ArrayLike<number>, bias: ArrayLike<number> | null): Float64Array {
  const { outH, outW } = outputSize(p);
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
