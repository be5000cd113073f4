// CpuBackend (src-ts/backends/cpu-backend.ts) through the Backend contract: float32 exact, float16 with the GPU's
// fp16 numerics, KRSC and KCRS filters, prepared filters, the auto rule, and its errors.
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../src-ts/api/errors.js';
import type { Algorithm, ConvProblem, DType, Storage, TensorDesc, WinogradPrecision } from '../../src-ts/backends/backend.js';
import { cpuBackendInfo, createCpuBackend } from '../../src-ts/backends/cpu-backend.js';
import { convOutputSize, referenceConv2dF64, SAME_3X3 } from '../../src-ts/binding/cpu-native.js';
import { float32FromHalfBits, halfBitsFromArray, roundToHalf } from '../../src-ts/util/fp16.js';
import { Rng } from '../../src-ts/util/random.js';
import { relativeError } from './cpu-helpers.js';

function problem(partial: Partial<ConvProblem> & Pick<ConvProblem, 'n' | 'c' | 'h' | 'w' | 'k'>): ConvProblem {
  const p = {
    ...SAME_3X3,
    layout: 'nhwc' as const,
    filterLayout: 'krsc' as const,
    dtype: 'float32' as DType,
    hasBias: true,
    relu: false,
    ...partial,
  };
  return { ...p, ...convOutputSize(p) };
}

const backend = createCpuBackend();

async function tensor(desc: TensorDesc, values: Float64Array): Promise<Storage> {
  const storage = backend.allocate(desc);
  const data = desc.dtype === 'float16' ? halfBitsFromArray(values) : Float32Array.from(values);
  await backend.write(storage, desc, data);
  return storage;
}

/** Runs `p` on the backend with seeded data; returns the output values and the float64 reference on the same
 *  (dtype-rounded) operands. */
async function run(p: ConvProblem, algorithm: Algorithm, precision: WinogradPrecision = 'fp16', seed = 1, prepare = false) {
  const act = (shape: number[]): TensorDesc => ({ dtype: p.dtype, layout: p.layout, shape });
  const inputDesc = act(p.layout === 'nhwc' ? [p.n, p.h, p.w, p.c] : [p.n, p.c, p.h, p.w]);
  const outputDesc = act(p.layout === 'nhwc' ? [p.n, p.outH, p.outW, p.k] : [p.n, p.k, p.outH, p.outW]);
  const filterDesc: TensorDesc = {
    dtype: p.dtype,
    layout: p.filterLayout,
    shape: p.filterLayout === 'krsc' ? [p.k, p.r, p.s, p.c] : [p.k, p.c, p.r, p.s],
  };
  const round = p.dtype === 'float16' ? roundToHalf : Math.fround;
  const inputValues = new Rng(seed).normals(p.n * p.c * p.h * p.w).map(round);
  const filterValues = new Rng(seed + 1).normals(p.k * p.c * p.r * p.s).map(round);
  const biasValues = new Rng(seed + 2).normals(p.k).map(round);
  const input = await tensor(inputDesc, inputValues);
  const filterStorage = await tensor(filterDesc, filterValues);
  const bias = p.hasBias ? await tensor({ dtype: p.dtype, layout: 'vector', shape: [p.k] }, biasValues) : null;
  const output = backend.allocate(outputDesc);
  const poison = p.dtype === 'float16' ? new Uint16Array(output.bytes / 2).fill(0x7e00) : new Float32Array(output.bytes / 4).fill(Number.NaN);
  await backend.write(output, outputDesc, poison);
  const filter = prepare ? await backend.prepareFilter(filterStorage, p, algorithm, precision) : filterStorage;
  const info = await backend.conv2d({ problem: p, algorithm, precision, input, filter, bias, output });
  const raw = await backend.read(output, outputDesc);
  const values = raw instanceof Uint16Array ? float32FromHalfBits(raw) : raw;
  const reference = await referenceConv2dF64(
    { ...p, filterLayout: p.filterLayout },
    inputValues,
    filterValues,
    p.hasBias ? biasValues : null,
  );
  return { info, values, reference, raw };
}

