/**
 * Measured per-layer algorithm choice: for every distinct conv shape of a graph (C → K, activation), times each
 * candidate algorithm on the GPU at the image size that will be served (device events around the node only,
 * median of a few runs of a one-conv graph) and picks the fastest. ESRGAN has 9 distinct shapes among its 154
 * convs, so tuning costs a few seconds once per executor.
 */
import type { Algorithm } from '../backends/backend.js';
import { GpuExecutor, type AlgorithmPolicy } from './gpu-executor.js';
import { GraphBuilder, type Graph, type GraphNode } from './graph.js';

type ConvNode = Extract<GraphNode, { op: 'conv2d' }>;

export interface TuneOptions {
  readonly height: number;
  readonly width: number;
  readonly candidates?: readonly Algorithm[];
  readonly reps?: number;
  readonly device?: number;
}

export interface TuneResult {
  readonly policy: AlgorithmPolicy;
  /** Per shape key "C->K@upscale": median ms of each candidate (Infinity when it failed) and the choice. */
  readonly table: Readonly<Record<string, { readonly ms: Readonly<Partial<Record<Algorithm, number>>>; readonly choice: Algorithm }>>;
}

const shapeKey = (node: ConvNode): string => `${node.weights.c}->${node.weights.k}@${node.upscale}`;

export async function tuneAlgorithms(graph: Graph, options: TuneOptions): Promise<TuneResult> {
  const candidates = options.candidates ?? ['direct', 'winograd-f2', 'winograd-f4', 'winograd-f6'];
  const reps = options.reps ?? 5;
  const shapes = new Map<string, ConvNode>();
  for (const node of graph.nodes) if (node.op === 'conv2d' && !shapes.has(shapeKey(node))) shapes.set(shapeKey(node), node);

  const table: Record<string, { ms: Partial<Record<Algorithm, number>>; choice: Algorithm }> = {};
  for (const [key, node] of shapes) {
    const h = options.height * node.upscale;
    const w = options.width * node.upscale;
    const builder = new GraphBuilder(`tune ${key}`, node.weights.c);
    const single = builder.build(builder.conv2d(builder.input, node.weights, { name: key, activation: node.activation }));
    const input = Float32Array.from({ length: h * w * node.weights.c }, (_, i) => ((i * 7919) % 1000) / 1000);
    const ms: Partial<Record<Algorithm, number>> = {};
    for (const algorithm of candidates) {
      let executor: GpuExecutor | undefined;
      try {
        executor = await GpuExecutor.create(single, { algorithm, device: options.device, captureGraphs: false });
        await executor.run(input, h, w); // warm-up
        const times: number[] = [];
        for (let i = 0; i < reps; i++) times.push((await executor.run(input, h, w)).timings.compute);
        ms[algorithm] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
      } catch {
        ms[algorithm] = Infinity; // cannot run this shape: never chosen
      } finally {
        executor?.dispose();
      }
    }
    const choice = candidates.reduce((best, a) => ((ms[a] ?? Infinity) < (ms[best] ?? Infinity) ? a : best), candidates[0]);
    table[key] = { ms, choice };
  }
  return { policy: (conv) => table[shapeKey(conv)]?.choice ?? 'direct', table };
}
