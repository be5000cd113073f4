// nova_cpu.node straight through its typed surface: the direct reference against a naive float64 convolution,
// fp32 against fp64, Winograd F(m,3) (exact, fp16 storage, compensated) against the reference, stage statistics,
// NaN propagation, concurrency, and raw calls with bad arguments. Fresh seeded N(0,1) data, outputs poisoned with NaN.
import { describe, expect, it } from 'vitest';
import { convOutputSize, type CpuConvArgs, type CpuFloatArray, type CpuStorage, loadCpuNative } from '../../src-ts/binding/cpu-native.js';
import { roundToHalf } from '../../src-ts/util/fp16.js';
import { Rng } from '../../src-ts/util/random.js';
import { buildTransforms, cookToom } from '../../src-ts/winograd/index.js';
import { naiveConv, relativeError, type Shape, shape } from './cpu-helpers.js';

const { addon } = loadCpuNative();

interface Data {
  input: Float64Array;
  filter: Float64Array;
  bias: Float64Array | null;
}

function data(p: Shape, seed: number, withBias = true): Data {
  return {
    input: new Rng(seed).normals(p.n * p.c * p.h * p.w),
    filter: new Rng(seed + 1).normals(p.k * p.c * p.r * p.s),
    bias: withBias ? new Rng(seed + 2).normals(p.k) : null,
  };
}

function poisoned<A extends CpuFloatArray>(Type: { new (n: number): A }, p: Shape): A {
  const { outH, outW } = convOutputSize(p);
  const out = new Type(p.n * p.k * outH * outW);
  out.fill(Number.NaN);
  return out;
}

type Run = { algorithm: 'direct' } | { algorithm: 'winograd'; m: number; matrices?: CpuConvArgs['matrices'] };

async function conv<A extends CpuFloatArray>(
  Type: { new (n: number): A; from(values: ArrayLike<number>): A },
  p: Shape,
  d: Data,
  run: Run,
  storage: CpuStorage = 'exact',
  threads?: number,
) {
  const output = poisoned(Type, p);
  const stats = await addon.conv2d({
    ...p,
    input: Type.from(d.input),
    filter: Type.from(d.filter),
    bias: d.bias && Type.from(d.bias),
    output,
    ...run,
    storage,
    ...(threads === undefined ? {} : { threads }),
  });
  return { output, stats };
}

/** F(m,3) matrices from the TS generator, as the runtime override takes them. */
function generatedMatrices(m: number, points: readonly string[]) {
  return flatMatrices(cookToom(m, points));
}

/** The matrices the generated header holds for tile size m (default points and scaling). */
function headerMatrices(m: number) {
  return flatMatrices(buildTransforms().find((t) => t.m === m)!);
}

function flatMatrices(t: ReturnType<typeof cookToom>) {
  const flat = (rows: { toNumber(): number }[][]) => Float64Array.from(rows.flat().map((x) => x.toNumber()));
  return { at: flat(t.AT), g: flat(t.G), bt: flat(t.BT) };
}

const POINTS: Record<number, string[]> = {
  2: ['0', '1', '-1'],
  3: ['0', '1', '-1', '2'],
  4: ['0', '1', '-1', '2', '-2'],
  5: ['0', '1', '-1', '2', '-2', '1/2'],
  6: ['0', '1', '-1', '2', '-2', '1/2', '-1/2'],
  7: ['0', '1', '-1', '2', '-2', '1/2', '-1/2', '3'],
  8: ['0', '1', '-1', '2', '-2', '1/2', '-1/2', '4', '-4'],
};

const SHAPES: Shape[] = [
  shape({ n: 1, c: 3, h: 37, w: 53, k: 5 }),
  shape({ n: 2, c: 7, h: 13, w: 11, k: 1, padH: 0, padW: 0, layout: 'nchw', relu: true }),
  shape({ n: 3, c: 4, h: 9, w: 16, k: 6, padH: 2, padW: 2, relu: true }),
  shape({ n: 1, c: 16, h: 20, w: 19, k: 8, padH: 1, padW: 0, layout: 'nchw' }),
  shape({ n: 1, c: 2, h: 5, w: 8, k: 3, padH: 3, padW: 2, layout: 'nchw', relu: true }),
  shape({ n: 2, c: 3, h: 1, w: 1, k: 2 }),
];

