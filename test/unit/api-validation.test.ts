/**
 * Every bad input rejects (never throws synchronously, never crashes) with the right class, code and text, before
 * any backend work: the backend's allocation count is unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovaError, type Tensor } from '../../src-ts/index.js';
import type { Device } from '../../src-ts/api/device.js';
import { toHalf } from '../../src-ts/api/fp16.js';
import { type FakeBackend, fakeDevice } from './api-fake-backend.js';

type ErrorClass = typeof TypeError | typeof RangeError | typeof NovaError;

let device: Device;
let backend: FakeBackend;
let other: Device;
let x: Tensor; // nhwc [1,5,5,4] float32
let w: Tensor; // krsc [2,3,3,4] float32
let w5: Tensor; // krsc [2,5,5,4]
let bias: Tensor; // [2]
let xHalf: Tensor;
let foreign: Tensor;

const f32 = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7) % 11) / 11 - 0.5);

beforeAll(async () => {
  ({ device, backend } = fakeDevice());
  other = fakeDevice().device;
  x = await device.tensor(f32(100), { shape: [1, 5, 5, 4], layout: 'nhwc' });
  w = await device.tensor(f32(72), { shape: [2, 3, 3, 4], layout: 'krsc' });
  w5 = await device.tensor(f32(200), { shape: [2, 5, 5, 4], layout: 'krsc' });
  bias = await device.tensor(f32(2), { shape: [2] });
  xHalf = await device.tensor(toHalf(f32(100)), { shape: [1, 5, 5, 4], layout: 'nhwc' });
  foreign = await other.tensor(f32(100), { shape: [1, 5, 5, 4], layout: 'nhwc' });
});

afterAll(() => {
  device.dispose();
  other.dispose();
});

/** Runs `call`, which must return a promise (no synchronous throw) that rejects as described, changing nothing. */
async function expectRejection(call: () => Promise<unknown>, cls: ErrorClass, code: string, message: RegExp): Promise<void> {
  const before = backend.storages.length;
  const convCalls = backend.convCalls;
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = call();
  }).not.toThrow();
  const error = await promise!.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(cls);
  expect((error as { code?: string }).code).toBe(code);
  expect((error as Error).message).toMatch(message);
  // Validation happens before work: nothing allocated, no convolution started.
  expect(backend.storages.length).toBe(before);
  expect(backend.convCalls).toBe(convCalls);
}

