/**
 * The graph runtime on the host: ops against independent naive formulas, fusion keeps the function, the memory
 * plan never overwrites a live tensor, and the CPU executor (nova_cpu.node) agrees with the TypeScript reference.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src-ts/binding/load.js';
import { CpuExecutor } from '../../src-ts/graph/cpu-executor.js';
import { buildNativeSpec } from '../../src-ts/graph/gpu-executor.js';
import { countOps, GraphBuilder, type ConvWeights, type Graph } from '../../src-ts/graph/graph.js';
import { conv3x3, depthToSpace } from '../../src-ts/graph/host-ops.js';
import { fuseGraph, planMemory } from '../../src-ts/graph/passes.js';
import { ReferenceExecutor } from '../../src-ts/graph/reference-executor.js';
import { psnr, relativeError } from '../../src-ts/graph/stats.js';
import { Rng } from '../../src-ts/util/random.js';

function weights(rng: Rng, k: number, c: number, bias = true): ConvWeights {
  const scale = 1 / Math.sqrt(9 * c);
  return {
    k,
    c,
    filter: Float32Array.from({ length: k * 9 * c }, () => (rng.uniform() * 2 - 1) * scale),
    bias: bias ? Float32Array.from({ length: k }, () => rng.uniform() * 0.2 - 0.1) : null,
  };
}

/** A miniature ESRGAN: conv, two dense blocks (conv+relu, concat), fusion conv, 0.2 residual scale, pixel shuffle. */
function miniEsrgan(seed = 1, block = 2): Graph {
  const rng = new Rng(seed);
  const g = new GraphBuilder('mini', 3);
  const first = g.conv2d(g.input, weights(rng, 8, 3), { name: 'first' });
  let x = first;
  for (let rdb = 0; rdb < 2; rdb++) {
    let cat = x;
    let channels = 8;
    for (let i = 0; i < 2; i++) {
      const f = g.conv2d(cat, weights(rng, 4, channels), { name: `f${rdb}_${i}` });
      const r = g.activation(f, { kind: 'relu' }, `f${rdb}_${i}_relu`);
      cat = g.concat([cat, r], `cat${rdb}_${i}`);
      channels += 4;
    }
    const lff = g.conv2d(cat, weights(rng, 8, channels), { name: `lff${rdb}` });
    const scaled = g.scale(lff, 0.2, `beta${rdb}`);
    x = g.add(x, scaled, `res${rdb}`);
  }
  const scaledTrunk = g.scale(x, 0.2, 'beta_trunk');
  const trunk = g.add(first, scaledTrunk, 'grl');
  const pre = g.conv2d(trunk, weights(rng, 3 * block * block, 8), { name: 'pre' });
  const shuffled = g.depthToSpace(pre, block, 'shuffle');
  return g.build(g.conv2d(shuffled, weights(rng, 3, 3), { name: 'sr' }));
}

function image(rng: Rng, h: number, w: number, c = 3): Float32Array {
  return Float32Array.from({ length: h * w * c }, () => rng.uniform());
}

const cpuAddon = loadAddon('nova_cpu');

describe('host ops', () => {
  it('conv3x3 matches the definition (same padding, bias, ReLU and LeakyReLU)', () => {
    const rng = new Rng(7);
    const [h, w, c, k] = [5, 6, 3, 4];
    const input = Float64Array.from(image(rng, h, w, c));
    const wt = weights(rng, k, c);
    for (const activation of [{ kind: 'none' }, { kind: 'relu' }, { kind: 'leaky-relu', alpha: 0.1 }] as const) {
      const out = new Float64Array(h * w * k);
      conv3x3(input, h, w, wt, activation, out);
      let checked = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let kk = 0; kk < k; kk++) {
            let sum = wt.bias![kk];
            for (let r = 0; r < 3; r++) {
              for (let s = 0; s < 3; s++) {
                const iy = y + r - 1;
                const ix = x + s - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                for (let cc = 0; cc < c; cc++) sum += input[(iy * w + ix) * c + cc] * wt.filter[((kk * 3 + r) * 3 + s) * c + cc];
              }
            }
            const expected = activation.kind === 'none' ? sum : sum > 0 ? sum : activation.kind === 'relu' ? 0 : sum * 0.1;
            expect(out[(y * w + x) * k + kk]).toBeCloseTo(expected, 12);
            checked++;
          }
        }
      }
      expect(checked).toBe(h * w * k);
    }
  });

  it("depthToSpace follows TensorFlow's DCR order (not PyTorch's CRD pixel_shuffle)", () => {
    // One pixel, 8 channels, block 2 → 2×2 pixels of 2 channels: out[i][j][c] = in[(i·2 + j)·2 + c].
    const input = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const out = new Float64Array(8);
    depthToSpace(input, 1, 1, 8, 2, out);
    expect([...out]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Two pixels in a row, 4 channels, block 2, one output channel: rows interleave per source pixel.
    const wide = Float64Array.from([10, 11, 12, 13, 20, 21, 22, 23]);
    const out2 = new Float64Array(8);
    depthToSpace(wide, 1, 2, 4, 2, out2);
    expect([...out2]).toEqual([10, 11, 20, 21, 12, 13, 22, 23]);
  });
});

