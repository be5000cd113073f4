/**
 * The TFJS layers-model loader on synthetic models written here (every supported layer, every refusal), and —
 * when the npm package @upscalerjs/esrgan-thick is installed or NOVA_ESRGAN_PATH points at it — on the real
 * published weights: topology of x2/x3/x4/x8, and the fp16 accuracy of x4 on a crop of the package's test photo.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src-ts/binding/load.js';
import { CpuExecutor } from '../../src-ts/graph/cpu-executor.js';
import { DEFAULT_POLICY } from '../../src-ts/graph/gpu-executor.js';
import { countOps } from '../../src-ts/graph/graph.js';
import { ReferenceExecutor } from '../../src-ts/graph/reference-executor.js';
import { psnr, rangeOf } from '../../src-ts/graph/stats.js';
import { ESRGAN_PACKAGE, esrganAvailable, loadEsrgan, resolveEsrganModel } from '../../src-ts/models/esrgan/esrgan.js';
import { cropImage, decodePng } from '../../src-ts/models/esrgan/image.js';
import { hwioToKrsc, layersModelToGraph, readLayersModel } from '../../src-ts/models/esrgan/tfjs-layers.js';

type Layer = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

const conv = (name: string, from: string, filters: number, activation = 'linear'): Layer => ({
  class_name: 'Conv2D',
  name,
  config: { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation, use_bias: true },
  inbound_nodes: [[[from, 0, 0, {}]]],
});
const layer = (class_name: string, name: string, from: string[], config: Record<string, unknown> = {}): Layer => ({
  class_name,
  name,
  config: { name, ...config },
  inbound_nodes: [from.map((f) => [f, 0, 0, {}])],
});

/** Writes model.json + one shard; weights are i/100-ish so each is distinguishable. */
function writeModel(layers: Layer[], weights: { name: string; shape: number[] }[], options: { truncate?: boolean; dtype?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nova-tfjs-'));
  const total = weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  const values = Float32Array.from({ length: total }, (_, i) => Math.sin(i) / 10);
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.from(values.buffer, 0, options.truncate ? values.byteLength - 8 : values.byteLength));
  const model = {
    format: 'layers-model',
    modelTopology: {
      model_config: {
        class_name: 'Functional',
        config: { name: 'tiny', layers, input_layers: [['in', 0, 0]], output_layers: [[layers.at(-1)!.name, 0, 0]] },
      },
    },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map((w) => ({ ...w, dtype: options.dtype ?? 'float32' })) }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  return join(dir, 'model.json');
}

const input: Layer = { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, null, null, 3], name: 'in' }, inbound_nodes: [] };
const convWeights = (name: string, c: number, k: number) => [
  { name: `${name}/kernel`, shape: [3, 3, c, k] },
  { name: `${name}/bias`, shape: [k] },
];

