/**
 * The graph's operations on host arrays (NHWC, batch 1). Used by the reference executor (float64 or float32
 * storage, arithmetic always in float64) and, for everything but convolutions, by the CPU-backend executor.
 */
import type { Activation, ConvWeights } from './graph.js';

export type HostArray = Float64Array | Float32Array;

export function applyActivation(value: number, activation: Activation): number {
  switch (activation.kind) {
    case 'none':
      return value;
    case 'relu':
      return value > 0 ? value : 0;
    case 'leaky-relu':
      return value > 0 ? value : value * activation.alpha;
  }
}

/** Filters transposed to [tap][c][k] so the innermost loop runs over contiguous output channels. */
const transposed = new WeakMap<Float32Array, Float64Array>();

function tapMajorFilter(weights: ConvWeights): Float64Array {
  let filter = transposed.get(weights.filter);
  if (!filter) {
    const { k: K, c: C } = weights;
    filter = new Float64Array(K * 9 * C);
    for (let k = 0; k < K; k++) {
      for (let tap = 0; tap < 9; tap++) {
        for (let c = 0; c < C; c++) filter[(tap * C + c) * K + k] = weights.filter[(k * 9 + tap) * C + c];
      }
    }
    transposed.set(weights.filter, filter);
  }
  return filter;
}

/** 3×3 convolution, stride 1, zero padding 1 ('same'), bias, then the activation. */
export function conv3x3(
  input: HostArray,
  h: number,
  w: number,
  weights: ConvWeights,
  activation: Activation,
  output: HostArray,
): void {
  const { k: K, c: C } = weights;
  const filter = tapMajorFilter(weights);
  const acc = new Float64Array(K);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (weights.bias) for (let k = 0; k < K; k++) acc[k] = weights.bias[k];
      else acc.fill(0);
      for (let r = 0; r < 3; r++) {
        const iy = y + r - 1;
        if (iy < 0 || iy >= h) continue;
        for (let s = 0; s < 3; s++) {
          const ix = x + s - 1;
          if (ix < 0 || ix >= w) continue;
          const base = (iy * w + ix) * C;
          const tapBase = (r * 3 + s) * C;
          for (let c = 0; c < C; c++) {
            const v = input[base + c];
            if (v === 0) continue; // after ReLU about half the activations are zero
            const row = (tapBase + c) * K;
            for (let k = 0; k < K; k++) acc[k] += v * filter[row + k];
          }
        }
      }
      const out = (y * w + x) * K;
      for (let k = 0; k < K; k++) output[out + k] = applyActivation(acc[k], activation);
    }
  }
}

export function concatChannels(inputs: readonly HostArray[], channels: readonly number[], pixels: number, output: HostArray): void {
  const total = channels.reduce((a, b) => a + b, 0);
  let offset = 0;
  inputs.forEach((input, i) => {
    const c = channels[i];
    for (let p = 0; p < pixels; p++) {
      const src = p * c;
      const dst = p * total + offset;
      for (let j = 0; j < c; j++) output[dst + j] = input[src + j];
    }
    offset += c;
  });
}

/** output = a + factor · b */
export function addArrays(a: HostArray, b: HostArray, factor: number, output: HostArray, length: number): void {
  for (let i = 0; i < length; i++) output[i] = a[i] + factor * b[i];
}

export function scaleArray(input: HostArray, factor: number, output: HostArray, length: number): void {
  for (let i = 0; i < length; i++) output[i] = input[i] * factor;
}

export function activateArray(input: HostArray, activation: Activation, output: HostArray, length: number): void {
  for (let i = 0; i < length; i++) output[i] = applyActivation(input[i], activation);
}

/** TensorFlow depth_to_space, NHWC, DCR: out[y·b+i, x·b+j, c] = in[y, x, (i·b + j)·outC + c]. */
export function depthToSpace(input: HostArray, h: number, w: number, inC: number, block: number, output: HostArray): void {
  const outC = inC / (block * block);
  const outW = w * block;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * inC;
      for (let i = 0; i < block; i++) {
        for (let j = 0; j < block; j++) {
          const dst = ((y * block + i) * outW + (x * block + j)) * outC;
          const from = src + (i * block + j) * outC;
          for (let c = 0; c < outC; c++) output[dst + c] = input[from + c];
        }
      }
    }
  }
}