describe('device.tensor() rejects bad input', () => {
  const cases: [string, () => Promise<unknown>, ErrorClass, string, RegExp][] = [
    ['plain array as data', () => device.tensor([1, 2] as never, { shape: [2] }), TypeError, 'E_DTYPE',
      /^Expected Float32Array.* for data but received \[1,2\] of type array$/],
    ['Float64Array data', () => device.tensor(new Float64Array(2) as never, { shape: [2] }), TypeError, 'E_DTYPE',
      /for data but received Float64Array\(2\) of type Float64Array$/],
    ['null data', () => device.tensor(null as never, { shape: [2] }), TypeError, 'E_DTYPE', /for data but received null of type null$/],
    ['missing options', () => device.tensor(f32(2), undefined as never), TypeError, 'E_ARG',
      /^Expected an object with shape for options but received undefined of type undefined$/],
    ['options not an object', () => device.tensor(f32(2), 'nhwc' as never), TypeError, 'E_ARG',
      /^Expected an object for options but received "nhwc" of type string$/],
    ['unknown option', () => device.tensor(f32(2), { shape: [2], shap: [2] } as never), NovaError, 'E_ARG',
      /^Unknown option "shap" in options; expected one of: shape, layout, dtype$/],
    ['shape not an array', () => device.tensor(f32(2), { shape: 2 as never }), TypeError, 'E_ARG',
      /^Expected array of 1 positive integer for options.shape but received 2 of type number$/],
    ['shape of wrong rank', () => device.tensor(f32(12), { shape: [3, 4], layout: 'nhwc' }), RangeError, 'E_ARG',
      /^Expected array of 4 positive integers for options.shape but received \[3,4\] of type array$/],
    ['zero dimension', () => device.tensor(f32(0), { shape: [1, 0, 2, 2], layout: 'nhwc' }), RangeError, 'E_ARG',
      /^Expected integer between 1 and 2147483647 for options.shape\[1\] but received 0 of type number$/],
    ['negative dimension', () => device.tensor(f32(4), { shape: [1, -2, 2, 1], layout: 'nhwc' }), RangeError, 'E_ARG',
      /for options.shape\[1\] but received -2 of type number$/],
    ['NaN dimension', () => device.tensor(f32(4), { shape: [1, Number.NaN, 2, 2], layout: 'nhwc' }), RangeError, 'E_ARG',
      /for options.shape\[1\] but received NaN of type number$/],
    ['fractional dimension', () => device.tensor(f32(4), { shape: [2.5] }), RangeError, 'E_ARG',
      /for options.shape\[0\] but received 2.5 of type number$/],
    ['infinite dimension', () => device.tensor(f32(4), { shape: [Number.POSITIVE_INFINITY] }), RangeError, 'E_ARG',
      /for options.shape\[0\] but received Infinity of type number$/],
    ['string dimension', () => device.tensor(f32(4), { shape: ['4'] as never }), TypeError, 'E_ARG',
      /for options.shape\[0\] but received "4" of type string$/],
    ['huge shape', () => device.tensor(f32(4), { shape: [65536, 65536, 1, 1], layout: 'nhwc' }), RangeError, 'E_ARG',
      /^Expected shape with at most 2147483647 elements \(got 4294967296\) for options.shape/],
    ['data length ≠ shape', () => device.tensor(f32(11), { shape: [1, 2, 2, 3], layout: 'nhwc' }), NovaError, 'E_SHAPE',
      /^data has 11 elements but shape \[1,2,2,3\] needs 12$/],
    ['Float32Array declared float16', () => device.tensor(f32(2), { shape: [2], dtype: 'float16' }), TypeError, 'E_DTYPE',
      /^Expected Uint16Array \(fp16 bits\).* for data \(dtype 'float16'\) but received Float32Array\(2\) of type Float32Array$/],
    ['unknown dtype', () => device.tensor(f32(2), { shape: [2], dtype: 'float64' as never }), RangeError, 'E_ARG',
      /^Expected one of 'float32', 'float16' for options.dtype but received "float64" of type string$/],
    ['unknown layout', () => device.tensor(f32(4), { shape: [1, 1, 2, 2], layout: 'nhcw' as never }), RangeError, 'E_ARG',
      /for options.layout but received "nhcw" of type string$/],
    ['4-D without layout', () => device.tensor(f32(4), { shape: [1, 1, 2, 2] }), TypeError, 'E_ARG',
      /^Expected one of 'nhwc', 'nchw', 'krsc', 'kcrs' \(required for 4-D tensors\) for options.layout/],
  ];
  it.each(cases)('%s', async (_name, call, cls, code, message) => expectRejection(call, cls, code, message));
});

