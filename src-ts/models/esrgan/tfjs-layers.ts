/**
 * Reads a TensorFlow.js layers model (model.json + binary weight shards) without any TensorFlow runtime, and
 * turns its Keras functional topology into our graph. Only what image networks like ESRGAN use is accepted;
 * anything else is refused with E_UNSUPPORTED naming the layer, never skipped.
 *
 * Format facts relied on (TFJS converter output): `weightsManifest` is a list of groups; a group's shards,
 * concatenated in `paths` order, hold its `weights` back to back, each `shape.product × 4` bytes of little-endian
 * float32. Conv2D kernels are HWIO ([3,3,C,K]); we store KRSC.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NovaError } from '../../api/errors.js';
import { GraphBuilder, type Activation, type ConvWeights, type Graph } from '../../graph/graph.js';

interface KerasLayer {
  readonly class_name: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** [[ [layerName, nodeIndex, tensorIndex, kwargs], … ]] — one entry per call of the layer. */
  readonly inbound_nodes: readonly (readonly (readonly [string, number, number, unknown])[])[];
}

interface ManifestWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: unknown;
}

interface ModelJson {
  readonly format?: string;
  readonly modelTopology: {
    readonly model_config: {
      readonly class_name: string;
      readonly config: {
        readonly name: string;
        readonly layers: readonly KerasLayer[];
        readonly input_layers: readonly (readonly [string, number, number])[];
        readonly output_layers: readonly (readonly [string, number, number])[];
      };
    };
  };
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly ManifestWeight[] }[];
}

export interface LayersModel {
  readonly path: string;
  readonly name: string;
  readonly layers: readonly KerasLayer[];
  readonly inputLayer: string;
  readonly outputLayer: string;
  readonly weights: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
  readonly weightBytes: number;
}

function fail(path: string, message: string): never {
  throw new NovaError('E_UNSUPPORTED', `${path}: ${message}`);
}

export async function readLayersModel(modelJsonPath: string): Promise<LayersModel> {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  const config = json.modelTopology?.model_config;
  if (!config || config.class_name !== 'Functional' && config.class_name !== 'Model') {
    fail(modelJsonPath, `expected a Keras functional layers model, found ${config?.class_name ?? 'no model_config'}`);
  }
  const { layers, input_layers: inputs, output_layers: outputs } = config.config;
  if (inputs.length !== 1 || outputs.length !== 1) fail(modelJsonPath, 'only single-input single-output models are supported');

  const weights = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  let weightBytes = 0;
  for (const group of json.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dirname(modelJsonPath), p))));
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const weight of group.weights) {
      if (weight.dtype !== 'float32' || weight.quantization) {
        fail(modelJsonPath, `weight ${weight.name} is ${weight.quantization ? 'quantized' : weight.dtype}; only float32 weights are supported`);
      }
      const count = weight.shape.reduce((a, b) => a * b, 1);
      if (offset + count * 4 > bytes.length) fail(modelJsonPath, `weight shards end before ${weight.name} (truncated download?)`);
      // Copy out: Buffer slices may be unaligned for a Float32Array view.
      const data = new Float32Array(count);
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + count * 4));
      weights.set(weight.name, { shape: weight.shape, data });
      offset += count * 4;
    }
    if (offset !== bytes.length) fail(modelJsonPath, `weight group has ${bytes.length - offset} bytes beyond its manifest`);
    weightBytes += offset;
  }
  return {
    path: modelJsonPath,
    name: config.config.name,
    layers,
    inputLayer: inputs[0][0],
    outputLayer: outputs[0][0],
    weights,
    weightBytes,
  };
}

function activationOf(name: unknown, where: string, path: string): Activation {
  if (name === undefined || name === 'linear') return { kind: 'none' };
  if (name === 'relu') return { kind: 'relu' };
  return fail(path, `${where}: activation ${JSON.stringify(name)} is not supported (linear, relu)`);
}

