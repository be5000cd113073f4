/**
 * The GPU executor: hands the whole graph (memory plan, steps, weights) to the native graph executor of
 * nova_gpu.node (src-hip/graph/), which keeps every intermediate tensor on the device in pooled slots and runs
 * all nodes on the device's stream inside ONE AsyncWorker per inference. JS pays the binding cost once per image.
 * Storage is fp16 NHWC throughout; the image is converted from/to fp32 on the device.
 */
import { type Algorithm, WINOGRAD_TILE, type WinogradPrecision } from '../backends/backend.js';
import { NovaError } from '../api/errors.js';
import { loadAddon } from '../binding/load.js';
import type { GraphExecutor, GraphRunResult, RunOptions } from './executor.js';
import type { Graph, GraphNode } from './graph.js';
import { planMemory, type MemoryPlan } from './passes.js';
import { checkInput } from './reference-executor.js';

/** The native `Graph` class (src-hip/graph/graph_exports.hpp). */
interface NativeGraph {
  load(): Promise<void>;
  run(
    input: Float32Array,
    h: number,
    w: number,
    output: Float32Array,
    timings: Float64Array,
    captures?: [number, Float32Array][],
  ): Promise<void>;
  pooledBytes(): number;
  weightBytes(): number;
  captureStatus(): string;
  trim(): Promise<void>;
  dispose(): void;
}

interface GpuGraphAddon {
  platform?: string;
  Graph?: new (spec: object) => NativeGraph;
  memoryInfo?: (device: number) => { free: number; total: number };
}

type ConvNode = Extract<GraphNode, { op: 'conv2d' }>;

/** Which algorithm runs a conv: the node's own choice, else this policy. */
export type AlgorithmPolicy = Algorithm | ((conv: ConvNode) => Algorithm);

/**
 * Default per-layer choice: Winograd F(2,3) for every conv with at least 16 input and output channels (the
 * trunk), direct for the thin image-edge convs (3 channels), where Winograd's transforms cost more than they save.
 * F(2,3) has the lowest fp16 error of the tiles (ESRGAN chains 150 convs) and, on an H200, ran ESRGAN ×4 faster than
 * F(4,3) at 128², 256² and 512² inputs (docs/esrgan.md).
 */
export const DEFAULT_POLICY: AlgorithmPolicy = (conv) =>
  conv.weights.c >= 16 && conv.weights.k >= 16 ? 'winograd-f2' : 'direct';

export interface GpuExecutorOptions {
  readonly device?: number;
  readonly algorithm?: AlgorithmPolicy;
  readonly precision?: WinogradPrecision;
  /** Replay each image size's node sequence as a captured CUDA/HIP graph from its second run on (default true). */
  readonly captureGraphs?: boolean;
}

export function loadGpuGraphAddon(): GpuGraphAddon & { Graph: new (spec: object) => NativeGraph } {
  const loaded = loadAddon<GpuGraphAddon>('nova_gpu');
  if (!loaded.ok) throw new NovaError('E_BACKEND_UNAVAILABLE', `GPU backend unavailable: ${loaded.reason}`);
  if (typeof loaded.addon.Graph !== 'function') {
    throw new NovaError('E_BACKEND_UNAVAILABLE', `${loaded.path} was built without the graph executor (src-hip/graph); rebuild with \`npm run build:gpu\``);
  }
  return loaded.addon as GpuGraphAddon & { Graph: new (spec: object) => NativeGraph };
}

/** The plain object the native constructor checks and copies (field names match graph_exports.cpp). */
export function buildNativeSpec(graph: Graph, plan: MemoryPlan, options: GpuExecutorOptions = {}) {
  const policy = options.algorithm ?? DEFAULT_POLICY;
  const compensated = (options.precision ?? 'fp16') === 'compensated';
  const convs: object[] = [];
  const algorithms: Algorithm[] = [];
  const steps = graph.nodes.slice(1).map((node) => {
    const sources = node.inputs.map((id) => graph.nodes[id]);
    const step = {
      op: node.op,
      out: plan.slotOf[node.id],
      inputs: node.inputs.map((id) => plan.slotOf[id]),
      inputChannels: sources.map((source) => source.channels),
      channels: node.channels,
      upscale: node.upscale,
      inputUpscale: sources[0].upscale,
      conv: 0,
      factor: 1,
      negativeSlope: 0,
      block: 0,
    };
    switch (node.op) {
      case 'conv2d': {
        const algorithm = node.algorithm !== 'auto' ? node.algorithm : typeof policy === 'function' ? policy(node) : policy;
        algorithms.push(algorithm);
        step.conv = convs.length;
        convs.push({
          k: node.weights.k,
          c: node.weights.c,
          m: WINOGRAD_TILE[algorithm] ?? 0, // the native graph runs m = 0 as direct
          compensated,
          relu: node.activation.kind === 'relu',
          leaky: node.activation.kind === 'leaky-relu',
          negativeSlope: node.activation.kind === 'leaky-relu' ? node.activation.alpha : 0,
          filter: node.weights.filter,
          bias: node.weights.bias,
        });
        break;
      }
      case 'add':
      case 'scale':
        step.factor = node.factor;
        break;
      case 'activation':
        step.negativeSlope = node.activation.kind === 'leaky-relu' ? node.activation.alpha : 0;
        if (node.activation.kind === 'none') step.op = 'scale';
        break;
      case 'depth-to-space':
        step.block = node.block;
        break;
    }
    return step;
  });
  const output = graph.nodes[graph.output];
  const spec = {
    device: options.device ?? 0,
    captureGraphs: options.captureGraphs ?? true,
    slotUnits: plan.slotUnits,
    inputSlot: plan.slotOf[0],
    inputChannels: graph.nodes[0].channels,
    outputSlot: plan.slotOf[graph.output],
    outputChannels: output.channels,
    outputUpscale: output.upscale,
    steps,
    convs,
  };
  return { spec, algorithms };
}

