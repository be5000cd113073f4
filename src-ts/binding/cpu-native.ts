/**
 * Typed surface of the CPU addon `nova_cpu.node` (src-hip/cpu, built by node-gyp), exactly the contract in
 * docs/architecture.md § "CPU addon", plus the float64 reference convolution built on it.
 */
import { NovaError } from '../api/errors.js';
import { type ConvProblem, type ConvSizes, type ConvWindow, convGeometry } from '../backends/backend.js';
import { loadAddon } from './load.js';

/** A 3×3 window, stride 1, no dilation, 'same' padding: the shape every Winograd path runs. */
export const SAME_3X3 = { r: 3, s: 3, padH: 1, padW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 } as const;

export type CpuFloatArray = Float64Array | Float32Array;

/** What Winograd-domain tiles, transformed filters and the output are rounded to (see src-hip/cpu/conv.hpp). */
export type CpuStorage = 'exact' | 'fp16' | 'compensated';

export interface CpuWinogradMatrices {
  /** Aᵀ, m × (m+2), row-major. */
  readonly at: Float64Array;
  /** G, (m+2) × 3, row-major. */
  readonly g: Float64Array;
  /** Bᵀ, (m+2) × (m+2), row-major. */
  readonly bt: Float64Array;
}

/**
 * One convolution. `input`, `filter` (KCRS), `bias` and `output` are all Float64Array or all Float32Array;
 * `output` (n·k·outH·outW values in `layout` order) is written completely and must not overlap the others.
 */
export interface CpuConvArgs<A extends CpuFloatArray = CpuFloatArray>
  extends ConvSizes,
    ConvWindow,
    Pick<ConvProblem, 'layout' | 'relu'> {
  readonly input: A;
  readonly filter: A;
  readonly bias: A | null;
  readonly output: A;
  readonly algorithm: 'direct' | 'winograd';
  /** Winograd output tile size, 2..8 (required for 'winograd'). */
  readonly m?: number;
  /** Overrides the generated header's Aᵀ, G, Bᵀ (required for tile sizes the header does not have). */
  readonly matrices?: CpuWinogradMatrices;
  /**
   * 'exact' (default): arithmetic in the array type, nothing rounded. 'fp16': the GPU's numerics — float arithmetic,
   * V = BᵀdB and U = GgGᵀ rounded to fp16, Σ_c U⊙V and AᵀMA in float, output rounded to fp16 after bias and ReLU
   * (direct: float accumulation, fp16 output). 'compensated': like 'fp16' with V and U kept as fp16 hi + fp16 lo,
   * products hi·hi + hi·lo + lo·hi accumulated in float; output rounded to fp16. Input, filter and bias are used
   * as given: round them to fp16 first to mirror float16 tensors exactly.
   */
  readonly storage?: CpuStorage;
  /** Worker threads (1..1024); default: the machine's hardware concurrency. Results do not depend on it. */
  readonly threads?: number;
}

/** What happened to the values of one stored stage. */
export interface CpuStageStats {
  readonly count: number;
  readonly inf: number;
  readonly nan: number;
  /** Nonzero values that became 0 when stored. */
  readonly flushedToZero: number;
  /** Stored values subnormal in the storage format (fp16, or the array type for 'exact'); for 'compensated', of hi. */
  readonly subnormal: number;
  /** Largest |value| before rounding (NaN ignored). */
  readonly maxAbs: number;
}

/** Per stored stage; the transforms have count 0 for 'direct'. */
export interface CpuConvStats {
  readonly inputTransform: CpuStageStats;
  readonly filterTransform: CpuStageStats;
  readonly output: CpuStageStats;
}

export interface CpuNative {
  /** Runs on the libuv thread pool (plus its own threads); never blocks the event loop. Throws TypeError /
   *  RangeError synchronously for bad arguments; rejects with an Error whose `code` is 'E_OOM' or 'E_DEVICE'. */
  conv2d<A extends CpuFloatArray>(args: CpuConvArgs<A>): Promise<CpuConvStats>;
  version(): { napi: number; threads: number; compiler: string };
}

