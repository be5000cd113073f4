/**
 * Benchmark data and the accuracy check. Inputs and filters are i.i.d. uniform on the 2049 values j/1024,
 * j ∈ [−1024, 1024]: every one is exactly an fp16 value, so the float64 reference sees exactly what the GPU reads.
 * Never zeros (they hide unwritten outputs and can run faster). Accuracy is measured on a seeded sample of output
 * positions, each computed exactly in float64 from the same inputs (a full float64 reference of an SDXL layer at
 * batch 32 would take the CPU minutes).
 */
import { fromHalfBits, toHalfBits } from '../util/fp16.js';

const LEVELS = 1024;
const BITS = Uint16Array.from({ length: 2 * LEVELS + 1 }, (_, j) => toHalfBits((j - LEVELS) / LEVELS));
const VALUE = Float64Array.from({ length: 65536 }, (_, h) => fromHalfBits(h));

/** xorshift32: fast, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** `count` fp16 values, uniform on j/1024 (see above). */
export function randomHalf(count: number, seed: number): Uint16Array {
  const next = rng(seed);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = BITS[next() % (2 * LEVELS + 1)]!;
  return out;
}

export interface ConvData {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly layout: 'nhwc' | 'nchw';
  /** NHWC or NCHW fp16 bits. */
  readonly input: Uint16Array;
  /** KRSC for 'nhwc', KCRS for 'nchw' (3×3). */
  readonly filter: Uint16Array;
}

export function makeConvData(p: Omit<ConvData, 'input' | 'filter'>, seed: number): ConvData {
  return {
    ...p,
    input: randomHalf(p.n * p.c * p.h * p.w, seed),
    filter: randomHalf(p.k * p.c * 9, seed ^ 0x5bd1e995),
  };
}

/** Distinct, sorted flat output indices (all of them when the output is smaller than `count`). */
export function sampleIndices(outputElements: number, count: number, seed: number): Uint32Array {
  if (outputElements <= count) return Uint32Array.from({ length: outputElements }, (_, i) => i);
  const next = rng(seed ^ 0x2545f491);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(next() % outputElements);
  return Uint32Array.from([...picked].sort((a, b) => a - b));
}

/** float64 direct cross-correlation (3×3, stride 1, padding 1) at the given flat output indices. */
export function referenceAt(d: ConvData, indices: Uint32Array): Float64Array {
  const { n: N, c: C, h: H, w: W, k: K } = d;
  const nhwc = d.layout === 'nhwc';
  const out = new Float64Array(indices.length);
  for (let t = 0; t < indices.length; t++) {
    const idx = indices[t]!;
    let n: number, k: number, y: number, x: number;
    if (nhwc) {
      k = idx % K;
      x = Math.floor(idx / K) % W;
      y = Math.floor(idx / (K * W)) % H;
      n = Math.floor(idx / (K * W * H));
    } else {
      x = idx % W;
      y = Math.floor(idx / W) % H;
      k = Math.floor(idx / (W * H)) % K;
      n = Math.floor(idx / (W * H * K));
    }
    let acc = 0;
    for (let r = 0; r < 3; r++) {
      const iy = y + r - 1;
      if (iy < 0 || iy >= H) continue;
      for (let s = 0; s < 3; s++) {
        const ix = x + s - 1;
        if (ix < 0 || ix >= W) continue;
        if (nhwc) {
          const xBase = ((n * H + iy) * W + ix) * C;
          const fBase = ((k * 3 + r) * 3 + s) * C;
          for (let c = 0; c < C; c++) acc += VALUE[d.input[xBase + c]!]! * VALUE[d.filter[fBase + c]!]!;
        } else {
          for (let c = 0; c < C; c++) {
            acc += VALUE[d.input[((n * C + c) * H + iy) * W + ix]!]! * VALUE[d.filter[((k * C + c) * 3 + r) * 3 + s]!]!;
          }
        }
      }
    }
    out[t] = acc;
  }
  return out;
}

/** ‖got − ref‖₂ / ‖ref‖₂ with got as fp16 bits; NaN if any value is not finite (NaN never passes). */
export function relativeError(got: Uint16Array, ref: Float64Array): number {
  if (got.length !== ref.length) throw new RangeError(`Expected ${ref.length} samples but received ${got.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const v = VALUE[got[i]!]!;
    if (!Number.isFinite(v)) return NaN;
    num += (v - ref[i]!) ** 2;
    den += ref[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
