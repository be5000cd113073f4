/**
 * The CPU backend: `Backend` on top of nova_cpu.node (src-hip/cpu). Tensors live in host typed arrays (Float32Array
 * for float32, Uint16Array of fp16 bits for float16). float32 problems run in exact fp32 arithmetic; float16
 * problems mirror the GPU's numerics: Winograd with fp16 (or compensated hi+lo) storage of the transformed tiles,
 * direct with float accumulation, and the output rounded to fp16 either way.
 */
import { cpus } from 'node:os';
import { NovaError } from '../api/errors.js';
import { type CpuNative, type CpuStorage, krscToKcrs, loadCpuNative } from '../binding/cpu-native.js';
import { float32FromHalfBits, halfBitsFromArray } from '../util/fp16.js';
import type {
  Algorithm,
  Applicability,
  Backend,
  BackendInfo,
  ConvCall,
  ConvProblem,
  PreparedFilter,
  RunInfo,
  Storage,
  TensorDesc,
  WinogradPrecision,
} from './backend.js';
import { convGeometry, WINOGRAD_TILE } from './backend.js';

type HostArray = Float32Array | Uint16Array;

class HostStorage implements Storage {
  readonly bytes: number;
  #data: HostArray | null;

  constructor(data: HostArray) {
    this.#data = data;
    this.bytes = data.byteLength;
  }

  get data(): HostArray {
    if (this.#data === null) throw new NovaError('E_DISPOSED', 'CPU tensor storage has been freed');
    return this.#data;
  }

  free(): void {
    this.#data = null;
  }
}

/** The filter as float32 KCRS, the addon's order; Winograd transforms it inside the addon on every call. */
class CpuPreparedFilter implements PreparedFilter {
  readonly bytes: number;
  #kcrs: Float32Array | null;

  constructor(
    kcrs: Float32Array,
    readonly algorithm: Algorithm,
    readonly precision: WinogradPrecision,
    readonly dims: { readonly k: number; readonly c: number; readonly r: number; readonly s: number },
  ) {
    this.#kcrs = kcrs;
    this.bytes = kcrs.byteLength;
  }

