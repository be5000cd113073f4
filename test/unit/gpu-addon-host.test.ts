/**
 * The GPU addon and backend where no GPU is needed (so CI checks them): the addon loads without a driver (static
 * runtime), reports why no device is usable, validates raw binding calls with TypeError / RangeError before any
 * device work, answers canImplement / preparedFilterBytes on the host, and build-gpu.mjs never fails an install
 * for lack of a toolkit. Skips visibly when the GPU addon is not built.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GpuBackend, gpuBackendInfo, settle } from '../../src-ts/backends/gpu-backend.js';
import { tryLoadGpuNative } from '../../src-ts/binding/gpu-native.js';

const loaded = tryLoadGpuNative();
const addon = loaded.ok ? loaded.addon : undefined;
const hasDevice = addon?.deviceInfo().available === true;

const problem = {
  n: 1, c: 8, h: 8, w: 8, k: 8, r: 3, s: 3, padH: 1, padW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
  layout: 'nhwc', filterLayout: 'krsc', algorithm: 'winograd', m: 6, relu: false,
} as const;

/** A pending call that completes on its `readyAt`-th poll (never, for Infinity), or fails there with `failure`. */
function fakePendingCall(readyAt: number, failure?: Error) {
  const call = {
    polls: 0,
    waits: 0,
    poll(): boolean {
      call.polls++;
      if (call.polls < readyAt) return false;
      if (failure) throw failure;
      return true;
    },
    wait(): Promise<void> {
      call.waits++;
      return failure ? Promise.reject(failure) : Promise.resolve();
    },
  };
  return call;
}

describe('settle: how the GPU backend waits for a launched conv2d', () => {
  it('polls on the event loop until the work is done, without the waiter thread', async () => {
    const call = fakePendingCall(4);
    await settle(call, 10_000);
    expect(call.polls).toBe(4);
    expect(call.waits).toBe(0);
  });

  it("rejects with the poll's error", async () => {
    const failure = Object.assign(new Error('conv2d: an illegal memory access was encountered'), { code: 'E_DEVICE' });
    await expect(settle(fakePendingCall(3, failure), 10_000)).rejects.toBe(failure);
  });

  it('hands work still running after the polling window to wait()', async () => {
    const call = fakePendingCall(Infinity);
    await settle(call, 1);
    expect(call.waits).toBe(1);
    expect(call.polls).toBeGreaterThan(1);
    const failing = fakePendingCall(Infinity, new Error('late failure'));
    failing.poll = () => false;
    await expect(settle(failing, 1)).rejects.toThrow('late failure');
  });
});

if (!addon) {
  describe('GPU addon on the host', () => {
    it.skip(`skipped: the GPU addon is not built here (${loaded.ok ? '' : loaded.reason.split('\n')[0]})`, () => {});
  });
}

