/**
 * A small inference graph: a list of nodes in execution order over NHWC activations (batch 1), each node naming
 * its inputs by id. Not a general framework: exactly the operations that image networks like ESRGAN need
 * (3×3 convolution with a fused activation, channel concatenation, residual add, constant scale, activation,
 * depth-to-space). Shapes are symbolic in the input's height × width, so one graph serves every image size:
 * a node's output has `channels` channels and `upscale` × the input's spatial size.
 */
import type { Algorithm } from '../backends/backend.js';
import { NovaError } from '../api/errors.js';

export type Activation =
  | { readonly kind: 'none' }
  | { readonly kind: 'relu' }
  | { readonly kind: 'leaky-relu'; readonly alpha: number };

export const NO_ACTIVATION: Activation = Object.freeze({ kind: 'none' });

/** 3×3 'same' convolution weights: filter in KRSC order (K output channels, 3×3 taps, C input channels). */
export interface ConvWeights {
  readonly k: number;
  readonly c: number;
  readonly filter: Float32Array;
  readonly bias: Float32Array | null;
}

interface NodeBase {
  readonly id: number;
  readonly name: string;
  /** Channels of this node's output. */
  readonly channels: number;
  /** Output height and width = upscale × the graph input's. */
  readonly upscale: number;
}

export type GraphNode =
  | (NodeBase & { readonly op: 'input'; readonly inputs: readonly [] })
  | (NodeBase & {
      readonly op: 'conv2d';
      readonly inputs: readonly [number];
      readonly weights: ConvWeights;
      readonly activation: Activation;
      /** Per-layer algorithm; 'auto' lets the backend choose. */
      readonly algorithm: Algorithm | 'auto';
    })
  | (NodeBase & { readonly op: 'concat'; readonly inputs: readonly number[] })
  /** out = a + factor · b (factor 1 unless a residual scale was folded in). */
  | (NodeBase & { readonly op: 'add'; readonly inputs: readonly [number, number]; readonly factor: number })
  | (NodeBase & { readonly op: 'scale'; readonly inputs: readonly [number]; readonly factor: number })
  | (NodeBase & { readonly op: 'activation'; readonly inputs: readonly [number]; readonly activation: Activation })
  | (NodeBase & { readonly op: 'depth-to-space'; readonly inputs: readonly [number]; readonly block: number });

export type GraphOp = GraphNode['op'];

export interface Graph {
  readonly name: string;
  /** In execution order; node i only reads nodes before i. nodes[0] is the input. */
  readonly nodes: readonly GraphNode[];
  readonly output: number;
}

/** Distributes Omit over the union, so each variant keeps its own fields. */
type NodeSpec = GraphNode extends infer N ? (N extends GraphNode ? Omit<N, 'id' | 'channels' | 'upscale'> : never) : never;

/** Builds a graph node by node, checking shapes as it goes. */
export class GraphBuilder {
  readonly #name: string;
  readonly #nodes: GraphNode[] = [];
  readonly #names = new Set<string>();

  constructor(name: string, inputChannels: number, inputName = 'input') {
    this.#name = name;
    checkPositiveInteger(inputChannels, 'inputChannels');
    this.#push({ op: 'input', name: inputName, inputs: [] }, inputChannels, 1);
  }

  get input(): number {
    return 0;
  }

  node(id: number): GraphNode {
    const node = this.#nodes[id];
    if (!node) throw new NovaError('E_ARG', `graph ${this.#name}: no node with id ${id}`);
    return node;
  }

