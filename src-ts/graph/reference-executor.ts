/**
 * Runs a graph in TypeScript with float64 (or float32) storage and float64 arithmetic: the yardstick the GPU's
 * FP16 output is measured against. Slow (a few hundred MMAC/s); it yields to the event loop between nodes but
 * one large convolution still blocks it, so it is for tests and accuracy checks, not for serving.
 */
import { NovaError } from '../api/errors.js';
import type { GraphExecutor, GraphRunResult, RunOptions } from './executor.js';
import type { Graph, GraphNode } from './graph.js';
import { activateArray, addArrays, concatChannels, conv3x3, depthToSpace, scaleArray, type HostArray } from './host-ops.js';
import { planMemory, type MemoryPlan } from './passes.js';

export type ReferencePrecision = 'float64' | 'float32';

export class ReferenceExecutor implements GraphExecutor {
  readonly kind = 'reference' as const;
  readonly description: string;
  readonly #graph: Graph;
  readonly #plan: MemoryPlan;
  readonly #precision: ReferencePrecision;
  #disposed = false;

  constructor(graph: Graph, precision: ReferencePrecision = 'float64') {
    this.#graph = graph;
    this.#plan = planMemory(graph);
    this.#precision = precision;
    this.description = `reference executor (TypeScript, ${precision} storage, float64 arithmetic, single thread)`;
  }

  pooledBytes(): number {
    return 0;
  }

  dispose(): void {
    this.#disposed = true;
  }

  async run(input: Float32Array, height: number, width: number, options: RunOptions = {}): Promise<GraphRunResult> {
    if (this.#disposed) throw new NovaError('E_DISPOSED', 'reference executor has been disposed');
    return runOnHost(this.#graph, this.#plan, input, height, width, {
      storage: this.#precision === 'float64' ? Float64Array : Float32Array,
      conv: async (node, source, h, w, out) => {
        conv3x3(source, h, w, node.weights, node.activation, out);
        await new Promise((resolve) => setImmediate(resolve)); // let the event loop breathe between convs
      },
      onNode: options.onNode,
    });
  }
}

type ConvNode = Extract<GraphNode, { op: 'conv2d' }>;

export interface HostRunOptions {
  readonly storage: Float64ArrayConstructor | Float32ArrayConstructor;
  readonly conv: (node: ConvNode, input: HostArray, h: number, w: number, output: HostArray) => Promise<void>;
  /** Applied to every element a non-conv node writes (fp16 emulation); convs round on their own. */
  readonly round?: (value: number) => number;
  readonly onNode?: RunOptions['onNode'];
}

/** Runs a graph on host arrays: the shared loop of the reference and CPU executors, differing only in `conv`. */
export async function runOnHost(
  graph: Graph,
  plan: MemoryPlan,
  input: Float32Array,
  height: number,
  width: number,
  options: HostRunOptions,
): Promise<GraphRunResult> {
  checkInput(input, height, width, graph.nodes[0].channels);
  const started = performance.now();
  let convMs = 0;
  const pixels = height * width;
  const slots: HostArray[] = plan.slotUnits.map((units) => new options.storage(units * pixels));
  const view = (id: number): HostArray => {
    const node = graph.nodes[id];
    return slots[plan.slotOf[id]].subarray(0, node.channels * node.upscale * node.upscale * pixels);
  };
  const round = options.round;

  for (const node of graph.nodes) {
    const out = view(node.id);
    const h = height * node.upscale;
    const w = width * node.upscale;
    const length = out.length;
    switch (node.op) {
      case 'input':
        out.set(input);
        break;
      case 'conv2d': {
        const convStarted = performance.now();
        await options.conv(node, view(node.inputs[0]), h, w, out);
        convMs += performance.now() - convStarted;
        break;
      }
      case 'concat':
        concatChannels(node.inputs.map(view), node.inputs.map((id) => graph.nodes[id].channels), h * w, out);
        break;
      case 'add':
        addArrays(view(node.inputs[0]), view(node.inputs[1]), node.factor, out, length);
        break;
      case 'scale':
        scaleArray(view(node.inputs[0]), node.factor, out, length);
        break;
      case 'activation':
        activateArray(view(node.inputs[0]), node.activation, out, length);
        break;
      case 'depth-to-space': {
        const source = graph.nodes[node.inputs[0]];
        depthToSpace(view(node.inputs[0]), height * source.upscale, width * source.upscale, source.channels, node.block, out);
        break;
      }
    }
    if (round && node.op !== 'conv2d') for (let i = 0; i < length; i++) out[i] = round(out[i]);
    options.onNode?.({ node, data: out, height: h, width: w });
  }
  const last = graph.nodes[graph.output];
  const output = Float32Array.from(view(graph.output));
  const total = performance.now() - started;
  return {
    output,
    height: height * last.upscale,
    width: width * last.upscale,
    channels: last.channels,
    timings: { conv: convMs, other: total - convMs, total },
  };
}

export function checkInput(input: Float32Array, height: number, width: number, channels: number): void {
  if (!(input instanceof Float32Array)) throw new NovaError('E_DTYPE', 'graph input must be a Float32Array (NHWC)');
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new NovaError('E_ARG', `graph input size must be positive integers, got ${height}×${width}`);
  }
  if (input.length !== height * width * channels) {
    throw new NovaError('E_SHAPE', `graph input has ${input.length} values, expected ${height}×${width}×${channels} = ${height * width * channels}`);
  }
}