describe('device.conv2d() rejects bad input', () => {
  const cases: [string, () => Promise<unknown>, ErrorClass, string, RegExp][] = [
    ['x not a tensor', () => device.conv2d({} as never, w), TypeError, 'E_ARG', /^Expected Tensor for x but received object of type object$/],
    ['w missing', () => device.conv2d(x, undefined as never), TypeError, 'E_ARG', /^Expected Tensor for w but received undefined/],
    ['x from another device', () => device.conv2d(foreign, w), NovaError, 'E_ARG', /^x belongs to cpu device #\d+, not to cpu device #\d+/],
    ['filter passed as x', () => device.conv2d(w, w), RangeError, 'E_ARG',
      /^Expected one of 'nhwc', 'nchw' for x.layout but received "krsc" of type string$/],
    ['activation passed as w', () => device.conv2d(x, x), RangeError, 'E_ARG', /for w.layout but received "nhwc"/],
    ['dtype mismatch', () => device.conv2d(xHalf, w), NovaError, 'E_DTYPE', /^x has dtype float16 but w has dtype float32; they must match$/],
    ['4-D tensor as bias', () => device.conv2d(x, w, { bias: w5 }), RangeError, 'E_ARG', /for options.bias.layout but received "krsc"/],
    ['bias not a tensor', () => device.conv2d(x, w, { bias: f32(2) as never }), TypeError, 'E_ARG',
      /^Expected Tensor or null for options.bias but received Float32Array\(2\) of type Float32Array$/],
    ['negative padding', () => device.conv2d(x, w, { padding: -1 }), RangeError, 'E_ARG',
      /^Expected integer between 0 and 65535 for options.padding but received -1 of type number$/],
    ['padding pair of wrong length', () => device.conv2d(x, w, { padding: [1] as never }), RangeError, 'E_ARG',
      /or a \[height, width\] pair of them for options.padding but received \[1\] of type array$/],
    ['fractional padding', () => device.conv2d(x, w, { padding: [1, 0.5] }), RangeError, 'E_ARG', /for options.padding\[1\] but received 0.5/],
    ['zero stride', () => device.conv2d(x, w, { stride: 0 }), RangeError, 'E_ARG', /^Expected integer between 1 and 65535 for options.stride but received 0/],
    ['NaN dilation', () => device.conv2d(x, w, { dilation: Number.NaN }), RangeError, 'E_ARG', /for options.dilation but received NaN/],
    ['huge padding', () => device.conv2d(x, w, { padding: 1e9 }), RangeError, 'E_ARG', /for options.padding but received 1000000000/],
    ['relu not boolean', () => device.conv2d(x, w, { relu: 'yes' as never }), TypeError, 'E_ARG',
      /^Expected boolean for options.relu but received "yes" of type string$/],
    ['unknown algorithm', () => device.conv2d(x, w, { algorithm: 'winograd-f5' as never }), RangeError, 'E_ARG',
      /^Expected one of 'auto', 'winograd-f6', .*'direct' for options.algorithm but received "winograd-f5"/],
    ['unknown precision', () => device.conv2d(x, w, { precision: 'fp32' as never }), RangeError, 'E_ARG', /for options.precision but received "fp32"/],
    ['unknown option', () => device.conv2d(x, w, { pad: 1 } as never), NovaError, 'E_ARG', /^Unknown option "pad" in options; expected one of: bias, /],
    ['options not an object', () => device.conv2d(x, w, 5 as never), TypeError, 'E_ARG', /^Expected an object for options but received 5/],
    ['winograd on a 5x5 filter', () => device.conv2d(x, w5, { padding: 2, algorithm: 'winograd-f6' }), NovaError, 'E_UNSUPPORTED',
      /^winograd-f6 cannot run this convolution on cpu: Winograd F\(m,3\) needs a 3x3 filter, got 5x5$/],
    ['winograd with stride 2', () => device.conv2d(x, w, { stride: 2, algorithm: 'winograd-f2' }), NovaError, 'E_UNSUPPORTED',
      /^winograd-f2 cannot run this convolution on cpu: Winograd needs stride 1$/],
    ['filter larger than padded input', () => device.conv2d(x, w5, { dilation: 2 }), NovaError, 'E_SHAPE',
      /^the filter window \(9 after dilation\) is larger than the padded input height \(5\)$/],
  ];
  it.each(cases)('%s', async (_name, call, cls, code, message) => expectRejection(call, cls, code, message));

  it('channel mismatch', async () => {
    const w3 = await device.tensor(f32(54), { shape: [2, 3, 3, 3], layout: 'krsc' });
    await expectRejection(() => device.conv2d(x, w3), NovaError, 'E_SHAPE', /^x has C=4 channels but w expects C=3/);
    w3.dispose();
  });

  it('bias of wrong length and dtype', async () => {
    const b3 = await device.tensor(f32(3), { shape: [3] });
    const bHalf = await device.tensor(toHalf([1, 2]), { shape: [2] });
    await expectRejection(() => device.conv2d(x, w, { bias: b3 }), NovaError, 'E_SHAPE',
      /^options.bias has 3 elements but the filter has K=2 output channels$/);
    await expectRejection(() => device.conv2d(x, w, { bias: bHalf }), NovaError, 'E_DTYPE',
      /^options.bias has dtype float16 but the convolution is float32; they must match$/);
    b3.dispose();
    bHalf.dispose();
  });

  it('disposed input', async () => {
    const gone = await device.tensor(f32(100), { shape: [1, 5, 5, 4], layout: 'nhwc' });
    gone.dispose();
    await expectRejection(() => device.conv2d(gone, w), NovaError, 'E_DISPOSED', /^x has been disposed$/);
    await expectRejection(() => gone.read(), NovaError, 'E_DISPOSED', /^tensor has been disposed$/);
  });
});

describe('errors carry the caller', () => {
  it('a validation rejection has this file in its stack', async () => {
    const error = await device.conv2d(x, w, { padding: -1 }).catch((e: Error) => e);
    expect(error.stack).toContain('api-validation.test.ts');
  });

  it('a backend rejection keeps the native message, gets code E_DEVICE and the caller stack, and frees the output', async () => {
    backend.failNext = { code: 'E_DEVICE', message: 'cudaErrorIllegalAddress: an illegal memory access was encountered' };
    const before = backend.storages.length;
    const error = await device.conv2d(x, w, { padding: 1 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(NovaError);
    expect((error as NovaError).code).toBe('E_DEVICE');
    expect(error.message).toBe('conv2d failed: cudaErrorIllegalAddress: an illegal memory access was encountered');
    expect(error.stack).toContain('api-validation.test.ts');
    const output = backend.storages[before]!;
    expect(output.freed).toBe(true);
  });
});
