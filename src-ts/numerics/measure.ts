/**
 * Measured error of a Winograd transform in the GPU kernel's precision, using the CPU addon's emulation:
 * V = BᵀdB and U = GgGᵀ in fp32, stored as fp16 (or fp16 hi + lo, 'compensated'); M = Σ_c U⊙V in fp32;
 * Y = AᵀMA in fp32, stored as fp16. Reference: the float64 direct convolution of the same fp16 operands.
 */

import type { ConvData } from './data.js';
import type { NumericTransform } from './transform.js';

/** Per stored stage, as the CPU addon counts them. */
export interface StageStats {
  readonly count: number;
  readonly inf: number;
  readonly nan: number;
  /** Nonzero values that became 0. */
  readonly flushedToZero: number;
  readonly subnormal: number;
  readonly maxAbs: number;
}

export interface CpuConvStats {
  readonly inputTransform: StageStats;
  readonly filterTransform: StageStats;
  readonly output: StageStats;
}

export type Storage = 'exact' | 'fp16' | 'compensated';

/** The part of the CPU addon's conv2d the study uses (see docs/architecture.md, "CPU addon"). */
export interface CpuConvArgs {
  input: Float64Array | Float32Array;
  filter: Float64Array | Float32Array;
  bias: null;
  output: Float64Array | Float32Array;
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
  layout: 'nchw';
  relu: false;
  algorithm: 'direct' | 'winograd';
  m?: number;
  matrices?: { at: Float64Array; g: Float64Array; bt: Float64Array };
  storage?: Storage;
  threads?: number;
}

export interface CpuConv {
  conv2d(args: CpuConvArgs): Promise<CpuConvStats>;
}

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

function convArgs(data: ConvData): Omit<CpuConvArgs, 'input' | 'filter' | 'output' | 'algorithm'> {
  // 'same' padding: the borders exercise zero-padded tiles as the kernel sees them.
  return {
    bias: null,
    n: 1,
    c: data.c,
    h: data.h,
    w: data.w,
    k: data.k,
    r: 3,
    s: 3,
    padH: 1,
    padW: 1,
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    layout: 'nchw',
    relu: false,
  };
}

const references = new WeakMap<ConvData, Float64Array>();

/** The float64 direct convolution of `data` (cached per data object). */
export async function reference(cpu: CpuConv, data: ConvData): Promise<Float64Array> {
  const cached = references.get(data);
  if (cached) return cached;
  const output = new Float64Array(data.k * data.h * data.w);
  await cpu.conv2d({ ...convArgs(data), input: data.input, filter: data.filter, output, algorithm: 'direct' });
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
  const output = new Float32Array(ref.length).fill(Number.NaN); // poisoned: a skipped write cannot pass
  const stats = await cpu.conv2d({
    ...convArgs(data),
    input: Float32Array.from(data.input),
    filter: Float32Array.from(data.filter),
    output,
    algorithm: 'winograd',
    m: transform.m,
    matrices: { at: transform.AT, g: transform.G, bt: transform.BT },
    storage,
  });
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