describe('TFJS layers-model loader', () => {
  it('maps HWIO to KRSC', () => {
    const [c, k] = [2, 3];
    const hwio = Float32Array.from({ length: 9 * c * k }, (_, i) => i);
    const krsc = hwioToKrsc(hwio, c, k);
    for (let tap = 0; tap < 9; tap++) {
      for (let ci = 0; ci < c; ci++) for (let ki = 0; ki < k; ki++) expect(krsc[(ki * 9 + tap) * c + ci]).toBe(hwio[(tap * c + ci) * k + ki]);
    }
  });

  it('reads every supported layer into the graph, weights in order, and runs it', async () => {
    const path = writeModel(
      [
        input,
        conv('a', 'in', 4, 'relu'),
        layer('Concatenate', 'cat', ['in', 'a'], { axis: 3 }),
        conv('b', 'cat', 8),
        layer('Activation', 'b_relu', ['b'], { activation: 'relu' }),
        layer('MultiplyBeta', 'beta', ['b_relu'], { beta: 0.2 }),
        conv('c', 'beta', 8),
        layer('Add', 'sum', ['b_relu', 'c']),
        layer('PixelShuffle2x', 'shuffle', ['sum'], { scale: 2 }),
      ],
      [...convWeights('c', 8, 8), ...convWeights('a', 3, 4), ...convWeights('b', 7, 8)], // manifest order ≠ layer order
    );
    const model = await readLayersModel(path);
    expect(model.weightBytes).toBe((9 * 8 * 8 + 8 + 9 * 3 * 4 + 4 + 9 * 7 * 8 + 8) * 4);
    expect(model.weights.get('a/bias')!.data[0]).toBeCloseTo(Math.sin(9 * 8 * 8 + 8 + 9 * 3 * 4) / 10, 7);
    const graph = layersModelToGraph(model);
    expect(countOps(graph)).toMatchObject({ conv2d: 3, activation: 2, concat: 1, scale: 1, add: 1, 'depth-to-space': 1 });
    const out = graph.nodes[graph.output];
    expect([out.channels, out.upscale]).toEqual([2, 2]);
    const result = await new ReferenceExecutor(graph).run(new Float32Array(4 * 4 * 3).fill(0.5), 4, 4);
    expect([result.height, result.width, result.channels]).toEqual([8, 8, 2]);
    expect(rangeOf(result.output).nan).toBe(0);
  });

  it('refuses what it does not support, naming the layer', async () => {
    const strided = conv('s', 'in', 4);
    strided.config.strides = [2, 2];
    const cases: [string, RegExp][] = [
      [writeModel([input, layer('Dense', 'dense', ['in'])], []), /dense: class Dense is not supported/],
      [writeModel([input, strided], convWeights('s', 3, 4)), /conv s: only 3×3 stride-1 'same'/],
      [writeModel([input, conv('t', 'in', 4, 'tanh')], convWeights('t', 3, 4)), /activation "tanh" is not supported/],
      [writeModel([input, conv('q', 'in', 4)], convWeights('q', 3, 4), { dtype: 'int32' }), /only float32 weights/],
      [writeModel([input, conv('u', 'in', 4)], convWeights('u', 3, 4), { truncate: true }), /end before u\/bias/],
      [writeModel([input, conv('v', 'in', 4)], [{ name: 'v/kernel', shape: [3, 3, 3, 4] }]), /v\/bias missing/],
    ];
    for (const [path, message] of cases) {
      await expect(readLayersModel(path).then((m) => layersModelToGraph(m))).rejects.toThrow(message);
    }
  });

  it('says how to install the weights when they are missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'nova-empty-'));
    expect(() => resolveEsrganModel(4, empty)).toThrow(expect.objectContaining({ code: 'E_BACKEND_UNAVAILABLE' }));
    expect(() => resolveEsrganModel(4, empty)).toThrow(`npm install ${ESRGAN_PACKAGE}`);
  });
});

const haveWeights = esrganAvailable(4);
const haveCpu = loadAddon('nova_cpu').ok;

describe.skipIf(!haveWeights)(
  `esrgan-thick published weights${haveWeights ? '' : ` — skipped: install with \`npm install ${ESRGAN_PACKAGE}\` or set NOVA_ESRGAN_PATH`}`,
  () => {
    it('x2, x3, x4, x8 share one topology: 154 convs, 120 ReLU, 120 concats, 41 adds, 40 scales, one pixel shuffle', async () => {
      for (const scale of [2, 3, 4, 8]) {
        const model = await loadEsrgan({ scale });
        expect(countOps(model.graph)).toEqual({ input: 1, conv2d: 154, activation: 120, concat: 120, add: 41, scale: 40, 'depth-to-space': 1 });
        // Fused: ReLU into convs, 30 fusion-conv scales into weights, 10 block scales into their adds.
        expect(countOps(model.fused)).toMatchObject({ conv2d: 154, activation: 0, scale: 0, add: 41 });
        expect(model.fused.nodes[model.fused.output].upscale).toBe(scale);
      }
    });

    it.skipIf(!haveCpu)('x4 with fp16 storage (GPU algorithm mix) stays ≥ 45 dB from float64 on a crop of the test photo', async () => {
      const model = await loadEsrgan({ scale: 4 });
      const photo = decodePng(readFileSync(join(resolveEsrganModel(4), '..', '..', '..', 'assets', 'fixture.png')));
      const crop = cropImage(photo, 56, 40, 16, 16);
      const reference = await new CpuExecutor(model.fused, { dtype: 'float64' }).run(crop.data, 16, 16);
      const half = await new CpuExecutor(model.fused, { emulateFp16: true, algorithm: DEFAULT_POLICY }).run(crop.data, 16, 16);
      expect(rangeOf(half.output)).toMatchObject({ nan: 0, inf: 0 });
      expect(psnr(half.output, reference.output)).toBeGreaterThan(45);
    });
  },
);
