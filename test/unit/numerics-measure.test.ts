// Measured fp16 error of the default transforms (the generated header's matrices) on seeded data through the CPU
// addon's emulation of the GPU pipeline, against a float64 direct convolution of the same fp16 operands.
// Small shapes (1×C×16×16): the full study is `npm run numerics:report` (docs/numerics.md).
import { describe, expect, it } from 'vitest';
import { loadCpuNative } from '../../src-ts/binding/cpu-native.js';
import { dataMoments, makeConvData } from '../../src-ts/numerics/data.js';
import { hasInfOrNaN, measureError } from '../../src-ts/numerics/measure.js';
import { predictError } from '../../src-ts/numerics/model.js';
import { searchPoints } from '../../src-ts/numerics/search.js';
import { exactTransform, toNumeric } from '../../src-ts/numerics/transform.js';
import { buildTransforms } from '../../src-ts/winograd/constants.js';

const { addon } = loadCpuNative();
const header = (m: number) => toNumeric(buildTransforms().find((t) => t.m === m)!);

describe('default transforms, fp16 storage', () => {
  it('F(6,3) on N(0,1) data, C = 256: within 5% of its 6e-3 target, not reliably below it (the target sits on the fp16-storage floor for any points, see docs/numerics.md)', async () => {
    const data = makeConvData('normal', 2024, 256, 8, 16, 16);
    const r = await measureError(addon, header(6), data, 'fp16');
    // The target sits on the fp16-storage floor of F(6,3) (model 5.92e-3; seeds scatter ±3%): 5% headroom.
    expect(r.relError).toBeGreaterThan(5e-3);
    expect(r.relError).toBeLessThan(6e-3 * 1.05);
    expect(hasInfOrNaN(r)).toBe(false);
  });

  it('compensated mode: F(6,3) ≤ 5e-4 and F(8,3) ≤ 1e-3 on N(0,1) data, C = 256', async () => {
    const data = makeConvData('normal', 2025, 256, 8, 16, 16);
    const f6 = await measureError(addon, header(6), data, 'compensated');
    const f8 = await measureError(addon, header(8), data, 'compensated');
    expect(f6.relError).toBeLessThan(5e-4);
    expect(f8.relError).toBeLessThan(1e-3);
    expect(f6.relError).toBeGreaterThan(1e-4); // the fp16 output rounding stays
  });

  it('zero Inf/NaN on the large-magnitude data with the default scaling; unscaled F(8,3) overflows', async () => {
    const data = makeConvData('heavy', 2026, 64, 8, 16, 16);
    for (const m of [4, 6, 8]) {
      for (const storage of ['fp16', 'compensated'] as const) {
        const r = await measureError(addon, header(m), data, storage);
        expect(hasInfOrNaN(r), `F(${m},3) ${storage}`).toBe(false);
        expect(r.relError).toBeLessThan(m === 8 && storage === 'fp16' ? 5e-2 : 1e-2);
      }
    }
    const unscaled = toNumeric(exactTransform(8, buildTransforms().find((t) => t.m === 8)!.points.map(String)));
    const before = await measureError(addon, unscaled, data, 'fp16');
    expect(before.stages.inputTransform.counts.inf + before.stages.filterTransform.counts.subnormal).toBeGreaterThan(0);
  });

  it('the model predicts the measurement within 2× (fp16 and compensated, three sets, two data kinds)', async () => {
    const sets: [number, string[]][] = [
      [4, ['0', '1', '-1', '2', '-2']],
      [6, ['0', '3/5', '-3/5', '1', '-1', '7/6', '-7/6']],
      [8, ['0', '2/5', '-2/5', '4/5', '-4/5', '5/4', '-5/4', '5/2', '-5/2']],
    ];
    for (const kind of ['normal', 'relu'] as const) {
      const data = makeConvData(kind, 2027, 64, 8, 16, 16);
      for (const [m, points] of sets) {
        const t = toNumeric(exactTransform(m, points));
        for (const storage of ['fp16', 'compensated'] as const) {
          const measured = (await measureError(addon, t, data, storage)).relError;
          const modelled = predictError({ transform: t, channels: 64, storage, ...dataMoments(kind) }).relError;
          expect(measured / modelled, `F(${m},3) ${kind} ${storage}`).toBeGreaterThan(0.5);
          expect(measured / modelled, `F(${m},3) ${kind} ${storage}`).toBeLessThan(2);
        }
      }
    }
  });
});

describe('point search', () => {
  it('is reproducible and finds Lavin’s points for F(6,3) under the model', async () => {
    const a = await searchPoints({ m: 6, budget: 400, seed: 3, maxDenominator: 4 });
    const b = await searchPoints({ m: 6, budget: 400, seed: 3, maxDenominator: 4 });
    expect(a.best.map((c) => c.points)).toEqual(b.best.map((c) => c.points));
    expect([...a.best[0]!.points].sort()).toEqual(['-1', '-1/2', '-2', '0', '1', '1/2', '2']);
  });
});