export interface LoadedCpuNative {
  readonly addon: CpuNative;
  readonly path: string;
}

/** The loaded addon; throws NovaError E_BACKEND_UNAVAILABLE with the loader's message when it cannot be loaded. */
export function loadCpuNative(): LoadedCpuNative {
  const result = loadAddon<CpuNative>('nova_cpu');
  if (!result.ok) throw new NovaError('E_BACKEND_UNAVAILABLE', result.reason);
  return { addon: result.addon, path: result.path };
}

/** Output height and width of a convolution (floor division, as every framework does). */
export function convOutputSize(
  spec: Pick<ConvSizes, 'h' | 'w' | 'r' | 's'> & Partial<ConvWindow>,
): { outH: number; outW: number } {
  const extent = (size: number, taps: number, pad: number, stride: number, dilation: number): number =>
    Math.floor((size + 2 * pad - dilation * (taps - 1) - 1) / stride) + 1;
  return {
    outH: extent(spec.h, spec.r, spec.padH ?? 0, spec.strideH ?? 1, spec.dilationH ?? 1),
    outW: extent(spec.w, spec.s, spec.padW ?? 0, spec.strideW ?? 1, spec.dilationW ?? 1),
  };
}

/** KRSC (filter layout of NHWC convolutions) → KCRS, the addon's filter order. */
export function krscToKcrs<A extends CpuFloatArray>(
  filter: ArrayLike<number>,
  k: number,
  r: number,
  s: number,
  c: number,
  into: A,
): A {
  for (let ki = 0; ki < k; ki++)
    for (let ri = 0; ri < r; ri++)
      for (let si = 0; si < s; si++)
        for (let ci = 0; ci < c; ci++) into[((ki * c + ci) * r + ri) * s + si] = filter[((ki * r + ri) * s + si) * c + ci];
  return into;
}

/** A convolution for the reference; the window defaults to no padding, stride 1, no dilation. */
export interface ReferenceConvSpec extends ConvSizes, Partial<ConvWindow>, Pick<ConvProblem, 'layout'> {
  /** Order of `filter`; default 'kcrs'. */
  readonly filterLayout?: 'kcrs' | 'krsc';
  readonly relu?: boolean;
}

/**
 * The float64 reference: direct convolution of the given values (float32 data, or fp16 data already decoded with
 * `float32FromHalfBits` — never raw fp16 bits) with float64 arithmetic, nothing rounded. Output in `spec.layout`.
 */
export async function referenceConv2dF64(
  spec: ReferenceConvSpec,
  input: ArrayLike<number>,
  filter: ArrayLike<number>,
  bias: ArrayLike<number> | null = null,
): Promise<Float64Array> {
  if (input instanceof Uint16Array || filter instanceof Uint16Array || bias instanceof Uint16Array) {
    throw new TypeError('referenceConv2dF64 takes values, not fp16 bits: decode Uint16Array data with float32FromHalfBits');
  }
  const { addon } = loadCpuNative();
  const window = {
    padH: spec.padH ?? 0,
    padW: spec.padW ?? 0,
    strideH: spec.strideH ?? 1,
    strideW: spec.strideW ?? 1,
    dilationH: spec.dilationH ?? 1,
    dilationW: spec.dilationW ?? 1,
  };
  const { outH, outW } = convOutputSize({ ...spec, ...window });
  const kcrs =
    spec.filterLayout === 'krsc'
      ? krscToKcrs(filter, spec.k, spec.r, spec.s, spec.c, new Float64Array(filter.length))
      : Float64Array.from(filter);
  const output = new Float64Array(Math.max(0, spec.n * spec.k * outH * outW)).fill(Number.NaN);
  await addon.conv2d({
    input: Float64Array.from(input),
    filter: kcrs,
    bias: bias === null ? null : Float64Array.from(bias),
    output,
    ...convGeometry({ ...spec, ...window }),
    layout: spec.layout,
    relu: spec.relu ?? false,
    algorithm: 'direct',
    storage: 'exact',
  });
  return output;
}