describe('direct convolution', () => {
  const windows: Shape[] = [
    ...SHAPES,
    shape({ n: 2, c: 3, h: 15, w: 12, k: 4, strideH: 2, strideW: 2 }),
    shape({ n: 1, c: 5, h: 14, w: 17, k: 3, dilationH: 2, dilationW: 2, padH: 2, padW: 2, layout: 'nchw', relu: true }),
    shape({ n: 2, c: 2, h: 11, w: 10, k: 3, r: 5, s: 2, strideH: 3, strideW: 1, dilationH: 1, dilationW: 3, padH: 2, padW: 1 }),
    shape({ n: 1, c: 6, h: 7, w: 9, k: 4, r: 1, s: 1, padH: 0, padW: 0 }),
  ];

  it.each(windows.map((p, i) => [i, p] as const))('fp64 equals a naive float64 convolution (shape %i)', async (i, p) => {
    const d = data(p, 100 + i);
    const { output, stats } = await conv(Float64Array, p, d, { algorithm: 'direct' });
    expect(relativeError(output, naiveConv(p, d.input, d.filter, d.bias))).toBeLessThan(1e-14);
    expect(stats.output.count).toBe(output.length);
    expect(stats.inputTransform.count).toBe(0);
  });

  it.each(windows.map((p, i) => [i, p] as const))('fp32 agrees with fp64 (shape %i)', async (i, p) => {
    const d = data(p, 200 + i);
    const ref = await conv(Float64Array, p, d, { algorithm: 'direct' });
    const f32 = await conv(Float32Array, p, d, { algorithm: 'direct' });
    expect(relativeError(f32.output, ref.output)).toBeLessThan(1e-6);
  });

  it('fp16 storage: float accumulation, every output an fp16 value, error at the fp16 rounding level', async () => {
    const p = shape({ n: 1, c: 32, h: 24, w: 24, k: 8 });
    const d = data(p, 300);
    const ref = await conv(Float64Array, p, d, { algorithm: 'direct' });
    const { output, stats } = await conv(Float32Array, p, d, { algorithm: 'direct' }, 'fp16');
    for (const v of output) expect(roundToHalf(v)).toBe(v);
    const err = relativeError(output, ref.output);
    expect(err).toBeLessThan(5e-4);
    expect(err).toBeGreaterThan(1e-6);
    expect(stats.output.nan + stats.output.inf).toBe(0);
  });
});

describe('Winograd F(m,3), exact storage', () => {
  it.each([2, 3, 4, 5, 6, 7, 8])('fp64 F(%i,3) equals direct fp64 on every shape (rel < 1e-10)', async (m) => {
    const matrices = m % 2 === 0 ? undefined : generatedMatrices(m, POINTS[m]!);
    for (const [i, p] of SHAPES.entries()) {
      const d = data(p, 400 + 10 * m + i);
      const ref = await conv(Float64Array, p, d, { algorithm: 'direct' });
      const wino = await conv(Float64Array, p, d, { algorithm: 'winograd', m, ...(matrices ? { matrices } : {}) });
      expect(relativeError(wino.output, ref.output)).toBeLessThan(1e-10);
      const { outH, outW } = convOutputSize(p);
      const tiles = Math.ceil(outH / m) * Math.ceil(outW / m);
      expect(wino.stats.inputTransform.count).toBe(p.n * tiles * p.c * (m + 2) ** 2);
      expect(wino.stats.filterTransform.count).toBe(p.k * p.c * (m + 2) ** 2);
      expect(wino.stats.output.count).toBe(wino.output.length);
    }
  });

  it('the runtime matrices override gives the header results bit for bit when given the same matrices', async () => {
    const p = SHAPES[0]!;
    const d = data(p, 500);
    for (const m of [2, 4, 6, 8]) {
      const header = await conv(Float64Array, p, d, { algorithm: 'winograd', m });
      const override = await conv(Float64Array, p, d, { algorithm: 'winograd', m, matrices: headerMatrices(m) });
      expect(override.output).toEqual(header.output);
    }
  });

  it.each([2, 4, 6, 8])('fp32 F(%i,3) agrees with fp64 direct', async (m) => {
    const p = SHAPES[2]!;
    const d = data(p, 600 + m);
    const ref = await conv(Float64Array, p, d, { algorithm: 'direct' });
    const wino = await conv(Float32Array, p, d, { algorithm: 'winograd', m });
    const err = relativeError(wino.output, ref.output);
    expect(err).toBeLessThan(m === 8 ? 3e-4 : 1e-5);
  });
});