  get kcrs(): Float32Array {
    if (this.#kcrs === null) throw new NovaError('E_DISPOSED', 'prepared CPU filter has been freed');
    return this.#kcrs;
  }

  free(): void {
    this.#kcrs = null;
  }
}

function hostStorage(storage: Storage, what: string): HostStorage {
  if (!(storage instanceof HostStorage)) {
    throw new NovaError('E_ARG', `${what} does not belong to the CPU backend`);
  }
  return storage;
}

/** Exact float32 values of a host tensor (fp16 bits decoded; float32 data used as it is, without a copy). */
function float32Values(data: HostArray): Float32Array {
  return data instanceof Uint16Array ? float32FromHalfBits(data) : data;
}

function elementCount(desc: TensorDesc): number {
  return desc.shape.reduce((a, b) => a * b, 1);
}

function winogradApplicability(problem: ConvProblem): Applicability {
  const reasons: string[] = [];
  if (problem.r !== 3 || problem.s !== 3) reasons.push(`filter is ${problem.r}×${problem.s}, not 3×3`);
  if (problem.strideH !== 1 || problem.strideW !== 1) reasons.push(`stride is ${problem.strideH}×${problem.strideW}, not 1`);
  if (problem.dilationH !== 1 || problem.dilationW !== 1) {
    reasons.push(`dilation is ${problem.dilationH}×${problem.dilationW}, not 1`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reason: `Winograd F(m,3) needs ${reasons.join(', ')}` };
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly #native: CpuNative;
  #disposed = false;

  constructor(native: CpuNative) {
    this.#native = native;
  }

  info(): BackendInfo {
    return cpuBackendInfo();
  }

  allocate(desc: TensorDesc): Storage {
    this.#checkAlive();
    const count = elementCount(desc);
    try {
      return new HostStorage(desc.dtype === 'float16' ? new Uint16Array(count) : new Float32Array(count));
    } catch (error) {
      throw new NovaError('E_OOM', `cannot allocate ${count} ${desc.dtype} values in host memory`, { cause: error });
    }
  }

  async write(storage: Storage, desc: TensorDesc, data: Float32Array | Uint16Array): Promise<void> {
    this.#checkAlive();
    const target = hostStorage(storage, 'tensor storage').data;
    const wanted = desc.dtype === 'float16' ? Uint16Array : Float32Array;
    if (!(data instanceof wanted) || !(target instanceof wanted)) {
      throw new NovaError('E_DTYPE', `a ${desc.dtype} tensor takes ${wanted.name} data, got ${data.constructor.name}`);
    }
    if (data.length !== target.length) {
      throw new NovaError('E_SHAPE', `expected ${target.length} values for a ${desc.dtype} tensor, got ${data.length}`);
    }
    target.set(data);
  }

  async read(storage: Storage, _desc: TensorDesc): Promise<Float32Array | Uint16Array> {
    this.#checkAlive();
    return hostStorage(storage, 'tensor storage').data.slice();
  }

  canImplement(problem: ConvProblem, algorithm: Algorithm): Applicability {
    if (algorithm === 'direct') return { ok: true };
    if (WINOGRAD_TILE[algorithm] === undefined) return { ok: false, reason: `unknown algorithm '${algorithm}'` };
    return winogradApplicability(problem);
  }

  /**
   * Winograd when it applies (3×3, stride 1, dilation 1), with the largest tile m ∈ {6, 4, 2} such that the
   * output is at least 2m in both directions, i.e. at least 2×2 full tiles, so border tiles do not dominate the
   * work; smaller outputs and all other shapes run direct. (A fixed rule: there is no CPU timing heuristic.)
   */
  chooseAlgorithm(problem: ConvProblem): { algorithm: Algorithm; reason: string } {
    const applicability = winogradApplicability(problem);
    if (!applicability.ok) return { algorithm: 'direct', reason: applicability.reason };
    const side = Math.min(problem.outH, problem.outW);
    for (const m of [6, 4, 2] as const) {
      if (side >= 2 * m) {
        return {
          algorithm: `winograd-f${m}`,
          reason: `3×3 stride 1 with output ${problem.outH}×${problem.outW} ≥ ${2 * m}×${2 * m}: largest tile with at least 2×2 full tiles`,
        };
      }
    }
    return { algorithm: 'direct', reason: `output ${problem.outH}×${problem.outW} is smaller than 4×4, too small for Winograd tiles` };
  }

  async prepareFilter(
    filter: Storage,
    problem: ConvProblem,
    algorithm: Algorithm,
    precision: WinogradPrecision,
  ): Promise<PreparedFilter> {
    this.#checkAlive();
    const applicability = this.canImplement(problem, algorithm);
    if (!applicability.ok) throw new NovaError('E_UNSUPPORTED', `${algorithm}: ${applicability.reason}`);
    const kcrs = this.#filterKcrs(hostStorage(filter, 'filter storage').data, problem);
    return new CpuPreparedFilter(kcrs, algorithm, precision, { k: problem.k, c: problem.c, r: problem.r, s: problem.s });
  }

  async conv2d(call: ConvCall): Promise<RunInfo> {
    this.#checkAlive();
    const { problem, algorithm } = call;
    const applicability = this.canImplement(problem, algorithm);
    if (!applicability.ok) throw new NovaError('E_UNSUPPORTED', `${algorithm}: ${applicability.reason}`);

    const filter = this.#callFilter(call);
    const input = float32Values(hostStorage(call.input, 'input storage').data);
    const bias = call.bias === null ? null : float32Values(hostStorage(call.bias, 'bias storage').data);
    const outputStorage = hostStorage(call.output, 'output storage');
    const half = problem.dtype === 'float16';
    const output = half ? new Float32Array(outputStorage.data.length) : (outputStorage.data as Float32Array);
    const m = WINOGRAD_TILE[algorithm];
    // float16 problems emulate the GPU's fp16 storage; float32 problems are computed exactly in fp32.
    const storage: CpuStorage = !half ? 'exact' : m === undefined ? 'fp16' : call.precision;

    try {
      await this.#native.conv2d({
        input,
        filter,
        bias,
        output,
        ...convGeometry(problem),
        layout: problem.layout,
        relu: problem.relu,
        algorithm: m === undefined ? 'direct' : 'winograd',
        ...(m === undefined ? {} : { m }),
        storage,
      });
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      const code = (error as { code?: unknown }).code === 'E_OOM' ? 'E_OOM' : 'E_DEVICE';
      throw new NovaError(code, error instanceof Error ? error.message : String(error), { cause: error });
    }
    if (half) outputStorage.data.set(halfBitsFromArray(output)); // exact: the values are already fp16

    const info = {
      backend: 'cpu' as const,
      algorithm,
      path: runPath(m, storage, call.filter instanceof CpuPreparedFilter),
      layoutConverted: false,
    };
    return half && m !== undefined ? { ...info, precision: call.precision } : info;
  }

