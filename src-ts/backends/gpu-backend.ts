/**
 * The GPU backend ('cuda' or 'hip'): the `Backend` contract over the GPU addon (src-ts/binding/gpu-native.ts).
 *
 * - Tensors are float16 on the device; float32 data is refused with E_DTYPE (convert on the host with
 *   `halfBitsFromArray`, or use the 'cpu' backend), so no hidden conversion changes the numbers.
 * - The kernels are NHWC / KRSC. NCHW activations and KCRS filters are converted on the device, inside the same
 *   call, and `RunInfo.layoutConverted` says so.
 * - conv2d enqueues its launches on the device's stream from the JS thread (a few µs) and then polls for their end
 *   on the event loop for up to POLL_MS, after which the addon's waiter thread waits (`settle`); the other device
 *   calls are AsyncWorkers that enqueue and synchronize off the JS thread. Runtime errors reject with NovaError
 *   E_DEVICE / E_OOM carrying the runtime's text.
 * - Freed tensors go to the addon's per-device memory pool (reused in stream order, never a hipFree on the JS
 *   thread); the pool goes back to the runtime when the backend is disposed (device.dispose()).
 */
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
import { existsSync } from 'node:fs';
import { disposedError, invalidTypeError, NovaError, type NovaErrorCode } from '../api/errors.js';
import {
  type GpuNative,
  type GpuProblemArgs,
  type NativeDeviceBuffer,
  type NativePendingCall,
  tryLoadGpuNative,
} from '../binding/gpu-native.js';

export type GpuKind = 'cuda' | 'hip';

const FP16_BYTES = 2;

/**
 * How long a launched conv2d is polled on the event loop (check phase, between other events) before the addon's
 * waiter thread takes over: a batch-1 layer's 5–60 µs of GPU time end within it, and polling skips the two thread
 * hops a waiting thread costs (H100: 13.5–17 µs a call against 22–26 through the waiter and 35–39 through an
 * AsyncWorker for a 3.5 µs kernel; bench/NOTES.md). Longer work sleeps in the waiter instead of spinning the loop.
 */
export const POLL_MS = 0.2;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** @internal Resolves when `pending` completes (rejects with its error): polled for POLL_MS, then waited on. */
export async function settle(pending: NativePendingCall, pollMs = POLL_MS): Promise<void> {
  const start = performance.now();
  while (!pending.poll()) {
    if (performance.now() - start > pollMs) return pending.wait();
    await nextTurn();
  }
}


class GpuStorage implements Storage {
  readonly bytes: number;
  /** @internal */
  readonly buffer: NativeDeviceBuffer;

  constructor(buffer: NativeDeviceBuffer) {
    this.buffer = buffer;
    this.bytes = buffer.bytes;
  }

  free(): void {
    this.buffer.dispose();
  }
}

class GpuPreparedFilter extends GpuStorage implements PreparedFilter {
  readonly algorithm: Algorithm;
  readonly precision: WinogradPrecision;

  constructor(buffer: NativeDeviceBuffer, algorithm: Algorithm, precision: WinogradPrecision) {
    super(buffer);
    this.algorithm = algorithm;
    this.precision = precision;
  }
}

const NATIVE_CODES: ReadonlySet<string> = new Set(['E_ARG', 'E_DISPOSED', 'E_UNSUPPORTED', 'E_OOM', 'E_DEVICE']);

/** A rejection or throw of the addon as a NovaError with its code; TypeError / RangeError stay as they are. */
function fromNative(error: unknown, context: string): Error {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof NovaError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const novaCode = (typeof code === 'string' && NATIVE_CODES.has(code) ? code : 'E_DEVICE') as NovaErrorCode;
  return new NovaError(novaCode, `${context}: ${message}`, { cause: error });
}

function elementCount(desc: TensorDesc): number {
  return desc.shape.reduce((product, size) => product * size, 1);
}

/**
 * The addon's problem fields, built per call: assigned onto convGeometry's object, not spread into a literal (spreads
 * here took a batch-1 plan.run's JS over a fake addon from 5.4 to 12–15 µs on the development machine).
 */
