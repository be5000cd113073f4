/**
 * Measured error of a Winograd transform in the GPU kernel's precision, using the CPU addon's emulation:
 * V = BᵀdB and U = GgGᵀ in fp32, stored as fp16 (or fp16 hi + lo, 'compensated'); M = Σ_c U⊙V in fp32;
 * Y = AᵀMA in fp32, stored as fp16. Reference: the float64 direct convolution of the same fp16 operands.
 */

import {
  SAME_3X3,
  type CpuConvArgs,
  type CpuConvStats,
  type CpuNative,
  type CpuStageStats,
  type CpuStorage,
} from '../binding/cpu-native.js';
import type { ConvData } from './data.js';
import type { NumericTransform } from './transform.js';

export type StageStats = CpuStageStats;
export type Storage = CpuStorage;
/** The CPU addon, or anything with its conv2d (tests may pass a stub). */
export type CpuConv = Pick<CpuNative, 'conv2d'>;

export interface StageShares {
  /** Share of stored values that became ±Inf, NaN, or were flushed to zero / are subnormal. */
  readonly inf: number;
  readonly nan: number;
  readonly flushedToZero: number;
  readonly subnormal: number;
  readonly maxAbs: number;
  readonly counts: StageStats;
}

export interface Measurement {
  /** ‖Y − Y_ref‖_F / ‖Y_ref‖_F; Infinity or NaN when the pipeline overflowed. */
  readonly relError: number;
  readonly maxAbsError: number;
  readonly refMaxAbs: number;
  readonly stages: { readonly inputTransform: StageShares; readonly filterTransform: StageShares; readonly output: StageShares };
}

function convArgs(data: ConvData) {
  // 'same' padding: the borders exercise zero-padded tiles as the kernel sees them.
  return {
    bias: null,
    n: 1,
    c: data.c,
    h: data.h,
    w: data.w,
    k: data.k,
    ...SAME_3X3,
    layout: 'nchw',
    relu: false,
  } as const;
}

const references = new WeakMap<ConvData, Float64Array>();

/** The float64 direct convolution of `data` (cached per data object). */
export async function reference(cpu: CpuConv, data: ConvData): Promise<Float64Array> {
  const cached = references.get(data);
  if (cached) return cached;
  const output = new Float64Array(data.k * data.h * data.w);
  const args: CpuConvArgs<Float64Array> = {
    ...convArgs(data),
    input: data.input,
    filter: data.filter,
    output,
    algorithm: 'direct',
    storage: 'exact',
  };
  await cpu.conv2d(args);
  references.set(data, output);
  return output;
}

function shares(stats: StageStats): StageShares {
  const n = Math.max(stats.count, 1);
  return {
    inf: stats.inf / n,
    nan: stats.nan / n,
    flushedToZero: stats.flushedToZero / n,
    subnormal: stats.subnormal / n,
    maxAbs: stats.maxAbs,
    counts: stats,
  };
}

/** Runs the Winograd emulation with `transform` on `data` and compares it with the float64 reference. */
export async function measureError(
  cpu: CpuConv,
  transform: NumericTransform,
  data: ConvData,
  storage: Storage,
): Promise<Measurement> {
  const ref = await reference(cpu, data);
  // 'fp16' and 'compensated' compute in float whatever the array type; float64 arrays avoid copies.
  const output = new Float64Array(ref.length).fill(Number.NaN); // poisoned: a skipped write cannot pass
  const stats = await cpu.conv2d({
    ...convArgs(data),
    input: data.input,
    filter: data.filter,
    output,
    algorithm: 'winograd',
    m: transform.m,
    matrices: { at: transform.AT, g: transform.G, bt: transform.BT },
    storage,
  });
  return compare(output, ref, stats);
}

/** The direct convolution in `storage` precision ('fp16': float accumulation, fp16 output) against the reference. */
export async function measureDirectError(cpu: CpuConv, data: ConvData, storage: Storage): Promise<Measurement> {
  const ref = await reference(cpu, data);
  const output = new Float64Array(ref.length).fill(Number.NaN);
  const stats = await cpu.conv2d({ ...convArgs(data), input: data.input, filter: data.filter, output, algorithm: 'direct', storage });
  return compare(output, ref, stats);
}

function compare(output: Float64Array, ref: Float64Array, stats: CpuConvStats): Measurement {
  let errSq = 0;
  let refSq = 0;
  let maxAbsError = 0;
  let refMaxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = output[i]! - ref[i]!;
    errSq += diff * diff;
    refSq += ref[i]! * ref[i]!;
    // NaN must not compare as small: Math.max propagates it.
    maxAbsError = Math.max(maxAbsError, Math.abs(diff));
    refMaxAbs = Math.max(refMaxAbs, Math.abs(ref[i]!));
  }
  return {
    relError: Math.sqrt(errSq / refSq),
    maxAbsError,
    refMaxAbs,
    stages: {
      inputTransform: shares(stats.inputTransform),
      filterTransform: shares(stats.filterTransform),
      output: shares(stats.output),
    },
  };
}

/** Overflowed or produced NaN anywhere (a stored stage or the output). */
export function hasInfOrNaN(m: Measurement): boolean {
  const s = m.stages;
  return (
    !Number.isFinite(m.relError) ||
    [s.inputTransform, s.filterTransform, s.output].some((x) => x.counts.inf > 0 || x.counts.nan > 0)
  );
}