describe('CpuBackend', () => {
  it('reports itself available with the addon path and thread count', () => {
    const info = cpuBackendInfo();
    expect(info).toMatchObject({ kind: 'cpu', available: true });
    expect(info.addonPath).toMatch(/nova_cpu\.node$/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['direct', 'nhwc', 'krsc'],
    ['winograd-f2', 'nchw', 'kcrs'],
    ['winograd-f4', 'nhwc', 'kcrs'],
    ['winograd-f6', 'nchw', 'krsc'],
  ] as const)('float32 %s (%s, %s filter) matches float64 (rel < 1e-5)', async (algorithm, layout, filterLayout) => {
    const p = problem({ n: 2, c: 5, h: 19, w: 22, k: 7, layout, filterLayout, relu: true });
    const { info, values, reference } = await run(p, algorithm);
    expect(relativeError(values, reference)).toBeLessThan(algorithm === 'direct' ? 1e-6 : 1e-5);
    expect(info).toMatchObject({ backend: 'cpu', algorithm, layoutConverted: false });
    expect(info.precision).toBeUndefined();
  });

  it('float32 direct with stride 2 and dilation 2', async () => {
    const p = problem({ n: 1, c: 3, h: 17, w: 15, k: 4, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, padH: 2, padW: 2 });
    const { values, reference } = await run(p, 'direct');
    expect(relativeError(values, reference)).toBeLessThan(1e-6);
  });

  it('float16 winograd-f6: fp16 storage error in range, compensated lower, RunInfo says what ran', async () => {
    const p = problem({ n: 1, c: 64, h: 24, w: 24, k: 8, dtype: 'float16' });
    const fp16 = await run(p, 'winograd-f6', 'fp16', 7);
    const compensated = await run(p, 'winograd-f6', 'compensated', 7);
    const errFp16 = relativeError(fp16.values, fp16.reference);
    const errCompensated = relativeError(compensated.values, compensated.reference);
    expect(errFp16).toBeGreaterThan(1e-5);
    expect(errFp16).toBeLessThan(2e-2);
    expect(errCompensated).toBeLessThan(errFp16 / 5);
    expect(fp16.info).toMatchObject({ algorithm: 'winograd-f6', precision: 'fp16' });
    expect(fp16.info.path).toMatch(/F\(6,3\) fp16-storage emulation/);
    expect(compensated.info.precision).toBe('compensated');
  });

  it('float16 direct: float accumulation, fp16 output', async () => {
    const p = problem({ n: 2, c: 16, h: 12, w: 13, k: 5, dtype: 'float16', layout: 'nchw' });
    const { info, values, reference } = await run(p, 'direct');
    expect(relativeError(values, reference)).toBeLessThan(1e-3);
    expect(info.path).toMatch(/fp16 output/);
    expect(info.precision).toBeUndefined();
  });

  it('a prepared filter gives the same bits as the raw filter', async () => {
    const p = problem({ n: 1, c: 6, h: 14, w: 14, k: 4, dtype: 'float16' });
    const raw = await run(p, 'winograd-f4', 'fp16', 3, false);
    const prepared = await run(p, 'winograd-f4', 'fp16', 3, true);
    expect(Array.from(prepared.raw)).toEqual(Array.from(raw.raw));
    expect(prepared.info.path).toMatch(/prepared KCRS filter/);
  });

  it('canImplement: Winograd needs 3×3, stride 1, dilation 1; direct takes anything', () => {
    const base = problem({ n: 1, c: 1, h: 8, w: 8, k: 1 });
    expect(backend.canImplement(base, 'winograd-f6')).toEqual({ ok: true });
    expect(backend.canImplement(base, 'winograd-f8')).toEqual({ ok: true });
    const strided = backend.canImplement(problem({ n: 1, c: 1, h: 8, w: 8, k: 1, strideH: 2, strideW: 2 }), 'winograd-f4');
    expect(strided.ok).toBe(false);
    expect(!strided.ok && strided.reason).toMatch(/stride is 2×2/);
    const big = backend.canImplement(problem({ n: 1, c: 1, h: 8, w: 8, k: 1, r: 5, s: 5, padH: 2, padW: 2 }), 'winograd-f2');
    expect(!big.ok && big.reason).toMatch(/5×5/);
    expect(backend.canImplement(problem({ n: 1, c: 1, h: 8, w: 8, k: 1, dilationH: 2, dilationW: 2, padH: 2, padW: 2 }), 'direct')).toEqual({ ok: true });
  });

  it('chooseAlgorithm: the largest tile with 2×2 full tiles of output, else direct', () => {
    const pick = (partial: Partial<ConvProblem> & Pick<ConvProblem, 'h' | 'w'>) =>
      backend.chooseAlgorithm(problem({ n: 1, c: 8, k: 8, ...partial })).algorithm;
    expect(pick({ h: 56, w: 56 })).toBe('winograd-f6');
    expect(pick({ h: 12, w: 40 })).toBe('winograd-f6');
    expect(pick({ h: 11, w: 40 })).toBe('winograd-f4');
    expect(pick({ h: 7, w: 7 })).toBe('winograd-f2');
    expect(pick({ h: 3, w: 3 })).toBe('direct');
    expect(pick({ h: 56, w: 56, strideH: 2, strideW: 2 })).toBe('direct');
    expect(pick({ h: 56, w: 56, r: 1, s: 1, padH: 0, padW: 0 })).toBe('direct');
  });

  it('rejects what it cannot run, wrong data types, and use after dispose', async () => {
    const p = problem({ n: 1, c: 2, h: 9, w: 9, k: 2, strideH: 2, strideW: 2 });
    const storage = backend.allocate({ dtype: 'float32', layout: 'nhwc', shape: [1, 9, 9, 2] });
    const call = { problem: p, algorithm: 'winograd-f4' as const, precision: 'fp16' as const, input: storage, filter: storage, bias: null, output: storage };
    await expect(backend.conv2d(call)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    await expect(backend.write(storage, { dtype: 'float32', layout: 'nhwc', shape: [1, 9, 9, 2] }, new Uint16Array(162))).rejects.toMatchObject({ code: 'E_DTYPE' });
    await expect(backend.write(storage, { dtype: 'float32', layout: 'nhwc', shape: [1, 9, 9, 2] }, new Float32Array(5))).rejects.toMatchObject({ code: 'E_SHAPE' });
    storage.free();
    storage.free();
    await expect(backend.read(storage, { dtype: 'float32', layout: 'nhwc', shape: [1, 9, 9, 2] })).rejects.toBeInstanceOf(NovaError);
    const other = createCpuBackend();
    other.dispose();
    expect(() => other.allocate({ dtype: 'float16', layout: 'vector', shape: [4] })).toThrow(/disposed/);
  });
});
