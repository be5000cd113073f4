/**
 * Runs one convolution layer on a device the way `nova conv` and `nova demo` report it: seeded data (rounded to
 * fp16 for float16 runs, so the reference sees the operands the device sees), the result checked against a
 * float64 direct convolution from the CPU addon (‖out − ref‖₂ / ‖ref‖₂ and max |out − ref|, over the first image
 * of the batch, so the CPU reference costs the same at any batch size), and the wall time of `plan.run` (a plan
 * from prepareConv; reading the output back is not included) as the median of a few runs.
 */
import { performance } from 'node:perf_hooks';
import type { AlgorithmChoice, ConvResult } from '../api/conv2d.js';
import type { Device } from '../api/device.js';
import { toHalf } from '../api/fp16.js';
import type { DType, WinogradPrecision } from '../backends/backend.js';
import { Rng } from '../numerics/data.js';
import { referenceConv2dF64 } from '../binding/cpu-native.js';
import { roundToHalf } from '../util/fp16.js';

export interface LayerSpec {
  readonly name?: string;
  readonly n: number;
  readonly c: number;
  readonly k: number;
  readonly h: number;
  readonly w: number;
  readonly r: number;
  readonly pad: number;
  readonly stride: number;
  readonly layout: 'nhwc' | 'nchw';
  readonly dtype: DType;
  readonly relu: boolean;
  readonly bias: boolean;
  readonly algorithm: AlgorithmChoice;
  readonly precision: WinogradPrecision;
  readonly runs: number;
  readonly seed: number;
}

export interface LayerReport {
  readonly spec: LayerSpec;
  readonly result: Omit<ConvResult, 'output'>;
  /** ‖out − ref‖₂ / ‖ref‖₂ vs float64 over image 0, or null when the CPU reference is unavailable (`referenceNote`). */
  readonly relError: number | null;
  readonly maxAbsError: number | null;
  readonly nonFinite: number;
  readonly referenceNote?: string;
  readonly medianMs: number;
  readonly timesMs: readonly number[];
  readonly gflops: number;
}

/** Multiply-adds ×2 of the direct algorithm: the conventional FLOP count, whatever algorithm ran. */
export function layerFlops(s: LayerSpec): number {
  const outH = Math.floor((s.h + 2 * s.pad - s.r) / s.stride) + 1;
  const outW = Math.floor((s.w + 2 * s.pad - s.r) / s.stride) + 1;
  return 2 * s.n * s.k * s.c * s.r * s.r * outH * outW;
}

function randomValues(rng: Rng, count: number, scale: number, dtype: DType): Float64Array {
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = (2 * rng.uniform() - 1) * scale;
    values[i] = dtype === 'float16' ? roundToHalf(v) : Math.fround(v);
  }
  return values;
}

function deviceData(values: Float64Array, dtype: DType): Float32Array | Uint16Array {
  return dtype === 'float16' ? toHalf(values) : Float32Array.from(values);
}

/** The float64 direct convolution of image 0, with exactly the values the device got, or why it cannot be had. */
async function reference(
  spec: LayerSpec,
  input: Float64Array,
  filterKrsc: Float64Array,
  bias: Float64Array | null,
): Promise<{ ok: true; output: Float64Array } | { ok: false; reason: string }> {
  try {
    const output = await referenceConv2dF64(
      { ...spec, n: 1, s: spec.r, padH: spec.pad, padW: spec.pad, strideH: spec.stride, strideW: spec.stride, filterLayout: 'krsc' },
      input.subarray(0, input.length / spec.n),
      filterKrsc,
      bias,
    );
    return { ok: true, output };
  } catch (error) {
    return { ok: false, reason: `float64 reference unavailable: ${(error as Error).message}` };
  }
}

export async function runLayer(device: Device, spec: LayerSpec, progress: (text: string) => void): Promise<LayerReport> {
  const rng = new Rng(spec.seed);
  const inputShape = spec.layout === 'nhwc' ? [spec.n, spec.h, spec.w, spec.c] : [spec.n, spec.c, spec.h, spec.w];
  // Uniform(-1, 1) data; filters scaled by 1/sqrt(fan-in) so outputs stay O(1), like trained networks.
  const input = randomValues(rng, spec.n * spec.c * spec.h * spec.w, 1, spec.dtype);
  const filterKrsc = randomValues(rng, spec.k * spec.r * spec.r * spec.c, 1 / Math.sqrt(spec.c * spec.r * spec.r), spec.dtype);
  const bias = spec.bias ? randomValues(rng, spec.k, 0.1, spec.dtype) : null;

  const x = await device.tensor(deviceData(input, spec.dtype), { shape: inputShape, layout: spec.layout });
  const w = await device.tensor(deviceData(filterKrsc, spec.dtype), { shape: [spec.k, spec.r, spec.r, spec.c], layout: 'krsc' });
  const b = bias ? await device.tensor(deviceData(bias, spec.dtype), { shape: [spec.k], layout: 'vector' }) : null;
  const plan = await device.prepareConv(w, {
    padding: spec.pad,
    stride: spec.stride,
    relu: spec.relu,
    algorithm: spec.algorithm,
    precision: spec.precision,
    layout: spec.layout,
  });
  try {
    const first = await plan.run(x, { bias: b });
    const out = await first.output.toFloat32Array();
    first.output.dispose();
    const times: number[] = [];
    for (let i = 0; i < spec.runs; i++) {
      const start = performance.now();
      const { output } = await plan.run(x, { bias: b });
      times.push(performance.now() - start);
      output.dispose();
    }
    times.sort((a, b) => a - b);
    const medianMs = times[Math.floor(times.length / 2)]!;

    progress(`  float64 reference (image 0) for ${describeSpec(spec)} …`);
    const ref = await reference(spec, input, filterKrsc, bias);
    const { output: _output, ...result } = first;
    const errors = ref.ok ? compare(out, ref.output) : null;
    return {
      spec,
      result,
      relError: errors?.relError ?? null,
      maxAbsError: errors?.maxAbsError ?? null,
      nonFinite: countNonFinite(out),
      ...(ref.ok ? {} : { referenceNote: ref.reason }),
      medianMs,
      timesMs: times,
      gflops: layerFlops(spec) / (medianMs * 1e6),
    };
  } finally {
    plan.dispose();
    x.dispose();
    w.dispose();
    b?.dispose();
  }
}

function countNonFinite(values: Float32Array): number {
  let count = 0;
  for (const v of values) if (!Number.isFinite(v)) count++;
  return count;
}

/** Relative L2 error and max abs error; NaN anywhere makes both NaN, so it never passes a check. */
export function compare(out: Float32Array, ref: Float64Array): { relError: number; maxAbsError: number } {
  let diff2 = 0;
  let ref2 = 0;
  let maxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = out[i]! - ref[i]!;
    diff2 += d * d;
    ref2 += ref[i]! * ref[i]!;
    const a = Math.abs(d);
    maxAbs = a > maxAbs || Number.isNaN(a) ? a : maxAbs;
  }
  return { relError: Math.sqrt(diff2 / ref2), maxAbsError: maxAbs };
}

export function describeSpec(s: LayerSpec): string {
  return `N=${s.n} C=${s.c} K=${s.k} ${s.h}x${s.w} ${s.r}x${s.r} pad ${s.pad}${s.stride > 1 ? ` stride ${s.stride}` : ''} ${s.layout} ${s.dtype}`;
}
