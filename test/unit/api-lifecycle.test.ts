/**
 * Lifetimes: dispose is idempotent and makes a tensor unusable (E_DISPOSED); memory used by work in flight is
 * freed only after that work; disposing a device frees everything it made; forgotten tensors are freed by the
 * FinalizationRegistry safety net; plans keep their filter alive.
 */
import { describe, expect, it, vi } from 'vitest';
import { NovaError } from '../../src-ts/index.js';
import { fakeDevice } from './api-fake-backend.js';

const f32 = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1));

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function rejection(promise: Promise<unknown>): Promise<NovaError> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (e: NovaError) => e,
  );
}

describe('tensor dispose', () => {
  it('is idempotent, frees once, and later use rejects with E_DISPOSED', async () => {
    const { device, backend } = fakeDevice();
    const t = await device.tensor(f32(8), { shape: [8] });
    const storage = backend.storages[0]!;
    t.dispose();
    t.dispose();
    t[Symbol.dispose]();
    expect(t.disposed).toBe(true);
    expect(storage.freed).toBe(true);
    const error = await rejection(t.read());
    expect(error.code).toBe('E_DISPOSED');
    expect(error.message).toBe('tensor has been disposed');
    await expect(t.toFloat32Array()).rejects.toMatchObject({ code: 'E_DISPOSED' });
    device.dispose();
  });

  it('disposing inputs while a conv runs defers the free until it finishes, and the result is right', async () => {
    const { device, backend } = fakeDevice();
    const x = await device.tensor(f32(2 * 3 * 3), { shape: [1, 2, 3, 3], layout: 'nchw' });
    const w = await device.tensor(f32(2 * 2 * 3 * 3), { shape: [2, 2, 3, 3], layout: 'kcrs' });
    const reference = await (await device.conv2d(x, w, { padding: 1 })).output.toFloat32Array();
    const held = gate();
    backend.gate = held.promise;
    const running = device.conv2d(x, w, { padding: 1 });
    x.dispose();
    w.dispose();
    expect(x.disposed).toBe(true);
    await expect(device.conv2d(x, w)).rejects.toMatchObject({ code: 'E_DISPOSED' });
    expect(backend.storages[0]!.freed).toBe(false); // still in use by the running conv
    held.open();
    const result = await running;
    expect(await result.output.toFloat32Array()).toEqual(reference);
    expect(backend.storages[0]!.freed).toBe(true);
    expect(backend.storages[1]!.freed).toBe(true);
    device.dispose();
  });
});

