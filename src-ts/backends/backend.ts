/**
 * The contract between the public API (src-ts/api) and a compute backend (CPU addon, GPU addon).
 *
 * The API validates every argument and builds a `ConvProblem`; a backend only sees well-formed problems.
 * A backend never falls back silently: `canImplement` says no (with a reason) and the API decides.
 */

export type BackendKind = 'cpu' | 'cuda' | 'hip';
export type DType = 'float32' | 'float16';
/** Memory order of a 4-D tensor: activations NHWC/NCHW, filters KRSC/KCRS (R×S = kernel height × width). */
export type Layout = 'nhwc' | 'nchw' | 'krsc' | 'kcrs' | 'vector';
export type Algorithm = 'winograd-f2' | 'winograd-f4' | 'winograd-f6' | 'winograd-f8' | 'direct';
/** Output tile m of each Winograd F(m,3) algorithm; direct has none. */
export const WINOGRAD_TILE: Readonly<Partial<Record<Algorithm, number>>> = {
  'winograd-f2': 2,
  'winograd-f4': 4,
  'winograd-f6': 6,
  'winograd-f8': 8,
};
/** How the Winograd-domain tiles are stored: one fp16 value, or an fp16 hi part plus an fp16 lo residual. */
export type WinogradPrecision = 'fp16' | 'compensated';

export interface TensorDesc {
  readonly dtype: DType;
  readonly layout: Layout;
  /** Dimensions in memory order of `layout` (NHWC → [N,H,W,C]; KRSC → [K,R,S,C]; vector → [len]). */
  readonly shape: readonly number[];
}

/** One convolution, fully resolved: sizes, padding, stride, dilation, epilogue. */
export interface ConvProblem {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly r: number;
  readonly s: number;
  readonly padH: number;
  readonly padW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly outH: number;
  readonly outW: number;
  /** Activation layout of input and output; the filter layout is given by its own TensorDesc. */
  readonly layout: 'nhwc' | 'nchw';
  readonly filterLayout: 'krsc' | 'kcrs';
  readonly dtype: DType;
  readonly hasBias: boolean;
  readonly relu: boolean;
}

/** Sizes of a convolution without the derived output size (what the addons take; they derive outH, outW). */
export type ConvSizes = Pick<ConvProblem, 'n' | 'c' | 'h' | 'w' | 'k' | 'r' | 's'>;
/** Padding, stride and dilation of the window. */
export type ConvWindow = Pick<ConvProblem, 'padH' | 'padW' | 'strideH' | 'strideW' | 'dilationH' | 'dilationW'>;

export type Applicability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What actually ran; returned to the user inside ConvResult. */
export interface RunInfo {
  readonly backend: BackendKind;
  readonly algorithm: Algorithm;
  /** e.g. 'fused-f6x3-fp16 pre-transformed filter', 'cpu winograd fp16-storage emulation', 'direct'. */
  readonly path: string;
  /** True when NCHW data was converted to NHWC (and back) around an NHWC-only kernel. */
  readonly layoutConverted: boolean;
  readonly precision?: WinogradPrecision;
}

export interface BackendInfo {
  readonly kind: BackendKind;
  readonly available: boolean;
  /** Why not available (missing addon, no driver, no device …) — exact loader/runtime message. */
  readonly reason?: string;
  readonly device?: string;
  readonly arch?: string;
  readonly compiledArchs?: readonly string[];
  readonly runtimeVersion?: string;
  readonly driverVersion?: string;
  readonly memoryTotalBytes?: number;
  readonly addonPath?: string;
  readonly threads?: number;
}

/** Backend-owned memory for one tensor. Opaque to the API except for its size. */
export interface Storage {
  readonly bytes: number;
  /** Idempotent; frees native memory now. */
  free(): void;
}

/** Filters transformed once for a Winograd algorithm (or kept raw for direct), reusable across calls. */
export interface PreparedFilter extends Storage {
  readonly algorithm: Algorithm;
  readonly precision: WinogradPrecision;
}

export interface ConvCall {
  readonly problem: ConvProblem;
  readonly algorithm: Algorithm;
  readonly precision: WinogradPrecision;
  readonly input: Storage;
  readonly filter: Storage | PreparedFilter;
  readonly bias: Storage | null;
  readonly output: Storage;
}

export interface Backend {
  readonly kind: BackendKind;
  info(): BackendInfo;
  /** Allocates storage for `desc` (contents undefined). Throws NovaError E_OOM when it does not fit. */
  allocate(desc: TensorDesc): Storage;
  /** Copies host data in; `data` length matches desc. Resolves when the copy is complete. */
  write(storage: Storage, desc: TensorDesc, data: Float32Array | Uint16Array): Promise<void>;
  /** Copies data out, as Float32Array for float32 and Uint16Array (fp16 bits) for float16. */
  read(storage: Storage, desc: TensorDesc): Promise<Float32Array | Uint16Array>;
  canImplement(problem: ConvProblem, algorithm: Algorithm): Applicability;
  /** The algorithm `auto` picks for this problem, and why (a measured heuristic on GPUs). */
  chooseAlgorithm(problem: ConvProblem): { algorithm: Algorithm; reason: string };
  prepareFilter(
    filter: Storage,
    problem: ConvProblem,
    algorithm: Algorithm,
    precision: WinogradPrecision,
  ): Promise<PreparedFilter>;
  /** Runs off the JS thread; rejects with NovaError (vendor message kept) on any runtime error. */
  conv2d(call: ConvCall): Promise<RunInfo>;
  /** Frees everything the backend holds (streams, handles, pools). */
  dispose(): void;
}

/** Only the sizes and window of `spec`: the addons are given exactly the fields of their contracts. */
export function convGeometry(spec: ConvSizes & ConvWindow): ConvSizes & ConvWindow {
  const { n, c, h, w, k, r, s, padH, padW, strideH, strideW, dilationH, dilationW } = spec;
  return { n, c, h, w, k, r, s, padH, padW, strideH, strideW, dilationH, dilationW };
}
