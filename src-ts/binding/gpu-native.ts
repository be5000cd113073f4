/**
 * Typed surface of the GPU addon `nova_gpu.node` (src-hip/addon, built by cmake-js from CMakeLists.txt), the
 * contract in docs/architecture.md § "GPU addon". The graph executor (src-ts/graph/gpu-executor.ts) and the bench
 * natives (src-ts/bench/native.ts) type their own extra exports.
 *
 * Every function that touches the device returns a promise settled by an AsyncWorker after the work on the
 * device's stream is complete, except conv2d, which enqueues from the calling thread and returns a
 * NativePendingCall. Bad arguments throw synchronously: TypeError / RangeError with `code` 'E_ARG', 'E_DISPOSED'
 * for a disposed buffer, 'E_UNSUPPORTED' when the chosen kernel cannot run the problem. Runtime failures reject (or,
 * from conv2d and poll(), throw) with `code` 'E_DEVICE' (or 'E_OOM') and the runtime's own message.
 */
import { NovaError } from '../api/errors.js';
import type { ConvProblem, ConvSizes, ConvWindow } from '../backends/backend.js';
import { loadAddon } from './load.js';

/** One device allocation. Its bytes are reported to V8 as external memory until `dispose()`. */
export interface NativeDeviceBuffer {
  readonly bytes: number;
  readonly device: number;
  readonly disposed: boolean;
  /** Frees the memory now, or when the last call using it settles. Idempotent. */
  dispose(): void;
}

export interface NativeDeviceBufferClass {
  /** Throws an Error with code 'E_OOM' when the allocation fails, 'E_DEVICE' for other runtime errors. */
  new (bytes: number, device?: number): NativeDeviceBuffer;
}

/**
 * The problem fields shared by conv2d, prepareFilter, canImplement and preparedFilterBytes. `layout` 'nchw' is
 * converted to NHWC (and back) on the device around the NHWC kernels; `filterLayout` 'kcrs' is converted to KRSC.
 */
export interface GpuProblemArgs extends ConvSizes, ConvWindow, Pick<ConvProblem, 'layout' | 'filterLayout' | 'relu'> {
  readonly algorithm: 'direct' | 'winograd';
  /** Winograd output tile (2, 4, 6, 8); required for 'winograd'. */
  readonly m?: number;
  /** Winograd-domain values as fp16 hi + fp16 lo. */
  readonly compensated?: boolean;
}

/** All tensors fp16 on the device; sizes are checked against the problem (a buffer may be larger). */
export interface GpuConvArgs extends GpuProblemArgs {
  readonly input: NativeDeviceBuffer;
  /** Raw filter (filterLayout), or U from prepareFilter when `filterPrepared` (winograd only). */
  readonly filter: NativeDeviceBuffer;
  readonly bias: NativeDeviceBuffer | null;
  readonly output: NativeDeviceBuffer;
  readonly filterPrepared?: boolean;
}

export interface GpuPrepareFilterArgs extends GpuProblemArgs {
  /** The raw filter in `filterLayout`. */
  readonly filter: NativeDeviceBuffer;
  /** preparedFilterBytes(args) bytes: U for winograd, the filter as KRSC for direct. */
  readonly output: NativeDeviceBuffer;
}

export interface GpuDeviceInfo {
  readonly platform: 'cuda' | 'hip';
  /** Device code targets in the binary, e.g. ['sm_90a', 'sm_80', 'compute_80'] or ['gfx90a', 'gfx940']. */
  readonly compiledArchs: readonly string[];
  readonly runtimeVersion?: string;
  readonly driverVersion?: string;
  readonly deviceCount: number;
  readonly available: boolean;
  /** Why not available: the runtime's message (no driver, no device, …). */
  readonly reason?: string;
  readonly device?: number;
  readonly name?: string;
  /** 'sm_90a' (NVIDIA, from the compute capability) or the gcnArchName ('gfx90a:sramecc+:xnack-'). */
  readonly arch?: string;
  readonly computeCapability?: string;
  readonly multiprocessors?: number;
  readonly memoryTotalBytes?: number;
}