  conv2d(
    input: number,
    weights: ConvWeights,
    options: { name: string; activation?: Activation; algorithm?: Algorithm | 'auto' },
  ): number {
    const source = this.node(input);
    checkPositiveInteger(weights.k, `${options.name}.k`);
    if (weights.c !== source.channels) {
      throw new NovaError(
        'E_SHAPE',
        `graph ${this.#name}: conv ${options.name} expects ${weights.c} input channels but ${source.name} has ${source.channels}`,
      );
    }
    if (weights.filter.length !== weights.k * 9 * weights.c) {
      throw new NovaError('E_SHAPE', `graph ${this.#name}: conv ${options.name} filter has ${weights.filter.length} values, expected K·3·3·C = ${weights.k * 9 * weights.c}`);
    }
    if (weights.bias && weights.bias.length !== weights.k) {
      throw new NovaError('E_SHAPE', `graph ${this.#name}: conv ${options.name} bias has ${weights.bias.length} values, expected ${weights.k}`);
    }
    const activation = options.activation ?? NO_ACTIVATION;
    return this.#push(
      { op: 'conv2d', name: options.name, inputs: [input], weights, activation, algorithm: options.algorithm ?? 'auto' },
      weights.k,
      source.upscale,
    );
  }

  concat(inputs: readonly number[], name: string): number {
    if (inputs.length < 2) throw new NovaError('E_ARG', `graph ${this.#name}: concat ${name} needs at least 2 inputs`);
    const sources = inputs.map((id) => this.node(id));
    this.#sameSize(sources, name);
    const channels = sources.reduce((sum, node) => sum + node.channels, 0);
    return this.#push({ op: 'concat', name, inputs: [...inputs] }, channels, sources[0].upscale);
  }

  add(a: number, b: number, name: string, factor = 1): number {
    const sources = [this.node(a), this.node(b)];
    this.#sameSize(sources, name);
    if (sources[0].channels !== sources[1].channels) {
      throw new NovaError('E_SHAPE', `graph ${this.#name}: add ${name} of ${sources[0].channels} and ${sources[1].channels} channels`);
    }
    if (!Number.isFinite(factor)) throw new NovaError('E_ARG', `graph ${this.#name}: add ${name} factor ${factor} is not finite`);
    return this.#push({ op: 'add', name, inputs: [a, b], factor }, sources[0].channels, sources[0].upscale);
  }

  scale(input: number, factor: number, name: string): number {
    if (!Number.isFinite(factor)) throw new NovaError('E_ARG', `graph ${this.#name}: scale ${name} factor ${factor} is not finite`);
    const source = this.node(input);
    return this.#push({ op: 'scale', name, inputs: [input], factor }, source.channels, source.upscale);
  }

  activation(input: number, activation: Activation, name: string): number {
    const source = this.node(input);
    return this.#push({ op: 'activation', name, inputs: [input], activation }, source.channels, source.upscale);
  }

  /** TensorFlow's depth_to_space (NHWC, DCR order): out[y·b+i, x·b+j, c] = in[y, x, (i·b + j)·C' + c]. */
  depthToSpace(input: number, block: number, name: string): number {
    checkPositiveInteger(block, `${name}.block`);
    const source = this.node(input);
    if (source.channels % (block * block) !== 0) {
      throw new NovaError('E_SHAPE', `graph ${this.#name}: depth-to-space ${name} block ${block} needs channels divisible by ${block * block}, got ${source.channels}`);
    }
    return this.#push(
      { op: 'depth-to-space', name, inputs: [input], block },
      source.channels / (block * block),
      source.upscale * block,
    );
  }

  build(output: number): Graph {
    this.node(output);
    return Object.freeze({ name: this.#name, nodes: Object.freeze([...this.#nodes]), output });
  }

  #sameSize(sources: readonly GraphNode[], name: string): void {
    if (sources.some((node) => node.upscale !== sources[0].upscale)) {
      throw new NovaError('E_SHAPE', `graph ${this.#name}: ${name} mixes inputs of different spatial size`);
    }
  }

  #push(spec: NodeSpec, channels: number, upscale: number): number {
    if (this.#names.has(spec.name)) throw new NovaError('E_ARG', `graph ${this.#name}: duplicate node name ${spec.name}`);
    this.#names.add(spec.name);
    const id = this.#nodes.length;
    this.#nodes.push(Object.freeze({ ...spec, id, channels, upscale }) as GraphNode);
    return id;
  }
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new NovaError('E_ARG', `${name} must be a positive integer, got ${value}`);
}

/** How many nodes read each node's output (the graph output counts as one reader). */
export function consumerCounts(graph: Graph): number[] {
  const counts = new Array<number>(graph.nodes.length).fill(0);
  for (const node of graph.nodes) for (const input of node.inputs) counts[input]++;
  counts[graph.output]++;
  return counts;
}

export function countOps(graph: Graph): Record<GraphOp, number> {
  const counts: Record<GraphOp, number> = {
    input: 0,
    conv2d: 0,
    concat: 0,
    add: 0,
    scale: 0,
    activation: 0,
    'depth-to-space': 0,
  };
  for (const node of graph.nodes) counts[node.op]++;
  return counts;
}

/** Multiply-accumulates of one forward pass for an h×w input (3×3 convs only; the rest is memory traffic). */
export function graphMacs(graph: Graph, h: number, w: number): number {
  let macs = 0;
  for (const node of graph.nodes) {
    if (node.op === 'conv2d') macs += node.upscale * node.upscale * h * w * node.weights.k * node.weights.c * 9;
  }
  return macs;
}