describe('graph builder and passes', () => {
  it('refuses shape errors with E_SHAPE and names the node', () => {
    const rng = new Rng(3);
    const g = new GraphBuilder('bad', 3);
    expect(() => g.conv2d(g.input, weights(rng, 4, 5), { name: 'c1' })).toThrow(/c1 expects 5 input channels/);
    const a = g.conv2d(g.input, weights(rng, 4, 3), { name: 'a' });
    const b = g.conv2d(g.input, weights(rng, 5, 3), { name: 'b' });
    expect(() => g.add(a, b, 'sum')).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(() => g.depthToSpace(b, 2, 'd2s')).toThrow(/divisible by 4/);
    expect(() => g.conv2d(g.input, weights(rng, 4, 3), { name: 'a' })).toThrow(/duplicate node name a/);
  });

  it('fusion moves ReLU into convs, folds scales into convs and adds, and keeps the function', async () => {
    const graph = miniEsrgan();
    const fused = fuseGraph(graph);
    expect(countOps(graph)).toMatchObject({ conv2d: 9, activation: 4, scale: 3, add: 3 });
    expect(countOps(fused)).toMatchObject({ conv2d: 9, activation: 0, scale: 0, add: 3 });
    const input = image(new Rng(11), 7, 5);
    const a = await new ReferenceExecutor(graph).run(input, 7, 5);
    const b = await new ReferenceExecutor(fused).run(input, 7, 5);
    expect([a.height, a.width, a.channels]).toEqual([14, 10, 3]);
    expect(relativeError(b.output, a.output)).toBeLessThan(1e-6); // float32 output of two float64 runs
    expect(relativeError(b.output, a.output)).toBeGreaterThanOrEqual(0);
  });

  it('the memory plan never overwrites a tensor that is still to be read', () => {
    for (const graph of [miniEsrgan(), fuseGraph(miniEsrgan(2, 3))]) {
      const plan = planMemory(graph);
      const holder = new Map<number, number>(); // slot → node whose output it holds
      for (const node of graph.nodes) {
        const slot = plan.slotOf[node.id];
        const previous = holder.get(slot);
        if (previous !== undefined) expect(plan.lastUse[previous]).toBeLessThan(node.id);
        const units = node.channels * node.upscale * node.upscale;
        expect(plan.slotUnits[slot]).toBeGreaterThanOrEqual(units);
        holder.set(slot, node.id);
      }
      expect(plan.slotUnits.reduce((s, u) => s + u, 0)).toBeLessThan(plan.unpooledUnits);
    }
  });

  it('the native spec names slots, per-layer algorithms and folded factors', () => {
    const graph = fuseGraph(miniEsrgan());
    const { spec, algorithms } = buildNativeSpec(graph, planMemory(graph), {
      algorithm: (conv) => (conv.weights.c >= 8 ? 'winograd-f4' : 'direct'),
    });
    expect(spec.steps).toHaveLength(graph.nodes.length - 1);
    expect(algorithms).toEqual(['direct', 'winograd-f4', 'winograd-f4', 'winograd-f4', 'winograd-f4', 'winograd-f4', 'winograd-f4', 'winograd-f4', 'direct']);
    const adds = spec.steps.filter((s) => s.op === 'add');
    // The two 0.2 scales after fusion convs went into those convs' weights; the trunk's into its add.
    expect(adds.map((s) => s.factor)).toEqual([1, 1, 0.2]);
    const d2s = spec.steps.find((s) => s.op === 'depth-to-space')!;
    expect([d2s.block, d2s.upscale, d2s.inputUpscale, d2s.channels]).toEqual([2, 2, 1, 3]);
    for (const step of spec.steps) expect(step.inputs).not.toContain(step.out);
  });

  it('the native spec, interpreted step by step on the host like graph_executor.cpp, computes the graph', async () => {
    const graph = fuseGraph(miniEsrgan(4, 3));
    const { spec } = buildNativeSpec(graph, planMemory(graph));
    const [h, w] = [5, 7];
    const input = image(new Rng(6), h, w);
    const slots = spec.slotUnits.map((units) => new Float64Array(units * h * w));
    slots[spec.inputSlot].set(input);
    for (const step of spec.steps) {
      const inH = h * step.inputUpscale;
      const inW = w * step.inputUpscale;
      const count = h * step.upscale * w * step.upscale * step.channels;
      const out = slots[step.out];
      const src = step.inputs.map((slot, i) => slots[slot].subarray(0, inH * inW * step.inputChannels[i]));
      if (step.op === 'conv2d') {
        const conv = spec.convs[step.conv] as { k: number; c: number; filter: Float32Array; bias: Float32Array | null; relu: boolean };
        conv3x3(src[0], inH, inW, conv, conv.relu ? { kind: 'relu' } : { kind: 'none' }, out);
      } else if (step.op === 'concat') {
        let offset = 0;
        step.inputs.forEach((_, i) => {
          for (let p = 0; p < inH * inW; p++) {
            for (let c = 0; c < step.inputChannels[i]; c++) out[p * step.channels + offset + c] = src[i][p * step.inputChannels[i] + c];
          }
          offset += step.inputChannels[i];
        });
      } else if (step.op === 'add') {
        for (let i = 0; i < count; i++) out[i] = src[0][i] + step.factor * src[1][i];
      } else if (step.op === 'depth-to-space') {
        depthToSpace(src[0], inH, inW, step.inputChannels[0], step.block, out);
      } else {
        throw new Error(`unexpected op ${step.op} after fusion`);
      }
    }
    const last = graph.nodes[graph.output];
    const result = slots[spec.outputSlot].subarray(0, h * w * last.channels * last.upscale * last.upscale);
    const ref = await new ReferenceExecutor(graph).run(input, h, w);
    expect(relativeError(result, ref.output)).toBeLessThan(1e-6);
  });
});

