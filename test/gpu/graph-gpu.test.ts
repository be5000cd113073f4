/**
 * The native graph executor on a real GPU against the float64 host reference: a miniature ESRGAN-shaped graph
 * with every node kind, every algorithm, captures, pool reuse across sizes, errors as rejections; and, with the
 * published weights, the full-size x4 fixture at ≥ 45 dB from float64. Skips visibly without a usable GPU.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GpuExecutor, loadGpuGraphAddon } from '../../src-ts/graph/gpu-executor.js';
import { tuneAlgorithms } from '../../src-ts/graph/tune.js';
import { GraphBuilder, type ConvWeights } from '../../src-ts/graph/graph.js';
import { fuseGraph } from '../../src-ts/graph/passes.js';
import { ReferenceExecutor } from '../../src-ts/graph/reference-executor.js';
import { CpuExecutor } from '../../src-ts/graph/cpu-executor.js';
import { psnr, rangeOf, relativeError } from '../../src-ts/graph/stats.js';
import { esrganAvailable, loadEsrgan, resolveEsrganModel } from '../../src-ts/models/esrgan/esrgan.js';
import { decodePng } from '../../src-ts/models/esrgan/image.js';

function gpuReason(): string | null {
  try {
    const addon = loadGpuGraphAddon();
    addon.memoryInfo?.(0);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}
const noGpu = gpuReason();

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function weights(rand: () => number, k: number, c: number): ConvWeights {
  const scale = 1 / Math.sqrt(9 * c);
  return {
    k,
    c,
    filter: Float32Array.from({ length: k * 9 * c }, () => (rand() * 2 - 1) * scale),
    bias: Float32Array.from({ length: k }, () => rand() * 0.2 - 0.1),
  };
}

function miniGraph() {
  const rand = random(3);
  const g = new GraphBuilder('mini-gpu', 3);
  const first = g.conv2d(g.input, weights(rand, 32, 3), { name: 'first' });
  const a = g.conv2d(first, weights(rand, 32, 32), { name: 'a', activation: { kind: 'relu' } });
  const cat = g.concat([first, a], 'cat');
  const b = g.conv2d(cat, weights(rand, 32, 64), { name: 'b', activation: { kind: 'leaky-relu', alpha: 0.2 } });
  const act = g.activation(g.scale(b, 0.5, 'half'), { kind: 'relu' }, 'relu');
  const sum = g.add(first, act, 'sum', 0.2);
  const pre = g.conv2d(sum, weights(rand, 48, 32), { name: 'pre' });
  const up = g.depthToSpace(pre, 4, 'up');
  return g.build(g.conv2d(up, weights(rand, 3, 3), { name: 'sr' }));
}

describe.skipIf(noGpu !== null)(`native graph executor on the GPU${noGpu ? ` — skipped: ${noGpu}` : ''}`, () => {
  it('matches the float64 reference for every algorithm, with captures and pool reuse across sizes', async () => {
    const graph = fuseGraph(miniGraph());
    const rand = random(8);
    for (const algorithm of ['direct', 'winograd-f2', 'winograd-f4', 'winograd-f6'] as const) {
      const executor = await GpuExecutor.create(graph, { algorithm: (conv) => (conv.weights.c >= 16 ? algorithm : 'direct') });
      try {
        for (const [h, w] of [[20, 13], [7, 9], [33, 31]] as const) {
          const input = Float32Array.from({ length: h * w * 3 }, () => rand());
          const ref = await new ReferenceExecutor(graph).run(input, h, w);
          const captured: string[] = [];
          const out = await executor.run(input, h, w, { onNode: ({ node }) => captured.push(node.name) });
          expect([out.height, out.width, out.channels]).toEqual([h * 4, w * 4, 3]);
          expect(rangeOf(out.output)).toMatchObject({ nan: 0, inf: 0 });
          expect(relativeError(out.output, ref.output)).toBeLessThan(algorithm === 'winograd-f6' ? 2e-2 : 5e-3);
          expect(captured).toEqual(graph.nodes.slice(1).map((n) => n.name));
        }
        expect(executor.pooledBytes()).toBeGreaterThan(0);
      } finally {
        executor.dispose();
      }
    }
  });

  it('graph replay (from the second run of a size) gives the eager result bit for bit', async () => {
    const graph = fuseGraph(miniGraph());
    const executor = await GpuExecutor.create(graph);
    try {
      const input = Float32Array.from({ length: 24 * 17 * 3 }, (_, i) => (i % 97) / 97);
      const runs = [];
      for (let i = 0; i < 4; i++) runs.push(await executor.run(input, 24, 17));
      expect(runs.map((r) => r.timings.graphReplays)).toEqual([0, 1, 1, 1]);
      for (const run of runs.slice(1)) expect(run.output).toEqual(runs[0].output);
      expect(executor.captureStatus()).toBe('on');
    } finally {
      executor.dispose();
    }
  });

  it('tuning times every candidate per conv shape and its policy runs the graph', async () => {
    const graph = fuseGraph(miniGraph());
    const tuned = await tuneAlgorithms(graph, { height: 16, width: 16, reps: 2 });
    const shapes = Object.keys(tuned.table);
    expect(shapes).toContain('32->32@1');
    for (const { ms, choice } of Object.values(tuned.table)) {
      expect(Number.isFinite(ms[choice])).toBe(true);
      for (const value of Object.values(ms)) expect(ms[choice]).toBeLessThanOrEqual(value as number);
    }
    const executor = await GpuExecutor.create(graph, { algorithm: tuned.policy });
    try {
      const input = Float32Array.from({ length: 9 * 9 * 3 }, (_, i) => (i % 13) / 13);
      const ref = await new ReferenceExecutor(graph).run(input, 9, 9);
      expect(relativeError((await executor.run(input, 9, 9)).output, ref.output)).toBeLessThan(2e-2);
    } finally {
      executor.dispose();
    }
  });

  it('rejects bad calls without crashing and refuses use after dispose', async () => {
    const executor = await GpuExecutor.create(fuseGraph(miniGraph()));
    await expect(executor.run(new Float32Array(5), 2, 2)).rejects.toThrow(/expected 2×2×3/);
    executor.dispose();
    await expect(executor.run(new Float32Array(12), 2, 2)).rejects.toThrow(/disposed/);
  });

  it.skipIf(!esrganAvailable(4))('ESRGAN x4 on the full fixture: ≥ 45 dB vs float64, no NaN/Inf', async () => {
    const model = await loadEsrgan({ scale: 4 });
    const photo = decodePng(readFileSync(join(resolveEsrganModel(4), '..', '..', '..', 'assets', 'fixture.png')));
    const reference = await new CpuExecutor(model.fused, { dtype: 'float64' }).run(photo.data, photo.height, photo.width);
    const executor = await GpuExecutor.create(model.fused);
    try {
      const out = await executor.run(photo.data, photo.height, photo.width);
      expect(rangeOf(out.output)).toMatchObject({ nan: 0, inf: 0 });
      expect(psnr(out.output, reference.output)).toBeGreaterThan(45);
    } finally {
      executor.dispose();
    }
  });
});