function same(a: unknown, b: readonly unknown[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** HWIO [3,3,C,K] → KRSC. */
export function hwioToKrsc(hwio: Float32Array, c: number, k: number): Float32Array {
  const krsc = new Float32Array(hwio.length);
  for (let tap = 0; tap < 9; tap++) {
    for (let ci = 0; ci < c; ci++) {
      for (let ki = 0; ki < k; ki++) krsc[(ki * 9 + tap) * c + ci] = hwio[(tap * c + ci) * k + ki];
    }
  }
  return krsc;
}

/** The Keras topology as our graph, unfused (one graph node per Keras layer, conv activations kept separate). */
export function layersModelToGraph(model: LayersModel, graphName = model.name): Graph {
  const path = model.path;
  const byName = new Map(model.layers.map((layer) => [layer.name, layer]));
  const input = byName.get(model.inputLayer);
  if (!input || input.class_name !== 'InputLayer') fail(path, `input layer ${model.inputLayer} not found`);
  const inputShape = input.config.batch_input_shape as (number | null)[];
  if (!Array.isArray(inputShape) || inputShape.length !== 4 || typeof inputShape[3] !== 'number') {
    fail(path, `input ${input.name} must be NHWC with a fixed channel count, got ${JSON.stringify(inputShape)}`);
  }
  const builder = new GraphBuilder(graphName, inputShape[3], input.name);
  const ids = new Map<string, number>([[input.name, builder.input]]);

  const place = (layer: KerasLayer): number => {
    const placed = ids.get(layer.name);
    if (placed !== undefined) return placed;
    if (layer.inbound_nodes.length !== 1) fail(path, `layer ${layer.name} is called ${layer.inbound_nodes.length} times; shared layers are not supported`);
    const sources = layer.inbound_nodes[0].map(([name]) => {
      const source = byName.get(name);
      if (!source) fail(path, `layer ${layer.name} reads unknown layer ${name}`);
      return place(source);
    });
    const c = layer.config;
    let id: number;
    switch (layer.class_name) {
      case 'Conv2D': {
        if (!same(c.kernel_size, [3, 3]) || !same(c.strides, [1, 1]) || !same(c.dilation_rate ?? [1, 1], [1, 1]) ||
            c.padding !== 'same' || (c.data_format ?? 'channels_last') !== 'channels_last' || (c.groups ?? 1) !== 1) {
          fail(path, `conv ${layer.name}: only 3×3 stride-1 'same' channels_last convolutions are supported, got kernel ${JSON.stringify(c.kernel_size)} strides ${JSON.stringify(c.strides)} padding ${String(c.padding)}`);
        }
        const kernel = model.weights.get(`${layer.name}/kernel`);
        if (!kernel) fail(path, `conv ${layer.name}: weight ${layer.name}/kernel missing from the manifest`);
        const [, , C, K] = kernel.shape;
        const bias = c.use_bias === false ? null : model.weights.get(`${layer.name}/bias`)?.data;
        if (bias === undefined) fail(path, `conv ${layer.name}: weight ${layer.name}/bias missing from the manifest`);
        const weights: ConvWeights = { k: K, c: C, filter: hwioToKrsc(kernel.data, C, K), bias };
        id = builder.conv2d(sources[0], weights, { name: layer.name });
        const activation = activationOf(c.activation, `conv ${layer.name}`, path);
        if (activation.kind !== 'none') id = builder.activation(id, activation, `${layer.name}/activation`);
        break;
      }
      case 'Activation': {
        const activation = activationOf(c.activation, `layer ${layer.name}`, path);
        id = activation.kind === 'none' ? sources[0] : builder.activation(sources[0], activation, layer.name);
        break;
      }
      case 'LeakyReLU':
        id = builder.activation(sources[0], { kind: 'leaky-relu', alpha: Number(c.alpha ?? 0.3) }, layer.name);
        break;
      case 'Concatenate':
        if (c.axis !== 3 && c.axis !== -1) fail(path, `concat ${layer.name}: only channel concatenation (axis 3) is supported, got axis ${String(c.axis)}`);
        id = builder.concat(sources, layer.name);
        break;
      case 'Add':
        id = sources.slice(1).reduce((sum, next, i) => builder.add(sum, next, i === sources.length - 2 ? layer.name : `${layer.name}/${i}`), sources[0]);
        break;
      case 'MultiplyBeta':
        // UpscalerJS's custom layer: x · beta (its source registers BETA = 0.2; the config records the same value).
        if (typeof c.beta !== 'number') fail(path, `layer ${layer.name}: MultiplyBeta without a numeric beta`);
        id = builder.scale(sources[0], c.beta, layer.name);
        break;
      default: {
        const shuffle = /^PixelShuffle(\d+)x$/.exec(layer.class_name);
        if (!shuffle) fail(path, `layer ${layer.name}: class ${layer.class_name} is not supported`);
        // UpscalerJS's PixelShuffle calls tf.depthToSpace(x, scale, 'NHWC'): TensorFlow's DCR channel order.
        const block = typeof c.scale === 'number' ? c.scale : Number(shuffle[1]);
        id = builder.depthToSpace(sources[0], block, layer.name);
      }
    }
    ids.set(layer.name, id);
    return id;
  };

  const output = byName.get(model.outputLayer);
  if (!output) fail(path, `output layer ${model.outputLayer} not found`);
  return builder.build(place(output));
}