describe.skipIf(!cpuAddon.ok)(`CPU executor (nova_cpu.node)${cpuAddon.ok ? '' : ' — skipped: CPU addon not built'}`, () => {
  it('float64 agrees with the TypeScript reference; float32 and fp16 emulation stay close; NaN never passes', async () => {
    const graph = fuseGraph(miniEsrgan(5));
    const input = image(new Rng(9), 9, 6);
    const ref = await new ReferenceExecutor(graph).run(input, 9, 6);
    const f64 = await new CpuExecutor(graph, { dtype: 'float64', threads: 1 }).run(input, 9, 6);
    const f32 = await new CpuExecutor(graph, { threads: 1 }).run(input, 9, 6);
    const half = await new CpuExecutor(graph, { emulateFp16: true, algorithm: 'winograd-f4', threads: 1 }).run(input, 9, 6);
    expect(relativeError(f64.output, ref.output)).toBeLessThan(1e-7);
    expect(relativeError(f32.output, ref.output)).toBeLessThan(1e-5);
    const halfError = relativeError(half.output, ref.output);
    expect(halfError).toBeGreaterThan(1e-6); // the rounding really happens
    expect(halfError).toBeLessThan(5e-3);
    const poisoned = Float32Array.from(f32.output);
    poisoned[3] = Number.NaN;
    expect(psnr(poisoned, ref.output) >= 45).toBe(false);
  });

  it('captures every node output through onNode', async () => {
    const graph = fuseGraph(miniEsrgan());
    const seen: string[] = [];
    await new CpuExecutor(graph, { threads: 1 }).run(image(new Rng(2), 4, 4), 4, 4, {
      onNode: ({ node, data, height, width }) => {
        expect(data.length).toBe(height * width * node.channels);
        seen.push(node.name);
      },
    });
    expect(seen).toEqual(graph.nodes.map((n) => n.name));
  });
});