describe('device dispose', () => {
  it('waits for work in flight, then frees every storage and the backend; everything rejects after', async () => {
    const { device, backend } = fakeDevice();
    const x = await device.tensor(f32(16), { shape: [1, 4, 4, 1], layout: 'nhwc' });
    const w = await device.tensor(f32(9), { shape: [1, 3, 3, 1], layout: 'krsc' });
    const held = gate();
    backend.gate = held.promise;
    const running = device.conv2d(x, w, { padding: 1, algorithm: 'direct' });
    device.dispose();
    device.dispose();
    expect(backend.disposed).toBe(false); // the conv is still running
    expect((await rejection(device.tensor(f32(1), { shape: [1] }))).code).toBe('E_DISPOSED');
    held.open();
    const result = await running;
    expect(result.algorithm).toBe('direct');
    expect(backend.disposed).toBe(true);
    expect(backend.storages.every((s) => s.freed)).toBe(true);
    expect(result.output.disposed).toBe(true);
    expect((await rejection(result.output.read())).code).toBe('E_DISPOSED');
    expect((await rejection(device.conv2d(x, w))).message).toMatch(/^cpu device #\d+ has been disposed$/);
    expect((await rejection(device.prepareConv(w))).code).toBe('E_DISPOSED');
  });
});

describe('FinalizationRegistry safety net', () => {
  it.skipIf(typeof globalThis.gc !== 'function')('frees a tensor that was never disposed once it is collected', async () => {
    const { device, backend } = fakeDevice();
    await (async () => {
      await device.tensor(f32(1024), { shape: [1024] });
    })();
    const storage = backend.storages[0]!;
    for (let i = 0; i < 50 && !storage.freed; i++) {
      globalThis.gc!();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(storage.freed).toBe(true);
    device.dispose();
  });

  it.skipIf(typeof globalThis.gc !== 'function')('frees a forgotten plan: its transformed filter and the filter it kept', async () => {
    const { device, backend } = fakeDevice();
    const w = await device.tensor(f32(9), { shape: [1, 3, 3, 1], layout: 'krsc' });
    await (async () => {
      await device.prepareConv(w, { padding: 1, algorithm: 'winograd-f2' });
    })();
    w.dispose(); // the plan still holds it
    const [filterStorage, prepared] = backend.storages;
    expect(filterStorage!.freed).toBe(false);
    for (let i = 0; i < 50 && !(prepared!.freed && filterStorage!.freed); i++) {
      globalThis.gc!();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(prepared!.freed).toBe(true);
    expect(filterStorage!.freed).toBe(true);
    device.dispose();
  });
});

describe('plans', () => {
  it('keep their filter alive after the caller disposes it, reuse one transform, and free it on dispose', async () => {
    const { device, backend } = fakeDevice();
    const x = await device.tensor(f32(2 * 6 * 6), { shape: [1, 6, 6, 2], layout: 'nhwc' });
    const w = await device.tensor(f32(3 * 3 * 3 * 2), { shape: [3, 3, 3, 2], layout: 'krsc' });
    const direct = await (await device.conv2d(x, w, { padding: 1, relu: true })).output.toFloat32Array();
    const plan = await device.prepareConv(w, { padding: 1, relu: true, algorithm: 'winograd-f4' });
    w.dispose();
    const storagesAfterPrepare = backend.storages.length;
    const results = await Promise.all([plan.run(x), plan.run(x), plan.run(x)]);
    for (const r of results) {
      expect(r.algorithm).toBe('winograd-f4');
      expect(r.reason).toBe('winograd-f4 was requested by the caller');
      expect(await r.output.toFloat32Array()).toEqual(direct);
    }
    // three outputs, no further filter preparation
    expect(backend.storages.length).toBe(storagesAfterPrepare + 3);
    plan.dispose();
    plan.dispose();
    expect(backend.storages.filter((s) => 'algorithm' in s).every((s) => s.freed)).toBe(true);
    expect((await rejection(plan.run(x))).message).toBe('plan has been disposed');
    device.dispose();
  });

  it('with auto, prepare per chosen algorithm and report why', async () => {
    const { device } = fakeDevice();
    const x = await device.tensor(f32(2 * 6 * 6), { shape: [1, 6, 6, 2], layout: 'nhwc' });
    const w = await device.tensor(f32(3 * 3 * 3 * 2), { shape: [3, 3, 3, 2], layout: 'krsc' });
    const plan = await device.prepareConv(w, { padding: 1 });
    const result = await plan.run(x);
    expect(result).toMatchObject({ backend: 'cpu', algorithm: 'winograd-f4', reason: 'fake: 3x3 stride 1 → winograd-f4' });
    const strided = await device.prepareConv(w, { stride: 2 });
    expect((await strided.run(x)).algorithm).toBe('direct');
    const bad = await rejection(device.prepareConv(w, { stride: 2, algorithm: 'winograd-f6' }));
    expect(bad.code).toBe('E_UNSUPPORTED');
    device.dispose();
  });

  it('route each input shape once and keep the result right for every shape', async () => {
    const { device, backend } = fakeDevice();
    const choose = vi.spyOn(backend, 'chooseAlgorithm');
    const w = await device.tensor(f32(3 * 3 * 3 * 2), { shape: [3, 3, 3, 2], layout: 'krsc' });
    const plan = await device.prepareConv(w, { padding: 1 });
    const small = await device.tensor(f32(2 * 6 * 6), { shape: [1, 6, 6, 2], layout: 'nhwc' });
    const large = await device.tensor(f32(2 * 2 * 9 * 7), { shape: [2, 9, 7, 2], layout: 'nhwc' });
    for (const x of [small, large, small, large, small]) {
      const [viaPlan, direct] = await Promise.all([plan.run(x), device.conv2d(x, w, { padding: 1 })]);
      expect(await viaPlan.output.toFloat32Array()).toEqual(await direct.output.toFloat32Array());
      expect(viaPlan.reason).toBe('fake: 3x3 stride 1 → winograd-f4');
    }
    // two shapes through the plan, five one-off calls
    expect(choose).toHaveBeenCalledTimes(2 + 5);
    device.dispose();
  });
});