describe.skipIf(!addon)(`GPU addon on the host (${addon?.platform ?? 'not built'})`, () => {
  it('loads and describes itself, with the reason when no device is usable', () => {
    const info = addon!.deviceInfo();
    expect(info.platform).toBe(addon!.platform);
    expect(info.compiledArchs.length).toBeGreaterThan(0);
    if (!info.available) expect(info.reason).toMatch(/\S/);
    const backend = gpuBackendInfo(addon!.platform);
    expect(backend.available).toBe(info.available);
    if (!backend.available) expect(backend.reason).toMatch(/\S/);
  });

  it.skipIf(hasDevice)('without a device, opening the backend is E_BACKEND_UNAVAILABLE with the reason', () => {
    expect(() => GpuBackend.open(addon!.platform)).toThrow(
      expect.objectContaining({ code: 'E_BACKEND_UNAVAILABLE', message: expect.stringMatching(/not available: \S/) }),
    );
  });

  it('the backend of the other platform says which one the addon was built for', () => {
    const other = addon!.platform === 'cuda' ? 'hip' : 'cuda';
    expect(gpuBackendInfo(other)).toMatchObject({
      available: false,
      reason: expect.stringMatching(new RegExp(`built for ${addon!.platform}, not ${other}`)),
    });
  });

  it('canImplement and preparedFilterBytes answer on the host, with the kernels’ own reasons', () => {
    expect(addon!.canImplement(problem)).toBeNull();
    expect(addon!.canImplement({ ...problem, algorithm: 'direct' })).toBeNull();
    expect(addon!.canImplement({ ...problem, strideH: 2, strideW: 2 })).toMatch(/stride/i);
    expect(addon!.canImplement({ ...problem, r: 5, s: 5, padH: 2, padW: 2 })).toMatch(/\S/);
    const u = addon!.preparedFilterBytes(problem);
    expect(u).toBeGreaterThanOrEqual(64 * 8 * 8 * 2); // α² · K · C fp16
    expect(addon!.preparedFilterBytes({ ...problem, compensated: true })).toBe(2 * u);
    expect(addon!.preparedFilterBytes({ ...problem, algorithm: 'direct' })).toBe(8 * 9 * 8 * 2);
    expect([2, 4, 6, 8]).toContain(addon!.preferredWinogradM(problem));
  });

  it('sizes the prepared filter as U for every Winograd tile', () => {
    const f4 = { ...problem, m: 4 };
    // U is α² · K · C fp16 (C padded to 16; K padded to 64 for F(2,3) only: u_index), twice that when compensated;
    // the raw weights are never the prepared filter.
    expect(addon!.preparedFilterBytes(f4)).toBe(36 * 8 * 16 * 2);
    expect(addon!.preparedFilterBytes({ ...f4, compensated: true })).toBe(2 * 36 * 8 * 16 * 2);
    expect(addon!.preparedFilterBytes({ ...f4, c: 12 })).toBe(36 * 8 * 16 * 2);
    expect(addon!.preparedFilterBytes({ ...f4, k: 130 })).toBe(36 * 130 * 16 * 2);
    const f2 = { ...problem, m: 2 };
    expect(addon!.preparedFilterBytes(f2)).toBe(16 * 64 * 16 * 2);
    expect(addon!.preparedFilterBytes({ ...f2, k: 130 })).toBe(16 * 192 * 16 * 2);
  });

  it('bad raw calls throw TypeError / RangeError and never reach the device', () => {
    expect(() => addon!.conv2d({} as never)).toThrow(TypeError);
    expect(() => addon!.conv2d(null as never)).toThrow(TypeError);
    expect(() => addon!.canImplement({ ...problem, n: 0 })).toThrow(/Expected integer between 1 and \d+ for n but received 0/);
    expect(() => addon!.canImplement({ ...problem, padH: 1.5 })).toThrow(RangeError);
    expect(() => addon!.canImplement({ ...problem, layout: 'nchwc' as never })).toThrow(/Expected one of 'nhwc', 'nchw' for layout/);
    expect(() => addon!.canImplement({ ...problem, h: 1, w: 1, padH: 0, padW: 0 })).toThrow(/window that fits the padded input/);
    expect(() => addon!.canImplement({ ...problem, relu: 'yes' as never })).toThrow(TypeError);
    expect(() => new addon!.DeviceBuffer(-1)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'E_ARG' }));
    expect(() => new addon!.DeviceBuffer('8' as never)).toThrow(TypeError);
    expect(() => new addon!.DeviceBuffer(8, 2.5)).toThrow(RangeError);
    expect(() => addon!.upload({} as never, new Uint16Array(1))).toThrow(/Expected a DeviceBuffer for buffer/);
    expect(() => addon!.download(1 as never, new Uint16Array(1))).toThrow(TypeError);
    expect(() => addon!.synchronize(-1)).toThrow(RangeError);
    expect(() => addon!.memoryInfo('0' as never)).toThrow(TypeError);
    expect(addon!.reportedExternalBytes()).toBeGreaterThanOrEqual(0);
  });
});

describe('scripts/build-gpu.mjs never breaks an install', () => {
  const run = (env: Record<string, string>, args: string[] = []) =>
    spawnSync(process.execPath, ['scripts/build-gpu.mjs', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const lastLine = (text: string) => text.trim().split('\n').pop();

  it('NOVA_GPU=off skips with exit status 0 and says so last', () => {
    const child = run({ NOVA_GPU: 'off' });
    expect(child.status).toBe(0);
    expect(lastLine(child.stderr)).toBe('[nova] GPU addon not built: NOVA_GPU=off');
  });

  it('an unknown NOVA_GPU value fails with the list of values', () => {
    const child = run({ NOVA_GPU: 'metal' });
    expect(child.status).toBe(1);
    expect(lastLine(child.stderr)).toMatch(/NOVA_GPU must be one of auto, cuda, hip, off, got "metal"/);
  });

  it('auto without the tools skips with a reason (exit 0); an explicit platform without them fails', () => {
    // Nothing on PATH (cmake included); /usr/local/cuda and /opt/rocm are still searched for the compilers.
    const bare = { PATH: '/nonexistent', CUDA_PATH: '/nonexistent', CUDA_HOME: '/nonexistent', ROCM_PATH: '/nonexistent' };
    const auto = run(bare, ['--gpu=auto']);
    expect(auto.status).toBe(0);
    expect(lastLine(auto.stderr)).toMatch(/^\[nova\] GPU addon not built: (no GPU toolkit found|cmake .* is not on PATH)/);
    const hip = run({ ...bare, NOVA_GPU: 'hip' });
    expect(hip.status).toBe(1);
    expect(lastLine(hip.stderr)).toMatch(/GPU addon build failed: (NOVA_GPU=hip but hipcc was not found|cmake .* is not on PATH)/);
  });
});