export interface GpuNative {
  readonly platform: 'cuda' | 'hip';
  readonly napiVersion: number;
  readonly DeviceBuffer: NativeDeviceBufferClass;
  /** Bytes all live DeviceBuffers currently report to V8 (AdjustExternalMemory); V8 does not expose its total. */
  reportedExternalBytes(): number;
  /** Never throws for a missing driver or device: { available: false, reason }. */
  deviceInfo(device?: number): GpuDeviceInfo;
  /** Free and total device memory now, and the bytes of freed blocks the addon keeps for reuse. Throws E_DEVICE. */
  memoryInfo(device?: number): { free: number; total: number; pooled: number };
  /** Gives the addon's cached blocks back to the runtime (waits for the device to be idle); returns their bytes. */
  releasePooledMemory(device?: number): number;
  /** Copies view.byteLength bytes into the start of the buffer. */
  upload(buffer: NativeDeviceBuffer, view: ArrayBufferView | ArrayBuffer): Promise<void>;
  /** Copies view.byteLength bytes from the start of the buffer into the view. */
  download(buffer: NativeDeviceBuffer, view: ArrayBufferView | ArrayBuffer): Promise<void>;
  /** Resolves when the device's stream is idle; rejects E_DEVICE for an invalid ordinal. */
  synchronize(device?: number): Promise<void>;
  /** null when the chosen kernel can run the problem, else the kernel's reason. */
  canImplement(args: GpuProblemArgs): string | null;
  preparedFilterBytes(args: GpuProblemArgs): number;
  /** The Winograd tile size the kernels run fastest for this problem (a measured rule; canImplement still applies). */
  preferredWinogradM(args: GpuProblemArgs): number;
  prepareFilter(args: GpuPrepareFilterArgs): Promise<void>;
  /** Enqueues the convolution on the device's stream from the calling thread and returns at once. */
  conv2d(args: GpuConvArgs): NativePendingCall;
  /** What this file expects of the addon's exports; a build that says otherwise is stale. */
  readonly interfaceVersion: number;
}

/**
 * Device work enqueued by a call; it settles once, observed either way: poll() until it says true, or wait().
 * Errors carry the runtime's message and `code` E_DEVICE / E_OOM.
 */
export interface NativePendingCall {
  /** True once the work is complete (its buffers are released then), false while it runs; throws if it failed. */
  poll(): boolean;
  /** Settles when the work does; a waiter thread of the addon blocks on it, not the event loop. */
  wait(): Promise<void>;
}

/** Bumped with `kInterfaceVersion` in src-hip/addon/addon.cpp whenever an export changes how it is called. */
const INTERFACE_VERSION = 2;

export type GpuNativeLoad =
  | { readonly ok: true; readonly addon: GpuNative; readonly path: string }
  | { readonly ok: false; readonly reason: string };

const REQUIRED: readonly (keyof GpuNative)[] = ['DeviceBuffer', 'deviceInfo', 'memoryInfo', 'upload', 'download', 'conv2d'];

/** The loaded addon, or the loader's reason (every candidate's error, and what to do). Never throws. */
export function tryLoadGpuNative(): GpuNativeLoad {
  const loaded = loadAddon<Partial<GpuNative>>('nova_gpu');
  if (!loaded.ok) return { ok: false, reason: loaded.reason };
  const missing = REQUIRED.filter((name) => loaded.addon[name] === undefined);
  if (missing.length > 0) {
    return { ok: false, reason: `${loaded.path} lacks ${missing.join(', ')}: it is stale; run \`npm run build:gpu\`` };
  }
  if (loaded.addon.interfaceVersion !== INTERFACE_VERSION) {
    return {
      ok: false,
      reason: `${loaded.path} has interface ${String(loaded.addon.interfaceVersion ?? 1)}, this package expects ${INTERFACE_VERSION}: it is stale; run \`npm run build:gpu\``,
    };
  }
  return { ok: true, addon: loaded.addon as GpuNative, path: loaded.path };
}

/** The loaded addon; throws NovaError E_BACKEND_UNAVAILABLE with the loader's reason. */
export function loadGpuNative(): { addon: GpuNative; path: string } {
  const loaded = tryLoadGpuNative();
  if (!loaded.ok) throw new NovaError('E_BACKEND_UNAVAILABLE', loaded.reason);
  return loaded;
}
