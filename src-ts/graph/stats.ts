/** Accuracy and range measures used by the graph debug option, the ESRGAN checks and the bench. */
import type { HostArray } from './host-ops.js';

export interface RangeStats {
  min: number;
  max: number;
  maxAbs: number;
  nan: number;
  inf: number;
}

export function rangeOf(data: ArrayLike<number>): RangeStats {
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max, maxAbs: Math.max(Math.abs(min), Math.abs(max)), nan, inf };
}

/** ‖out − ref‖₂ / ‖ref‖₂ (NaN anywhere in `out` gives NaN, so it can never pass a threshold). */
export function relativeError(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = out[i] - ref[i];
    diff += d * d;
    norm += ref[i] * ref[i];
  }
  return Math.sqrt(diff / (norm || 1));
}

/**
 * PSNR in dB for signals with peak 1 (images in [0, 1]). With `clip`, both sides are clipped to [0, 1] first,
 * which is how an image is saved. NaN in `out` gives NaN.
 */
export function psnr(out: ArrayLike<number>, ref: ArrayLike<number>, options: { clip?: boolean } = {}): number {
  const clip = options.clip ?? true;
  const c = (v: number): number => (clip ? Math.min(1, Math.max(0, v)) : v);
  let sum = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = c(out[i]) - c(ref[i]);
    sum += d * d;
  }
  const mse = sum / ref.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** PSNR of two 8-bit images (peak 255). */
export function psnr8(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

export function copyHost(data: HostArray): Float64Array {
  return Float64Array.from(data);
}