function problemArgs(problem: ConvProblem, algorithm: Algorithm, precision: WinogradPrecision): GpuProblemArgs {
  const m = WINOGRAD_TILE[algorithm];
  return Object.assign(convGeometry(problem), {
    layout: problem.layout,
    filterLayout: problem.filterLayout,
    relu: problem.relu,
    algorithm: m === undefined ? ('direct' as const) : ('winograd' as const),
    m,
    compensated: precision === 'compensated',
  });
}

/** What the loaded addon says about `kind` on device `device`; never throws. */
export function gpuBackendInfo(kind: GpuKind, device = 0): BackendInfo {
  const loaded = tryLoadGpuNative();
  if (!loaded.ok) return { kind, available: false, reason: loaded.reason };
  const { addon, path } = loaded;
  if (addon.platform !== kind) {
    return {
      kind,
      available: false,
      addonPath: path,
      reason: `the GPU addon at ${path} was built for ${addon.platform}, not ${kind} (rebuild with NOVA_GPU=${kind})`,
    };
  }
  let info;
  try {
    info = addon.deviceInfo(device);
  } catch (error) {
    return { kind, available: false, addonPath: path, reason: `deviceInfo failed: ${(error as Error).message}` };
  }
  return {
    kind,
    available: info.available,
    addonPath: path,
    compiledArchs: info.compiledArchs,
    ...(info.reason !== undefined ? { reason: explainReason(kind, info.reason) } : {}),
    ...(info.name !== undefined ? { device: info.name } : {}),
    ...(info.arch !== undefined ? { arch: info.arch } : {}),
    ...(info.runtimeVersion !== undefined ? { runtimeVersion: info.runtimeVersion } : {}),
    ...(info.driverVersion !== undefined ? { driverVersion: info.driverVersion } : {}),
    ...(info.memoryTotalBytes !== undefined ? { memoryTotalBytes: info.memoryTotalBytes } : {}),
  };
}

/** The runtime's reason, plus what it means when the cause is plainly visible (no driver installed at all). */
function explainReason(kind: GpuKind, reason: string): string {
  // The CUDA runtime says "driver version is insufficient" also when there is no driver at all.
  if (kind === 'cuda' && /insufficient/i.test(reason) && !existsSync('/dev/nvidiactl')) {
    return `${reason} (no NVIDIA driver here: /dev/nvidiactl does not exist)`;
  }
  if (kind === 'hip' && !existsSync('/dev/kfd')) return `${reason} (no AMD GPU driver here: /dev/kfd does not exist)`;
  return reason;
}

export class GpuBackend implements Backend {
  readonly kind: GpuKind;
  readonly #addon: GpuNative;
  readonly #device: number;
  readonly #info: BackendInfo;
  #disposed = false;

  private constructor(kind: GpuKind, addon: GpuNative, device: number, info: BackendInfo) {
    this.kind = kind;
    this.#addon = addon;
    this.#device = device;
    this.#info = info;
  }

  /** Opens device `device` of the `kind` platform; NovaError E_BACKEND_UNAVAILABLE with the reason otherwise. */
  static open(kind: GpuKind, device = 0): GpuBackend {
    const info = gpuBackendInfo(kind, device);
    if (!info.available) {
      throw new NovaError('E_BACKEND_UNAVAILABLE', `the ${kind} backend is not available: ${info.reason ?? 'unknown reason'}`);
    }
    const loaded = tryLoadGpuNative();
    if (!loaded.ok) throw new NovaError('E_BACKEND_UNAVAILABLE', loaded.reason);
    return new GpuBackend(kind, loaded.addon, device, info);
  }

  /** @internal The addon, for tests that check device memory (memoryInfo) and raw-binding behaviour. */
  get native(): GpuNative {
    return this.#addon;
  }

  info(): BackendInfo {
    return this.#info;
  }

