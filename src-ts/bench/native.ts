/**
 * The bench natives of the GPU addon (src-hip/vendor/bench_worker.cpp): vendorInfo() and benchConv(). Loaded
 * through the addon loader; when the addon is missing (no GPU toolkit, no GPU) the reason is kept and reported.
 */
import { loadAddon } from '../binding/load.js';

export type BenchTarget =
  | 'vendor'
  | 'direct'
  | 'winograd-f2'
  | 'winograd-f4'
  | 'winograd-f6'
  | 'winograd-f8'
  | 'winograd-f6-compensated';

export interface BenchConvArgs {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  layout: 'nhwc' | 'nchw';
  input: Uint16Array;
  filter: Uint16Array;
  targets: readonly BenchTarget[];
  warmup: number;
  reps: number;
  graph: boolean;
  /** Upper bound of G as sized so a replay lasts ≥ ~200 µs; G is then rounded up to a multiple of the rotated sets. */
  callsPerReplay: number;
  /** Buffer sets to rotate over; 0 = enough for 3× the L2 cache. */
  rotate: number;
  samples: Uint32Array;
}

export interface BenchTargetResult {
  label: string;
  ok: boolean;
  /** Our kernel's applicability check said no (reason says why). */
  unsupported: boolean;
  reason?: string;
  algorithm: string;
  /** Vendor: the candidates its algorithm was chosen among, and their times. */
  selection?: string;
  mode: 'graph' | 'events' | '';
  modeNote?: string;
  callsPerReplay: number;
  timesUs: Float64Array;
  prepareUs: number;
  workspaceBytes: number;
  nonFinite: number;
  samples: Uint16Array;
}

export interface BenchConvResult {
  /** Buffer sets the calls cycle through, bytes of one set (input + filter + output), and the device's L2 size. */
  rotation: number;
  bytesPerSet: number;
  l2Bytes: number;
  results: BenchTargetResult[];
}

export interface NativeVendorInfo {
  library: string;
  available: boolean;
  reason?: string;
  version?: string;
}

export interface NativeDeviceInfo {
  available?: boolean;
  reason?: string;
  name?: string;
  driverVersion?: string;
  runtimeVersion?: string;
  platform?: string;
}

/** What the bench needs from the GPU addon. Tests pass a fake; `loadBenchNative` gives the real one. */
export interface BenchNative {
  platform: string;
  vendorInfo(): NativeVendorInfo;
  benchConv(args: BenchConvArgs): Promise<BenchConvResult>;
  deviceInfo(device?: number): NativeDeviceInfo;
}

export type BenchNativeLoad = { ok: true; native: BenchNative } | { ok: false; reason: string };

export function loadBenchNative(): BenchNativeLoad {
  const loaded = loadAddon<Partial<BenchNative>>('nova_gpu');
  if (!loaded.ok) return { ok: false, reason: `GPU addon not loaded: ${loaded.reason}` };
  const addon = loaded.addon;
  if (typeof addon.benchConv !== 'function' || typeof addon.vendorInfo !== 'function') {
    return { ok: false, reason: `the GPU addon at ${loaded.path} was built without the vendor bench exports (src-hip/vendor)` };
  }
  return { ok: true, native: addon as BenchNative };
}