  dispose(): void {
    this.#disposed = true;
  }

  #checkAlive(): void {
    if (this.#disposed) throw new NovaError('E_DISPOSED', 'the CPU backend has been disposed');
  }

  #callFilter(call: ConvCall): Float32Array {
    const { problem } = call;
    if (call.filter instanceof CpuPreparedFilter) {
      const { k, c, r, s } = call.filter.dims;
      if (k !== problem.k || c !== problem.c || r !== problem.r || s !== problem.s) {
        throw new NovaError(
          'E_SHAPE',
          `prepared filter is ${k}×${c}×${r}×${s} (K×C×R×S) but the problem needs ${problem.k}×${problem.c}×${problem.r}×${problem.s}`,
        );
      }
      return call.filter.kcrs;
    }
    return this.#filterKcrs(hostStorage(call.filter, 'filter storage').data, problem);
  }

  #filterKcrs(data: HostArray, problem: ConvProblem): Float32Array {
    const values = float32Values(data);
    if (problem.filterLayout === 'kcrs') return values === data ? values.slice() : values;
    return krscToKcrs(values, problem.k, problem.r, problem.s, problem.c, new Float32Array(values.length));
  }
}

function runPath(m: number | undefined, storage: CpuStorage, prepared: boolean): string {
  if (m === undefined) {
    return storage === 'exact' ? 'cpu direct fp32' : 'cpu direct fp32 accumulation, fp16 output';
  }
  const numerics = {
    exact: 'exact fp32',
    fp16: 'fp16-storage emulation',
    compensated: 'compensated fp16 hi+lo storage emulation',
  }[storage];
  const filter = prepared ? 'prepared KCRS filter' : 'raw filter';
  return `cpu winograd F(${m},3) ${numerics}, ${filter} transformed in the addon on every call`;
}

let cachedInfo: BackendInfo | undefined;

/** Availability of the CPU backend; never throws (the loader's message is the reason when unavailable). */
export function cpuBackendInfo(): BackendInfo {
  if (cachedInfo) return cachedInfo;
  try {
    const { addon, path } = loadCpuNative();
    const version = addon.version();
    cachedInfo = {
      kind: 'cpu',
      available: true,
      device: `host CPU (${cpus()[0]?.model.trim() ?? 'unknown model'})`,
      arch: process.arch,
      runtimeVersion: `Node-API ${version.napi}, ${version.compiler}`,
      addonPath: path,
      threads: version.threads,
    };
  } catch (error) {
    cachedInfo = { kind: 'cpu', available: false, reason: error instanceof Error ? error.message : String(error) };
  }
  return cachedInfo;
}

/** Opens the CPU backend; throws NovaError E_BACKEND_UNAVAILABLE (with the loader's message) without the addon. */
export function createCpuBackend(): CpuBackend {
  return new CpuBackend(loadCpuNative().addon);
}
