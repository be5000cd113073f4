/**
 * The public API end to end on the real CPU backend: backend discovery and selection, results against the float64
 * reference for every algorithm and both layouts, fp16 tensors, many concurrent convolutions equal to serial
 * ones, the event loop kept free, and the backend's own E_UNSUPPORTED reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createDevice, type Device, fromHalf, NovaError, type Tensor, toHalf } from '../../src-ts/index.js';
import { referenceConv2dF64 } from '../../src-ts/binding/cpu-native.js';
import { Rng } from '../../src-ts/numerics/data.js';

let device: Device;

beforeAll(async () => {
  device = await createDevice({ backend: 'cpu' });
});

afterAll(() => device.dispose());

function uniform(rng: Rng, count: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, () => (2 * rng.uniform() - 1) * scale);
}

function relError(out: ArrayLike<number>, ref: Float64Array): number {
  let d2 = 0;
  let r2 = 0;
  for (let i = 0; i < ref.length; i++) {
    d2 += (out[i]! - ref[i]!) ** 2;
    r2 += ref[i]! ** 2;
  }
  return Math.sqrt(d2 / r2); // NaN in `out` gives NaN, which fails every `toBeLessThan`
}

/** NHWC → NCHW (or KRSC → KCRS: same permutation of the last three axes). */
function channelsFirst(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let a = 0; a < n; a++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[((a * c + ch) * h + y) * w + x] = data[((a * h + y) * w + x) * c + ch]!;
  return out;
}

