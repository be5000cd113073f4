/**
 * Graph rewrites and the memory plan.
 *
 * `fuseGraph` moves work into the convolution epilogue: an activation whose only producer is a conv with no other
 * reader becomes the conv's activation, and a constant scale after such a conv is folded into its weights and bias
 * (exact in real arithmetic; for ReLU / LeakyReLU only when the factor is positive, since both commute with a
 * positive scale); a scale whose only reader is an add becomes that add's factor (a + f·b, operands swapped if
 * needed). `planMemory` assigns every node's output to a pooled slot that is reused once all readers ran.
 */
import { NovaError } from '../api/errors.js';
import { consumerCounts, GraphBuilder, type ConvWeights, type Graph, type GraphNode } from './graph.js';

export interface FuseOptions {
  readonly activations?: boolean;
  readonly scales?: boolean;
}

export function fuseGraph(graph: Graph, options: FuseOptions = {}): Graph {
  const fuseActivations = options.activations ?? true;
  const foldScales = options.scales ?? true;
  const graphAfterConvs = fuseConvEpilogues(graph, fuseActivations, foldScales);
  return foldScales ? foldScalesIntoAdds(graphAfterConvs) : graphAfterConvs;
}

function foldScalesIntoAdds(graph: Graph): Graph {
  const counts = consumerCounts(graph);
  const isFoldable = (id: number): boolean => graph.nodes[id].op === 'scale' && counts[id] === 1 && id !== graph.output;
  const folded = new Set<number>();
  for (const node of graph.nodes) {
    if (node.op !== 'add' || node.factor !== 1) continue;
    const [a, b] = node.inputs;
    if (isFoldable(b)) folded.add(b);
    else if (isFoldable(a)) folded.add(a);
  }
  if (folded.size === 0) return graph;
  const input = graph.nodes[0];
  const builder = new GraphBuilder(graph.name, input.channels, input.name);
  const newId = new Array<number>(graph.nodes.length);
  newId[0] = builder.input;
  for (const node of graph.nodes) {
    if (node.op === 'input' || folded.has(node.id)) continue;
    const inputs = node.inputs.map((id) => newId[id]);
    if (node.op === 'add' && (folded.has(node.inputs[0]) || folded.has(node.inputs[1]))) {
      const scaledIsFirst = folded.has(node.inputs[0]);
      const scaleNode = graph.nodes[node.inputs[scaledIsFirst ? 0 : 1]] as Extract<GraphNode, { op: 'scale' }>;
      const other = newId[node.inputs[scaledIsFirst ? 1 : 0]];
      newId[node.id] = builder.add(other, newId[scaleNode.inputs[0]], `${scaleNode.name}+${node.name}`, scaleNode.factor);
      continue;
    }
    newId[node.id] = rebuild(builder, node, inputs);
  }
  return builder.build(newId[graph.output]);
}

function rebuild(builder: GraphBuilder, node: GraphNode, inputs: number[]): number {
  switch (node.op) {
    case 'input':
      throw new NovaError('E_ARG', 'the input node is not rebuilt');
    case 'conv2d':
      return builder.conv2d(inputs[0], node.weights, { name: node.name, activation: node.activation, algorithm: node.algorithm });
    case 'concat':
      return builder.concat(inputs, node.name);
    case 'add':
      return builder.add(inputs[0], inputs[1], node.name, node.factor);
    case 'scale':
      return builder.scale(inputs[0], node.factor, node.name);
    case 'activation':
      return builder.activation(inputs[0], node.activation, node.name);
    case 'depth-to-space':
      return builder.depthToSpace(inputs[0], node.block, node.name);
  }
}