  allocate(desc: TensorDesc): Storage {
    this.#assertOpen();
    if (desc.dtype !== 'float16') {
      throw new NovaError(
        'E_DTYPE',
        `the ${this.kind} backend keeps tensors in float16 only, but a ${desc.dtype} tensor was requested: ` +
          `pass fp16 data (Uint16Array of fp16 bits from halfBitsFromArray(), or Float16Array), or use backend 'cpu'`,
      );
    }
    try {
      return new GpuStorage(new this.#addon.DeviceBuffer(elementCount(desc) * FP16_BYTES, this.#device));
    } catch (error) {
      throw fromNative(error, `allocating a ${desc.shape.join('×')} float16 tensor on ${this.#info.device ?? this.kind}`);
    }
  }

  async write(storage: Storage, desc: TensorDesc, data: Float32Array | Uint16Array): Promise<void> {
    this.#assertOpen();
    if (!(data instanceof Uint16Array)) throw invalidTypeError('data', 'Uint16Array (fp16 bits)', data, 'E_DTYPE');
    try {
      await this.#addon.upload(this.#buffer(storage), data.subarray(0, elementCount(desc)));
    } catch (error) {
      throw fromNative(error, 'upload to the device failed');
    }
  }

  async read(storage: Storage, desc: TensorDesc): Promise<Uint16Array> {
    this.#assertOpen();
    const out = new Uint16Array(elementCount(desc));
    try {
      await this.#addon.download(this.#buffer(storage), out);
    } catch (error) {
      throw fromNative(error, 'download from the device failed');
    }
    return out;
  }

  canImplement(problem: ConvProblem, algorithm: Algorithm): Applicability {
    if (problem.dtype !== 'float16') {
      return { ok: false, reason: `the ${this.kind} kernels take float16 tensors, not ${problem.dtype}` };
    }
    const reason = this.#addon.canImplement(problemArgs(problem, algorithm, 'fp16'));
    return reason === null ? { ok: true } : { ok: false, reason };
  }

  /**
   * The heuristic behind `algorithm: 'auto'` (to be retuned as the kernels improve):
   * 1. 3×3 stride-1 problems: the kernels' own measured rule (`wino_preferred_m`, bench/NOTES.md v15–v19):
   *    F(2,3), the fastest of our tiles on all 48 bench cells (H200 edeb524, H100 88e4f67) and the most accurate;
   *    F(4,3) and F(6,3) run only when asked for. If the preferred tile cannot run the problem, the other tiles are
   *    tried (F(2,3), then F(4,3)). Few channels are no reason for direct: on an H100 (2026-11-26,
   *    test/gpu/timing.mjs, wall time per call) F(2,3) beat the direct kernel on a 3→64 stem at 224² (270 vs
   *    365 µs) and a 64→3 head at 128² (115 vs 184 µs).
   * 2. Anything Winograd cannot run (stride, dilation, non-3×3 windows): direct.
   */
  chooseAlgorithm(problem: ConvProblem): { algorithm: Algorithm; reason: string } {
    const preferred = this.#addon.preferredWinogradM(problemArgs(problem, 'direct', 'fp16'));
    const first: Algorithm = preferred === 2 ? 'winograd-f2' : preferred === 6 ? 'winograd-f6' : 'winograd-f4';
    const tiles: Algorithm[] = [first, ...(['winograd-f2', 'winograd-f4'] as const).filter((a) => a !== first)];
    const pixels = problem.n * problem.outH * problem.outW;
    const refusals: string[] = [];
    for (const algorithm of tiles) {
      const applicable = this.canImplement(problem, algorithm);
      if (applicable.ok) {
        const why = algorithm === first ? 'the kernels’ measured choice' : `fallback (${refusals.join('; ')})`;
        return { algorithm, reason: `3x3 stride 1, ${pixels} output pixels: ${algorithm}, ${why}` };
      }
      refusals.push(`${algorithm}: ${applicable.reason}`);
    }
    return { algorithm: 'direct', reason: `no Winograd tile applies (${refusals.join('; ')}), direct` };
  }

  async prepareFilter(
    filter: Storage,
    problem: ConvProblem,
    algorithm: Algorithm,
    precision: WinogradPrecision,
  ): Promise<PreparedFilter> {
    this.#assertOpen();
    const args = problemArgs(problem, algorithm, precision);
    let bytes: number;
    try {
      bytes = this.#addon.preparedFilterBytes(args);
    } catch (error) {
      throw fromNative(error, `preparing the filter for ${algorithm}`);
    }
    const prepared = new GpuPreparedFilter(this.#allocateBytes(bytes, 'the prepared filter'), algorithm, precision);
    try {
      await this.#addon.prepareFilter({ ...args, filter: this.#buffer(filter), output: prepared.buffer });
    } catch (error) {
      prepared.free();
      throw fromNative(error, `preparing the filter for ${algorithm}`);
    }
    return prepared;
  }

  async conv2d(call: ConvCall): Promise<RunInfo> {
    this.#assertOpen();
    const { problem, algorithm, precision } = call;
    const prepared = call.filter instanceof GpuPreparedFilter ? call.filter : undefined;
    if (prepared && prepared.algorithm !== algorithm) {
      throw new NovaError('E_ARG', `the filter was prepared for ${prepared.algorithm}, but ${algorithm} was asked to run`);
    }
    const winograd = WINOGRAD_TILE[algorithm] !== undefined;
    const usedPrecision: WinogradPrecision = prepared ? prepared.precision : precision;
    const args = problemArgs(problem, algorithm, usedPrecision);
    try {
      const pending = this.#addon.conv2d(
        Object.assign(args, {
          // A prepared direct filter is the KRSC copy; a prepared Winograd filter is U.
          filterLayout: prepared ? ('krsc' as const) : problem.filterLayout,
          filterPrepared: prepared !== undefined && winograd,
          input: this.#buffer(call.input),
          filter: this.#buffer(call.filter),
          bias: call.bias === null ? null : this.#buffer(call.bias),
          output: this.#buffer(call.output),
        }),
      );
      await settle(pending);
    } catch (error) {
      throw fromNative(error, `${algorithm} on ${this.#info.device ?? this.kind}`);
    }
    const m = WINOGRAD_TILE[algorithm];
    // Winograd kernels read U: prepared once (prepareConv) or transformed by this call before the kernel.
    const filterMode = prepared ? 'pre-transformed filter' : 'filter transformed in the call';
    return {
      backend: this.kind,
      algorithm,
      path:
        m === undefined
          ? 'direct-fp16'
          : `fused-f${m}x3-fp16${usedPrecision === 'compensated' ? '-compensated' : ''} ${filterMode}`,
      layoutConverted: problem.layout === 'nchw',
      ...(winograd ? { precision: usedPrecision } : {}),
    };
  }

  dispose(): void {
    // Device buffers are owned by their Storage objects, which hand their blocks to the addon's per-device pool
    // when freed (so a call's output costs no hipMalloc/hipFree); the device's Storage objects are all freed by
    // now, so give the cached blocks back to the runtime. Blocks of other devices on the same card stay in use.
    // The per-device stream lives with the process.
    if (this.#disposed) return;
    this.#disposed = true;
    this.#addon.releasePooledMemory(this.#device);
  }

  #assertOpen(): void {
    if (this.#disposed) throw disposedError(`${this.kind} backend`);
  }

  #buffer(storage: Storage): NativeDeviceBuffer {
    if (!(storage instanceof GpuStorage)) {
      throw new NovaError('E_ARG', `a storage of another backend was passed to the ${this.kind} backend`);
    }
    return storage.buffer;
  }

  #allocateBytes(bytes: number, what: string): NativeDeviceBuffer {
    try {
      return new this.#addon.DeviceBuffer(bytes, this.#device);
    } catch (error) {
      throw fromNative(error, `allocating ${bytes} bytes for ${what}`);
    }
  }
}

/** Provider for src-ts/api/providers.ts: availability with the reason, and opening the backend. */
export function gpuProvider(kind: GpuKind): { info(): Promise<BackendInfo>; create(): Promise<Backend> } {
  return {
    info: async () => gpuBackendInfo(kind),
    create: async () => GpuBackend.open(kind),
  };
}