describe('Winograd F(6,3) with emulated fp16 storage (Lavin points, N(0,1) data, C = 64)', () => {
  // Inputs and filters are fp16 values (what a float16 tensor holds); the reference is float64 on those values.
  const p = shape({ n: 2, c: 64, h: 26, w: 26, k: 16 });
  const raw = data(p, 700);
  const d: Data = {
    input: raw.input.map(roundToHalf),
    filter: raw.filter.map(roundToHalf),
    bias: raw.bias!.map(roundToHalf),
  };

  it('fp16 storage error is in the expected range; compensated is far lower', async () => {
    const ref = await conv(Float64Array, p, d, { algorithm: 'direct' });
    const fp16 = await conv(Float32Array, p, d, { algorithm: 'winograd', m: 6 }, 'fp16');
    const compensated = await conv(Float32Array, p, d, { algorithm: 'winograd', m: 6 }, 'compensated');
    const errFp16 = relativeError(fp16.output, ref.output);
    const errCompensated = relativeError(compensated.output, ref.output);
    console.log(`F(6,3) Lavin, N(0,1), C=64: fp16 storage rel ${errFp16.toExponential(2)}, compensated ${errCompensated.toExponential(2)}`);
    expect(errFp16).toBeLessThan(2e-2);
    expect(errFp16).toBeGreaterThan(1e-5);
    expect(errCompensated).toBeLessThan(errFp16 / 5);
    for (const out of [fp16.output, compensated.output]) for (const v of out) expect(roundToHalf(v)).toBe(v);
  });

  it('fp64 arrays with fp16 storage give the same bits as fp32 arrays (the arithmetic is float either way)', async () => {
    const f32 = await conv(Float32Array, p, d, { algorithm: 'winograd', m: 6 }, 'fp16');
    const f64 = await conv(Float64Array, p, d, { algorithm: 'winograd', m: 6 }, 'fp16');
    expect(Array.from(f64.output)).toEqual(Array.from(f32.output));
  });

  it('stage statistics: counts, no overflow at unit scale, overflow and flush-to-zero at extreme scales', async () => {
    const unit = await conv(Float32Array, p, d, { algorithm: 'winograd', m: 6 }, 'fp16');
    for (const stage of [unit.stats.inputTransform, unit.stats.filterTransform, unit.stats.output]) {
      expect(stage.count).toBeGreaterThan(0);
      expect(stage.inf + stage.nan).toBe(0);
      expect(stage.maxAbs).toBeGreaterThan(1);
      expect(stage.maxAbs).toBeLessThan(65504);
    }
    const huge = await conv(Float32Array, p, { ...d, input: d.input.map((x) => x * 3000) }, { algorithm: 'winograd', m: 6 }, 'fp16');
    expect(huge.stats.inputTransform.inf).toBeGreaterThan(0);
    expect(huge.stats.inputTransform.maxAbs).toBeGreaterThan(65504);
    const tiny = await conv(Float32Array, p, { ...d, input: d.input.map((x) => x * 1e-7) }, { algorithm: 'winograd', m: 6 }, 'fp16');
    expect(tiny.stats.inputTransform.flushedToZero).toBeGreaterThan(0);
    expect(tiny.stats.inputTransform.subnormal).toBeGreaterThan(0);
    expect(tiny.stats.inputTransform.inf).toBe(0);
  });
});

describe('NaN propagation', () => {
  const p = shape({ n: 1, c: 4, h: 20, w: 20, k: 3 });
  const d = data(p, 800);
  const nanY = 9;
  const nanX = 4;
  d.input[(nanY * p.w + nanX) * p.c + 2] = Number.NaN; // NHWC, channel 2
  const touches = (oy: number, ox: number) => Math.abs(oy - nanY) <= 1 && Math.abs(ox - nanX) <= 1; // pad 1, 3×3
  const { outH, outW } = convOutputSize(p);

  it('direct: exactly the outputs whose window holds the NaN are NaN', async () => {
    const { output, stats } = await conv(Float64Array, p, d, { algorithm: 'direct' });
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let k = 0; k < p.k; k++) expect(Number.isNaN(output[(oy * outW + ox) * p.k + k]!)).toBe(touches(oy, ox));
    expect(stats.output.nan).toBe(9 * p.k);
  });

  it.each(['exact', 'fp16', 'compensated'] as const)('winograd (%s): those outputs are NaN; tiles away from it are not', async (storage) => {
    const { output, stats } = await conv(Float32Array, p, d, { algorithm: 'winograd', m: 4 }, storage);
    const tileOf = (v: number) => Math.floor(v / 4);
    const nearNaN = (oy: number, ox: number) => [-1, 0, 1].some((dy) => [-1, 0, 1].some((dx) => tileOf(oy) === tileOf(nanY + dy) && tileOf(ox) === tileOf(nanX + dx)));
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let k = 0; k < p.k; k++) {
          const v = output[(oy * outW + ox) * p.k + k]!;
          if (touches(oy, ox)) expect(v).toBeNaN();
          if (!nearNaN(oy, ox)) expect(Number.isFinite(v)).toBe(true);
        }
    expect(stats.inputTransform.nan).toBeGreaterThan(0);
  });
});

