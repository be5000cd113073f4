/**
 * The bench's timing method on the device (src-hip/vendor/bench_worker.cpp): the calls cycle through buffer sets
 * totalling at least 3× L2 even where one set is small (a batch-1 layer), and every graph replay cycles through all of
 * them, so no timed call finds its operands in L2. Skips visibly without a GPU backend.
 */
import { describe, expect, it } from 'vitest';
import { loadBenchNative, type BenchTarget } from '../../src-ts/bench/native.js';
import { Rng } from '../../src-ts/util/random.js';
import { gpuInfo, gpuKind, noGpuReason, normalHalf } from './gpu-helpers.js';

if (gpuKind === undefined) {
  describe('GPU bench suite', () => {
    it.skip(`skipped: no GPU backend is available here (${noGpuReason})`, () => {});
  });
}

describe.skipIf(gpuKind === undefined)(`bench method on ${gpuInfo?.device ?? 'no device'} (${gpuKind})`, () => {
  it('rotates a batch-1 layer over ≥ 3× L2 of buffer sets, each graph replay through all of them', async () => {
    const loaded = loadBenchNative();
    if (!loaded.ok) throw new Error(loaded.reason);
    const native = loaded.native;
    // DenseNet-161's 192 → 48 layer at 7 × 7, batch 1: 0.18 MB a set.
    const [n, c, k, h, w] = [1, 192, 48, 7, 7];
    const rng = new Rng(25);
    const targets: BenchTarget[] = ['winograd-f2'];
    if (native.vendorInfo().available) targets.push('vendor');
    const result = await native.benchConv({
      n,
      c,
      h,
      w,
      k,
      layout: 'nhwc',
      input: normalHalf(rng, n * h * w * c),
      filter: normalHalf(rng, k * 9 * c),
      targets,
      warmup: 1,
      reps: 3,
      graph: true,
      callsPerReplay: 20,
      rotate: 0,
      samples: Uint32Array.from([0, 1, 2, 3]),
    });
    expect(result.bytesPerSet).toBe(2 * (n * c * h * w + k * c * 9 + n * k * h * w));
    expect(result.l2Bytes).toBeGreaterThan(0);
    expect(result.rotation * result.bytesPerSet).toBeGreaterThanOrEqual(3 * result.l2Bytes);
    expect(result.results.map((r) => r.label)).toEqual(targets);
    for (const r of result.results) {
      expect(r.ok, `${r.label}: ${r.reason ?? ''}`).toBe(true);
      expect(r.nonFinite).toBe(0);
      if (r.mode === 'graph') {
        expect(r.callsPerReplay).toBeGreaterThanOrEqual(result.rotation);
        expect(r.callsPerReplay % result.rotation).toBe(0);
      }
      for (const t of r.timesUs) expect(t).toBeGreaterThan(0);
    }
  });
});