export class GpuExecutor implements GraphExecutor {
  readonly kind: 'cuda' | 'hip';
  readonly description: string;
  /** Algorithm of each conv, in graph order. */
  readonly algorithms: readonly Algorithm[];
  readonly #graph: Graph;
  readonly #native: NativeGraph;
  readonly #addon: GpuGraphAddon;
  readonly #device: number;
  #disposed = false;

  private constructor(
    graph: Graph,
    native: NativeGraph,
    addon: GpuGraphAddon,
    device: number,
    algorithms: Algorithm[],
    precision: string,
  ) {
    const kind = addon.platform === 'hip' ? 'hip' : 'cuda';
    this.#graph = graph;
    this.#native = native;
    this.#addon = addon;
    this.#device = device;
    this.kind = kind;
    this.algorithms = algorithms;
    const counts = new Map<string, number>();
    for (const algorithm of algorithms) counts.set(algorithm, (counts.get(algorithm) ?? 0) + 1);
    const mix = [...counts].map(([name, count]) => `${count}× ${name}`).join(', ');
    this.description = `${kind} graph executor (native, fp16 NHWC, ${precision} Winograd storage; convs: ${mix})`;
  }

  static async create(graph: Graph, options: GpuExecutorOptions = {}): Promise<GpuExecutor> {
    const addon = loadGpuGraphAddon();
    const { spec, algorithms } = buildNativeSpec(graph, planMemory(graph), options);
    let native: NativeGraph;
    try {
      native = new addon.Graph(spec);
    } catch (error) {
      throw new NovaError('E_UNSUPPORTED', `graph ${graph.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    try {
      await native.load();
    } catch (error) {
      native.dispose();
      throw error;
    }
    return new GpuExecutor(graph, native, addon, options.device ?? 0, algorithms, options.precision ?? 'fp16');
  }

  /** 'on', 'off', or why capture was turned off after the runtime refused it. */
  captureStatus(): string {
    return this.#disposed ? 'disposed' : this.#native.captureStatus();
  }

  /** Free and total memory of the device (the whole device, all processes). */
  deviceMemory(): { free: number; total: number } | null {
    return this.#addon.memoryInfo ? this.#addon.memoryInfo(this.#device) : null;
  }

  pooledBytes(): number {
    return this.#disposed ? 0 : this.#native.pooledBytes() + this.#native.weightBytes();
  }

  /** Frees the pooled activations (weights stay), e.g. after a burst of large images. */
  async trim(): Promise<void> {
    if (!this.#disposed) await this.#native.trim();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#native.dispose();
  }

  async run(input: Float32Array, height: number, width: number, options: RunOptions = {}): Promise<GraphRunResult> {
    if (this.#disposed) throw new NovaError('E_DISPOSED', 'GPU graph executor has been disposed');
    const graph = this.#graph;
    checkInput(input, height, width, graph.nodes[0].channels);
    const output = graph.nodes[graph.output];
    const result = new Float32Array(height * width * output.channels * output.upscale * output.upscale);
    const timings = new Float64Array(4);
    const captures: [number, Float32Array][] | undefined = options.onNode
      ? graph.nodes.slice(1).map((node, step) => [step, new Float32Array(height * width * node.channels * node.upscale * node.upscale)])
      : undefined;
    const started = performance.now();
    await this.#native.run(input, height, width, result, timings, captures);
    const total = performance.now() - started;
    if (captures && options.onNode) {
      for (const [step, data] of captures) {
        const node = graph.nodes[step + 1];
        options.onNode({ node, data, height: height * node.upscale, width: width * node.upscale });
      }
    }
    return {
      output: result,
      height: height * output.upscale,
      width: width * output.upscale,
      channels: output.channels,
      timings: { upload: timings[0], compute: timings[1], download: timings[2], total, graphReplays: timings[3] },
    };
  }
}