function fuseConvEpilogues(graph: Graph, fuseActivations: boolean, foldScales: boolean): Graph {
  const counts = consumerCounts(graph);
  const readerOf = new Array<GraphNode | undefined>(graph.nodes.length);
  for (const node of graph.nodes) for (const input of node.inputs) readerOf[input] = node;
  const singleReader = (id: number): GraphNode | undefined =>
    counts[id] === 1 && id !== graph.output ? readerOf[id] : undefined;

  const input = graph.nodes[0];
  const builder = new GraphBuilder(graph.name, input.channels, input.name);
  const newId = new Array<number>(graph.nodes.length);
  newId[0] = builder.input;
  const absorbed = new Set<number>();

  for (const node of graph.nodes) {
    if (node.op === 'input' || absorbed.has(node.id)) continue;
    const inputs = node.inputs.map((id) => newId[id]);
    switch (node.op) {
      case 'conv2d': {
        let { activation, weights } = node;
        const chain: GraphNode[] = [node];
        let reader = singleReader(node.id);
        if (fuseActivations && activation.kind === 'none' && reader?.op === 'activation') {
          activation = reader.activation;
          chain.push(reader);
          reader = singleReader(reader.id);
        }
        if (foldScales && reader?.op === 'scale' && (activation.kind === 'none' || reader.factor > 0)) {
          weights = scaleWeights(weights, reader.factor);
          chain.push(reader);
        }
        const name = chain.map((n) => n.name).join('+');
        const id = builder.conv2d(inputs[0], weights, { name, activation, algorithm: node.algorithm });
        for (const member of chain) {
          newId[member.id] = id;
          absorbed.add(member.id);
        }
        break;
      }
      default:
        newId[node.id] = rebuild(builder, node, inputs);
    }
  }
  return builder.build(newId[graph.output]);
}

function scaleWeights(weights: ConvWeights, factor: number): ConvWeights {
  return {
    k: weights.k,
    c: weights.c,
    filter: weights.filter.map((v) => v * factor),
    bias: weights.bias ? weights.bias.map((v) => v * factor) : null,
  };
}

export interface MemoryPlan {
  /** Slot index of each node's output. */
  readonly slotOf: readonly number[];
  /** Size of each slot in elements per input pixel (channels × upscale²), so one plan serves every image size. */
  readonly slotUnits: readonly number[];
  /** Index of the last node that reads each node's output (the output node: nodes.length). */
  readonly lastUse: readonly number[];
  /** Elements per input pixel if nothing were reused, for comparison. */
  readonly unpooledUnits: number;
}

/**
 * Greedy best fit: a node's output takes the smallest free slot that holds it (else grows the largest free slot,
 * else opens a new one); a slot is freed after its node's last reader. Outputs never alias their inputs.
 */
export function planMemory(graph: Graph): MemoryPlan {
  const n = graph.nodes.length;
  const lastUse = new Array<number>(n).fill(-1);
  for (const node of graph.nodes) for (const input of node.inputs) lastUse[input] = Math.max(lastUse[input], node.id);
  lastUse[graph.output] = n;
  const slotOf = new Array<number>(n).fill(-1);
  const slotUnits: number[] = [];
  const free = new Set<number>();
  let unpooledUnits = 0;

  for (const node of graph.nodes) {
    if (lastUse[node.id] < 0) throw new NovaError('E_ARG', `graph ${graph.name}: node ${node.name} is never used`);
    const units = node.channels * node.upscale * node.upscale;
    unpooledUnits += units;
    let best = -1;
    for (const slot of free) {
      const fits = slotUnits[slot] >= units;
      if (best < 0) best = slot;
      else if (fits && (slotUnits[best] < units || slotUnits[slot] < slotUnits[best])) best = slot;
      else if (!fits && slotUnits[best] < units && slotUnits[slot] > slotUnits[best]) best = slot;
    }
    if (best < 0) {
      best = slotUnits.length;
      slotUnits.push(units);
    } else {
      free.delete(best);
      slotUnits[best] = Math.max(slotUnits[best], units);
    }
    slotOf[node.id] = best;
    for (const input of new Set(node.inputs)) if (lastUse[input] === node.id) free.add(slotOf[input]);
  }
  return { slotOf, slotUnits, lastUse, unpooledUnits };
}
