/**
 * The CPU executor: convolutions through the CPU addon (nova_cpu.node, multi-threaded C++ off the JS thread),
 * the other nodes on host arrays. Slow (ESRGAN x4 does 7.3 MMAC per input pixel) but correct; it is what
 * `nova upscale` and `nova serve` run where there is no GPU, and it says so.
 *
 * It doubles as the accuracy model of the GPU: with `emulateFp16: true` every stored tensor is rounded to fp16
 * and the addon stores Winograd-domain tiles in fp16 too (`storage: 'fp16'`), so the whole network runs with the
 * GPU's storage precisions (arithmetic stays fp32/fp64, so this bounds rather than replays the GPU's rounding).
 */
import { type Algorithm, WINOGRAD_TILE } from '../backends/backend.js';
import { NovaError } from '../api/errors.js';
import { type CpuNative, krscToKcrs, SAME_3X3 } from '../binding/cpu-native.js';
import { loadAddon } from '../binding/load.js';
import { roundToHalf } from '../util/fp16.js';
import type { GraphExecutor, GraphRunResult, RunOptions } from './executor.js';
import type { Graph, GraphNode } from './graph.js';
import { DEFAULT_POLICY, type AlgorithmPolicy } from './gpu-executor.js';
import type { HostArray } from './host-ops.js';
import { planMemory, type MemoryPlan } from './passes.js';
import { runOnHost } from './reference-executor.js';

type ConvNode = Extract<GraphNode, { op: 'conv2d' }>;

export interface CpuExecutorOptions {
  /** Storage and arithmetic type of the host tensors (default float32). */
  readonly dtype?: 'float32' | 'float64';
  /** Per-layer algorithm (default: direct everywhere, the fastest exact path on a CPU). */
  readonly algorithm?: AlgorithmPolicy;
  /** Round every stored tensor to fp16 and store Winograd tiles in fp16: the GPU's storage precisions. */
  readonly emulateFp16?: boolean;
  readonly threads?: number;
}

export class CpuExecutor implements GraphExecutor {
  readonly kind = 'cpu' as const;
  readonly description: string;
  readonly algorithms: readonly Algorithm[];
  readonly #graph: Graph;
  readonly #plan: MemoryPlan;
  readonly #addon: CpuNative;
  readonly #options: CpuExecutorOptions;
  /** Per conv node: KCRS filter and bias in the executor's dtype, and its algorithm. */
  readonly #convs = new Map<number, { filter: HostArray; bias: HostArray | null; algorithm: Algorithm }>();
  #disposed = false;

  constructor(graph: Graph, options: CpuExecutorOptions = {}) {
    const loaded = loadAddon<CpuNative>('nova_cpu');
    if (!loaded.ok) throw new NovaError('E_BACKEND_UNAVAILABLE', `CPU backend unavailable: ${loaded.reason}`);
    this.#addon = loaded.addon;
    this.#graph = graph;
    this.#plan = planMemory(graph);
    this.#options = options;
    const Storage = options.dtype === 'float64' ? Float64Array : Float32Array;
    const policy = options.algorithm ?? ('direct' as Algorithm);
    const algorithms: Algorithm[] = [];
    for (const node of graph.nodes) {
      if (node.op !== 'conv2d') continue;
      const algorithm = node.algorithm !== 'auto' ? node.algorithm : typeof policy === 'function' ? policy(node) : policy;
      algorithms.push(algorithm);
      const { k, c, filter } = node.weights;
      const kcrs = krscToKcrs(filter, k, 3, 3, c, new Storage(filter.length));
      this.#convs.set(node.id, { filter: kcrs, bias: node.weights.bias ? Storage.from(node.weights.bias) : null, algorithm });
    }
    this.algorithms = algorithms;
    const threads = options.threads ?? this.#addon.version().threads;
    const winograd = algorithms.filter((a) => a !== 'direct').length;
    this.description =
      `cpu backend (nova_cpu.node, ${options.dtype ?? 'float32'}, ${threads} threads; ` +
      `${winograd ? `${winograd} Winograd + ` : ''}${algorithms.length - winograd} direct convs` +
      `${options.emulateFp16 ? '; fp16 storage emulated' : ''}) — no GPU, this is slow`;
  }

  pooledBytes(): number {
    return 0;
  }

  dispose(): void {
    this.#disposed = true;
    this.#convs.clear();
  }

  async run(input: Float32Array, height: number, width: number, options: RunOptions = {}): Promise<GraphRunResult> {
    if (this.#disposed) throw new NovaError('E_DISPOSED', 'CPU executor has been disposed');
    const fp16 = this.#options.emulateFp16 === true;
    return runOnHost(this.#graph, this.#plan, input, height, width, {
      storage: this.#options.dtype === 'float64' ? Float64Array : Float32Array,
      conv: (node, source, h, w, out) => this.#conv(node, source, h, w, out, fp16),
      round: fp16 ? roundToHalf : undefined,
      onNode: options.onNode,
    });
  }

  async #conv(node: ConvNode, input: HostArray, h: number, w: number, output: HostArray, fp16: boolean): Promise<void> {
    const conv = this.#convs.get(node.id)!;
    const winograd = conv.algorithm !== 'direct';
    await this.#addon.conv2d({
      input,
      filter: conv.filter,
      bias: conv.bias,
      output,
      n: 1,
      c: node.weights.c,
      h,
      w,
      k: node.weights.k,
      ...SAME_3X3,
      layout: 'nhwc',
      relu: node.activation.kind === 'relu',
      algorithm: winograd ? 'winograd' : 'direct',
      ...(winograd ? { m: WINOGRAD_TILE[conv.algorithm] } : {}),
      storage: fp16 ? 'fp16' : 'exact',
      ...(this.#options.threads ? { threads: this.#options.threads } : {}),
    });
    if (node.activation.kind === 'leaky-relu') {
      const alpha = node.activation.alpha;
      for (let i = 0; i < output.length; i++) if (output[i] < 0) output[i] *= alpha;
    }
    // 'fp16' storage rounds the Winograd output; a direct conv's output is rounded here, as the GPU stores it.
    if (fp16 && !winograd) for (let i = 0; i < output.length; i++) output[i] = roundToHalf(output[i]);
  }
}

/** The policy the GPU would use, for running its algorithm mix on the CPU (accuracy modelling). */
export const GPU_POLICY = DEFAULT_POLICY;