describe('concurrency and threads', () => {
  it('16 concurrent conv2d promises give bit-identical results to serial runs, for any thread count', async () => {
    const p = shape({ n: 2, c: 8, h: 23, w: 29, k: 6, relu: true });
    const jobs = Array.from({ length: 16 }, (_, i) => ({
      d: data(p, 900 + i),
      run: (i % 4 === 0 ? { algorithm: 'direct' } : { algorithm: 'winograd', m: 2 * (i % 4) }) as Run,
      storage: (['exact', 'fp16', 'compensated'] as const)[i % 3]!,
    }));
    const serial: Float32Array[] = [];
    for (const job of jobs) serial.push((await conv(Float32Array, p, job.d, job.run, job.storage)).output);
    const concurrent = await Promise.all(jobs.map((job, i) => conv(Float32Array, p, job.d, job.run, job.storage, 1 + (i % 3))));
    concurrent.forEach(({ output }, i) => expect(Array.from(output)).toEqual(Array.from(serial[i]!)));
  });
});

describe('off the JS thread', () => {
  it('timers keep firing while a conv2d computes', async () => {
    const p = shape({ n: 1, c: 64, h: 64, w: 64, k: 64 });
    const d = data(p, 950);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await conv(Float64Array, p, d, { algorithm: 'direct' }, 'exact', 1);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('raw calls with bad arguments throw, and nothing crashes', () => {
  const p = shape({ n: 1, c: 2, h: 6, w: 6, k: 2 });
  const good = (): Record<string, unknown> => ({
    ...p,
    input: new Float32Array(72).fill(1),
    filter: new Float32Array(36).fill(1),
    bias: null,
    output: new Float32Array(72),
    algorithm: 'winograd',
    m: 2,
    storage: 'fp16',
  });
  const shared = new Float32Array(200);
  const cases: [string, Record<string, unknown> | unknown, ErrorConstructor][] = [
    ['no object', undefined, TypeError],
    ['a number', 42, TypeError],
    ['missing n', { ...good(), n: undefined }, TypeError],
    ['n = 0', { ...good(), n: 0 }, RangeError],
    ['n = NaN', { ...good(), n: Number.NaN }, RangeError],
    ['c fractional', { ...good(), c: 1.5 }, RangeError],
    ['h huge', { ...good(), h: 2 ** 40 }, RangeError],
    ['k as string', { ...good(), k: '2' }, TypeError],
    ['negative pad', { ...good(), padH: -1 }, RangeError],
    ['stride 0', { ...good(), strideW: 0 }, RangeError],
    ['bad layout', { ...good(), layout: 'hwcn' }, RangeError],
    ['bad algorithm', { ...good(), algorithm: 'fft' }, RangeError],
    ['bad storage', { ...good(), storage: 'bf16' }, RangeError],
    ['relu missing', { ...good(), relu: undefined }, TypeError],
    ['input not typed', { ...good(), input: [1, 2, 3] }, TypeError],
    ['input Uint16Array', { ...good(), input: new Uint16Array(72) }, TypeError],
    ['mixed types', { ...good(), filter: new Float64Array(36) }, TypeError],
    ['input too short', { ...good(), input: new Float32Array(71) }, RangeError],
    ['output too long', { ...good(), output: new Float32Array(73) }, RangeError],
    ['bias wrong length', { ...good(), bias: new Float32Array(3) }, RangeError],
    ['winograd 5×5', { ...good(), r: 5, s: 5, filter: new Float32Array(100), output: new Float32Array(32) }, RangeError],
    ['winograd stride 2', { ...good(), strideH: 2, output: new Float32Array(36) }, RangeError],
    ['m = 9', { ...good(), m: 9 }, RangeError],
    ['m = 3 without matrices', { ...good(), m: 3 }, RangeError],
    ['matrices wrong size', { ...good(), matrices: { at: new Float64Array(3), g: new Float64Array(12), bt: new Float64Array(16) } }, RangeError],
    ['matrices not Float64Array', { ...good(), matrices: { at: new Float32Array(8), g: new Float64Array(12), bt: new Float64Array(16) } }, TypeError],
    ['filter larger than padded input', { ...good(), r: 9, s: 9, algorithm: 'direct', filter: new Float32Array(324) }, RangeError],
    ['threads 0', { ...good(), threads: 0 }, RangeError],
    ['output overlaps input', { ...good(), input: shared.subarray(0, 72), output: shared.subarray(50, 122) }, RangeError],
  ];

  it.each(cases)('%s', (_name, args, Kind) => {
    expect(() => (addon.conv2d as (a: unknown) => unknown)(args)).toThrow(Kind);
  });

  it('the addon still works after all of them', async () => {
    const args = good();
    const stats = await addon.conv2d(args as unknown as CpuConvArgs);
    expect(stats.output.count).toBe(72);
    expect((args.output as Float32Array)[(2 * 6 + 2) * 2]).toBe(18); // interior: 2 channels × 9 taps × 1
  });

  it('version() reports Node-API 8, threads and the compiler', () => {
    const v = addon.version();
    expect(v.napi).toBe(8);
    expect(v.threads).toBeGreaterThanOrEqual(1);
    expect(v.compiler).toMatch(/\S/);
  });
});