describe('backend discovery', () => {
  it('backends() lists cpu, cuda and hip, each available or with a reason', async () => {
    const infos = await backends();
    expect(infos.map((i) => i.kind).sort()).toEqual(['cpu', 'cuda', 'hip']);
    expect(infos.find((i) => i.kind === 'cpu')).toMatchObject({ available: true });
    for (const info of infos) if (!info.available) expect(info.reason).toMatch(/\S/);
  });

  it("'auto' takes the best available backend and says why", async () => {
    const infos = await backends();
    const best = ['cuda', 'hip', 'cpu'].find((kind) => infos.find((i) => i.kind === kind)?.available);
    const auto = await createDevice();
    try {
      expect(auto.kind).toBe(best);
      expect(auto.selection).toMatch(new RegExp(`^auto chose ${best}`));
    } finally {
      auto.dispose();
    }
  });

  it('an unavailable backend rejects with E_BACKEND_UNAVAILABLE and its reason, never a fallback', async () => {
    const missing = (await backends()).filter((i) => !i.available);
    for (const info of missing) {
      const error = await createDevice({ backend: info.kind }).catch((e: NovaError) => e);
      expect(error).toBeInstanceOf(NovaError);
      expect((error as NovaError).code).toBe('E_BACKEND_UNAVAILABLE');
      expect((error as NovaError).message).toBe(`backend '${info.kind}' is not available: ${info.reason}`);
    }
  });

  it('a backend name that does not exist is a RangeError', async () => {
    const error = await createDevice({ backend: 'tpu' as never }).catch((e: RangeError) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({
      code: 'E_ARG',
      message: "Expected one of 'auto', 'cpu', 'cuda', 'hip' for options.backend but received \"tpu\" of type string",
    });
  });
});

describe('conv2d on the CPU backend', () => {
  const n = 2;
  const c = 3;
  const k = 5;
  const h = 11;
  const w = 9;
  let xData: Float32Array;
  let wData: Float32Array; // KRSC
  let bData: Float32Array;
  let x: Tensor;
  let wt: Tensor;
  let b: Tensor;
  let reference: Float64Array;

  beforeAll(async () => {
    const rng = new Rng(7);
    xData = uniform(rng, n * h * w * c);
    wData = uniform(rng, k * 3 * 3 * c, 0.5);
    bData = uniform(rng, k, 0.1);
    x = await device.tensor(xData, { shape: [n, h, w, c], layout: 'nhwc' });
    wt = await device.tensor(wData, { shape: [k, 3, 3, c], layout: 'krsc' });
    b = await device.tensor(bData, { shape: [k] });
    reference = await referenceConv2dF64(
      { n, c, h, w, k, r: 3, s: 3, padH: 1, padW: 1, layout: 'nhwc', filterLayout: 'krsc', relu: true },
      xData,
      wData,
      bData,
    );
  });

  it.each(['direct', 'winograd-f2', 'winograd-f4', 'winograd-f6', 'winograd-f8'] as const)(
    '%s matches float64 (float32, NHWC, bias + ReLU) and reports what ran',
    async (algorithm) => {
      const result = await device.conv2d(x, wt, { bias: b, padding: 1, relu: true, algorithm });
      expect(result).toMatchObject({ backend: 'cpu', algorithm, layoutConverted: false });
      expect(result.reason).toBe(`${algorithm} was requested by the caller`);
      expect(result.path).toMatch(/^cpu /);
      expect(result.output.shape).toEqual([n, h, w, k]);
      const out = await result.output.toFloat32Array();
      expect(relError(out, reference)).toBeLessThan(algorithm === 'winograd-f8' ? 1e-4 : 1e-5);
      result.output.dispose();
    },
  );

  it('NCHW/KCRS gives the NHWC result in NCHW order', async () => {
    const xc = await device.tensor(channelsFirst(xData, n, h, w, c), { shape: [n, c, h, w], layout: 'nchw' });
    const wc = await device.tensor(channelsFirst(wData, k, 3, 3, c), { shape: [k, c, 3, 3], layout: 'kcrs' });
    const nhwc = await device.conv2d(x, wt, { bias: b, padding: 1, relu: true, algorithm: 'direct' });
    const nchw = await device.conv2d(xc, wc, { bias: b, padding: 1, relu: true, algorithm: 'direct' });
    expect(nchw.output.shape).toEqual([n, k, h, w]);
    const expected = channelsFirst(await nhwc.output.toFloat32Array(), n, h, w, k);
    expect(await nchw.output.toFloat32Array()).toEqual(expected);
    for (const t of [xc, wc, nhwc.output, nchw.output]) t.dispose();
  });

  it('fp16 tensors in and out: Uint16Array bits, error in the fp16 range', async () => {
    const xh = await device.tensor(toHalf(xData), { shape: [n, h, w, c], layout: 'nhwc' });
    const wh = await device.tensor(toHalf(wData), { shape: [k, 3, 3, c], layout: 'krsc' });
    const bh = await device.tensor(toHalf(bData), { shape: [k] });
    expect(xh.dtype).toBe('float16');
    const result = await device.conv2d(xh, wh, { bias: bh, padding: 1, relu: true, algorithm: 'winograd-f4' });
    expect(result.precision).toBe('fp16');
    const bits = await result.output.read();
    expect(bits).toBeInstanceOf(Uint16Array);
    const ref16 = await referenceConv2dF64(
      { n, c, h, w, k, r: 3, s: 3, padH: 1, padW: 1, layout: 'nhwc', filterLayout: 'krsc', relu: true },
      fromHalf(toHalf(xData)),
      fromHalf(toHalf(wData)),
      fromHalf(toHalf(bData)),
    );
    const error = relError(fromHalf(bits as Uint16Array), ref16);
    expect(error).toBeGreaterThan(1e-5); // really rounded to fp16 …
    expect(error).toBeLessThan(5e-3); // … but no worse than fp16 storage should make it
    for (const t of [xh, wh, bh, result.output]) t.dispose();
  });

  it('stride 2 with auto runs direct and says why; Winograd on it is E_UNSUPPORTED with the backend reason', async () => {
    const result = await device.conv2d(x, wt, { padding: 1, stride: 2 });
    expect(result.algorithm).toBe('direct');
    expect(result.reason).toBe('Winograd F(m,3) needs stride is 2×2, not 1');
    expect(result.output.shape).toEqual([n, 6, 5, k]);
    result.output.dispose();
    const error = await device.conv2d(x, wt, { stride: 2, algorithm: 'winograd-f6' }).catch((e: NovaError) => e);
    expect(error).toMatchObject({ code: 'E_UNSUPPORTED', message: 'winograd-f6 cannot run this convolution on cpu: Winograd F(m,3) needs stride is 2×2, not 1' });
  });

  it('many concurrent convolutions give exactly the serial results', async () => {
    const rng = new Rng(11);
    const inputs = await Promise.all(
      Array.from({ length: 12 }, () => device.tensor(uniform(rng, 1 * 16 * 16 * c), { shape: [1, 16, 16, c], layout: 'nhwc' })),
    );
    const algorithms = ['direct', 'winograd-f2', 'winograd-f4', 'winograd-f6'] as const;
    const options = (i: number) => ({ bias: b, padding: 1, algorithm: algorithms[i % algorithms.length] });
    const serial: Float32Array[] = [];
    for (const [i, input] of inputs.entries()) {
      const { output } = await device.conv2d(input, wt, options(i));
      serial.push(await output.toFloat32Array());
      output.dispose();
    }
    const concurrent = await Promise.all(inputs.map((input, i) => device.conv2d(input, wt, options(i))));
    for (const [i, result] of concurrent.entries()) {
      expect(result.algorithm).toBe(algorithms[i % algorithms.length]);
      expect(await result.output.toFloat32Array()).toEqual(serial[i]);
      result.output.dispose();
    }
    for (const t of inputs) t.dispose();
  });

  it('a convolution does not block the event loop', async () => {
    const rng = new Rng(3);
    const big = await device.tensor(uniform(rng, 64 * 64 * 64), { shape: [1, 64, 64, 64], layout: 'nhwc' });
    const bw = await device.tensor(uniform(rng, 64 * 9 * 64, 0.1), { shape: [64, 3, 3, 64], layout: 'krsc' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const result = await device.conv2d(big, bw, { padding: 1, algorithm: 'direct' });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    for (const t of [big, bw, result.output]) t.dispose();
  });

  it('a plan runs on inputs of different sizes and agrees with conv2d', async () => {
    const plan = await device.prepareConv(wt, { padding: 1, relu: true, algorithm: 'winograd-f6' });
    const direct = await device.conv2d(x, wt, { bias: b, padding: 1, relu: true, algorithm: 'winograd-f6' });
    const viaPlan = await plan.run(x, { bias: b });
    expect(await viaPlan.output.toFloat32Array()).toEqual(await direct.output.toFloat32Array());
    const small = await device.tensor(xData.subarray(0, 1 * 4 * 5 * c), { shape: [1, 4, 5, c], layout: 'nhwc' });
    const smallOut = await plan.run(small);
    expect(smallOut.output.shape).toEqual([1, 4, 5, k]);
    for (const t of [direct.output, viaPlan.output, small, smallOut.output]) t.dispose();
    plan.dispose();
  });
});
