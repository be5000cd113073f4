/**
 * GPU memory and errors: dispose gives device memory back to the addon's pool at once, and to the runtime (free
 * memory returns to its baseline) when the pool is released, as device.dispose() does; V8's external memory count
 * follows dispose; allocation failures are E_OOM, runtime errors rejected promises with the runtime's text
 * (E_DEVICE); bad raw binding calls throw TypeError / RangeError / E_DISPOSED and never crash the process.
 * Skips visibly without a GPU backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuBackend } from '../../src-ts/backends/gpu-backend.js';
import type { GpuNative } from '../../src-ts/binding/gpu-native.js';
import { createDevice, type Device } from '../../src-ts/index.js';
import { Rng } from '../../src-ts/numerics/data.js';
import { gpuInfo, gpuKind, noGpuReason, normalHalf } from './gpu-helpers.js';

const MiB = 2 ** 20;

if (gpuKind === undefined) {
  describe('GPU lifecycle suite', () => {
    it.skip(`skipped: no GPU backend is available here (${noGpuReason})`, () => {});
  });
}

describe.skipIf(gpuKind === undefined)(`GPU memory and errors on ${gpuInfo?.device ?? 'no device'} (${gpuKind})`, () => {
  let device: Device;
  let native: GpuNative;

  beforeAll(async () => {
    device = await createDevice({ backend: gpuKind! });
    native = (device.backend as GpuBackend).native;
  });

  afterAll(() => device?.dispose());

  /**
   * Free device memory once the stream is idle and the addon's pool of freed blocks is given back to the runtime.
   * Other processes may share the card: compare with slack.
   */
  async function freeBytes(): Promise<number> {
    await native.synchronize();
    native.releasePooledMemory();
    return native.memoryInfo().free;
  }

  it('deviceInfo reports the card, its arch and the compiled arch list', () => {
    const info = native.deviceInfo();
    expect(info).toMatchObject({ available: true, platform: gpuKind });
    expect(info.name).toMatch(/\S/);
    expect(info.compiledArchs.length).toBeGreaterThan(0);
    expect(device.info.compiledArchs).toEqual(info.compiledArchs);
    console.log(`device: ${JSON.stringify(info)}`);
  });

  it('a DeviceBuffer takes device memory and reports it to V8; dispose gives both back', async () => {
    const bytes = 512 * MiB;
    const before = await freeBytes();
    const reportedBefore = native.reportedExternalBytes();
    const buffer = new native.DeviceBuffer(bytes);
    try {
      expect(native.reportedExternalBytes() - reportedBefore).toBe(bytes);
      expect(before - (await freeBytes())).toBeGreaterThanOrEqual(bytes);
    } finally {
      buffer.dispose();
    }
    buffer.dispose(); // idempotent
    expect(buffer.disposed).toBe(true);
    expect(native.reportedExternalBytes()).toBe(reportedBefore);
    expect(Math.abs((await freeBytes()) - before)).toBeLessThanOrEqual(8 * MiB);
  });

  it.skipIf(process.env.NOVA_GPU_POOL === 'off')(
    'a disposed block is pooled and reused by the next buffer of its size class; releasing the pool frees it',
    async () => {
      const bytes = 64 * MiB;
      const before = await freeBytes();
      new native.DeviceBuffer(bytes).dispose();
      expect(native.memoryInfo().pooled).toBe(bytes);
      const second = new native.DeviceBuffer(bytes - 4096); // same size class: no new device memory
      expect(native.memoryInfo().pooled).toBe(0);
      expect(before - native.memoryInfo().free).toBeLessThan(bytes + 8 * MiB);
      second.dispose();
      expect(native.releasePooledMemory()).toBe(bytes);
      expect(Math.abs(native.memoryInfo().free - before)).toBeLessThanOrEqual(8 * MiB);
    },
  );

  it('a forgotten DeviceBuffer is freed by its finalizer (the safety net, not the way to free)', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return; // vitest.config.ts runs with --expose-gc
    const before = await freeBytes();
    const reportedBefore = native.reportedExternalBytes();
    (() => void new native.DeviceBuffer(256 * MiB))();
    for (let i = 0; i < 40 && native.reportedExternalBytes() !== reportedBefore; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(native.reportedExternalBytes()).toBe(reportedBefore);
    expect(Math.abs((await freeBytes()) - before)).toBeLessThanOrEqual(8 * MiB);
  });

  it('tensors, plans and outputs through the public API free everything on dispose', async () => {
    const before = await freeBytes();
    const rng = new Rng(31);
    const x = await device.tensor(normalHalf(rng, 8 * 64 * 64 * 64), { shape: [8, 64, 64, 64], layout: 'nhwc' });
    const w = await device.tensor(normalHalf(rng, 64 * 9 * 64), { shape: [64, 3, 3, 64], layout: 'krsc' });
    const plan = await device.prepareConv(w, { padding: 1, algorithm: 'direct' });
    const outputs = [];
    for (let i = 0; i < 4; i++) outputs.push((await plan.run(x)).output);
    outputs.push((await device.conv2d(x, w, { padding: 1 })).output);
    try {
      expect(before - (await freeBytes())).toBeGreaterThan(5 * 8 * 64 * 64 * 64 * 2);
    } finally {
      for (const t of [...outputs, x, w]) t.dispose();
      plan.dispose();
    }
    expect(Math.abs((await freeBytes()) - before)).toBeLessThanOrEqual(8 * MiB);
  });

  it('disposing a buffer during a call frees it only when the call settles', async () => {
    const rng = new Rng(32);
    const x = await device.tensor(normalHalf(rng, 4 * 56 * 56 * 64), { shape: [4, 56, 56, 64], layout: 'nhwc' });
    const w = await device.tensor(normalHalf(rng, 64 * 9 * 64), { shape: [64, 3, 3, 64], layout: 'krsc' });
    const running = device.conv2d(x, w, { padding: 1, algorithm: 'direct' });
    x.dispose();
    w.dispose();
    const result = await running;
    expect((await result.output.toFloat32Array()).every(Number.isFinite)).toBe(true);
    result.output.dispose();
  });

  it("a raw conv2d's PendingCall settles once, polled or waited on, its input disposed meanwhile", async () => {
    const problem = {
      n: 8, c: 64, h: 64, w: 64, k: 64, r: 3, s: 3, padH: 1, padW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      layout: 'nhwc', filterLayout: 'krsc', algorithm: 'direct', relu: false,
    } as const;
    const activation = 8 * 64 * 64 * 64 * 2;
    const input = new native.DeviceBuffer(activation);
    const filter = new native.DeviceBuffer(64 * 9 * 64 * 2);
    const outputs = [new native.DeviceBuffer(activation), new native.DeviceBuffer(activation)];
    const waited = native.conv2d({ ...problem, input, filter, bias: null, output: outputs[0] });
    const polled = native.conv2d({ ...problem, input, filter, bias: null, output: outputs[1] });
    input.dispose(); // both calls still read it: freed when the second settles
    expect(input.disposed).toBe(true);
    await waited.wait();
    expect(waited.poll()).toBe(true);
    await expect(waited.wait()).resolves.toBeUndefined();
    while (!polled.poll()) await new Promise((resolve) => setImmediate(resolve));
    expect(polled.poll()).toBe(true);
    await expect(polled.wait()).resolves.toBeUndefined();
    for (const buffer of [filter, ...outputs]) buffer.dispose();
  });

  it('an allocation larger than the card is E_OOM, synchronously, and leaves the device usable', async () => {
    const huge = { dtype: 'float16', layout: 'vector', shape: [2 ** 45] } as const; // 64 TiB
    expect(() => device.backend.allocate(huge)).toThrow(expect.objectContaining({ code: 'E_OOM' }));
    expect(() => new native.DeviceBuffer(2 ** 46)).toThrow(expect.objectContaining({ code: 'E_OOM' }));
    const t = await device.tensor(new Uint16Array(16).fill(0x3c00), { shape: [16], layout: 'vector' });
    expect(Array.from((await t.read()) as Uint16Array)).toEqual(new Array(16).fill(0x3c00));
    t.dispose();
  });

  it('a runtime error is a rejected promise with code E_DEVICE and the runtime message', async () => {
    const error = await native.synchronize(4096).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.code).toBe('E_DEVICE');
    expect(error!.message).toMatch(/synchronize: .*device/i);
    await native.synchronize(); // the device is still fine
  });

  it('bad raw binding calls throw, they never crash', async () => {
    expect(() => native.conv2d({} as never)).toThrow(TypeError);
    expect(() => native.upload(1 as never, new Uint16Array(4))).toThrow(TypeError);
    expect(() => new native.DeviceBuffer(-1)).toThrow(RangeError);
    expect(() => new native.DeviceBuffer('8' as never)).toThrow(TypeError);
    const small = new native.DeviceBuffer(16);
    expect(() => native.upload(small, new Uint16Array(64))).toThrow(RangeError);
    const problem = {
      n: 1, c: 8, h: 8, w: 8, k: 8, r: 3, s: 3, padH: 1, padW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      layout: 'nhwc', filterLayout: 'krsc', algorithm: 'direct', relu: false,
    } as const;
    expect(() => native.conv2d({ ...problem, input: small, filter: small, bias: null, output: small })).toThrow(
      /Expected a DeviceBuffer of at least 1024 bytes for input/,
    );
    expect(() => native.conv2d({ ...problem, algorithm: 'winograd', m: 6, strideH: 2, input: small, filter: small, bias: null, output: small } as never)).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED' }),
    );
    expect(native.canImplement({ ...problem, r: 5, s: 5, algorithm: 'winograd', m: 6 })).toMatch(/\S/);
    const big = new native.DeviceBuffer(4096);
    expect(() => native.conv2d({ ...problem, input: big, filter: big, bias: null, output: big })).toThrow(/distinct from input/);
    big.dispose();
    small.dispose();
    expect(() => native.upload(small, new Uint16Array(4))).toThrow(expect.objectContaining({ code: 'E_DISPOSED' }));
    await expect(native.synchronize()).resolves.toBeUndefined();
  });
});
