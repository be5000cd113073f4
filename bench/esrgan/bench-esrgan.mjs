#!/usr/bin/env node
/**
 * ESRGAN on the GPU: accuracy of the full-size fixture against the float64 forward, per-layer error and activation
 * ranges on a crop, then images/s and latency at several input sizes, for each conv-algorithm policy.
 *
 *   node bench/esrgan/bench-esrgan.mjs --model <esrgan-thick dir> [--ref ref64-x4.f32] [--sizes 128,256,512]
 *        [--policies default,f6,direct] [--reps 20] [--warmup 3] [--crop 32] [--json out.json]
 *
 * Needs `npm run build:ts` (imports dist/). Latency = wall time of one `executor.run()` (one native async call:
 * fp32 upload + all 154 convs and 163 other nodes + fp32 download); compute = device events around the nodes only.
 * The float64 reference of the fixture comes from --ref (written by `--write-ref` on any machine with the CPU addon;
 * it takes ~30 s there) or is computed here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CpuExecutor } from '../../dist/graph/cpu-executor.js';
import { GpuExecutor } from '../../dist/graph/gpu-executor.js';
import { tuneAlgorithms } from '../../dist/graph/tune.js';
import { psnr, rangeOf, relativeError } from '../../dist/graph/stats.js';
import { compareLayers, formatAccuracy } from '../../dist/models/esrgan/accuracy.js';
import { loadEsrgan } from '../../dist/models/esrgan/esrgan.js';
import { cropImage, decodePng, encodePng, toBytes } from '../../dist/models/esrgan/image.js';
import { PNG } from 'pngjs';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    ref: { type: 'string' },
    'write-ref': { type: 'string' },
    sizes: { type: 'string', default: '128,256,512' },
    policies: { type: 'string', default: 'default,eager,tuned,f6,direct' },
    reps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    crop: { type: 'string', default: '32' },
    json: { type: 'string' },
    'save-png': { type: 'string' },
  },
});

// Per policy: executor options. Timed runs replay a captured graph unless captureGraphs is false.
const POLICIES = {
  default: {}, // src-ts/graph/gpu-executor.ts DEFAULT_POLICY: F(2,3) trunk, direct at the 3-channel edges
  eager: { captureGraphs: false }, // the same, every node launched from the worker thread each run
  f4: { algorithm: (conv) => (conv.weights.c >= 16 && conv.weights.k >= 16 ? 'winograd-f4' : 'direct') },
  f6: { algorithm: (conv) => (conv.weights.c >= 16 && conv.weights.k >= 16 ? 'winograd-f6' : 'direct') },
  f2: { algorithm: (conv) => (conv.weights.c >= 16 && conv.weights.k >= 16 ? 'winograd-f2' : 'direct') },
  direct: { algorithm: 'direct' },
  tuned: 'tune', // per conv shape, the fastest algorithm measured at 256×256 (src-ts/graph/tune.ts)
};

const model = await loadEsrgan({ scale: 4, path: args.model });
const packageRoot = join(model.modelJsonPath, '..', '..', '..');
const fixture = decodePng(readFileSync(join(packageRoot, 'assets', 'fixture.png')));
const sample = PNG.sync.read(readFileSync(join(packageRoot, 'assets', 'samples', '4x', 'result.png')));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const report = { date: new Date().toISOString(), model: model.modelJsonPath, policies: {} };

let reference;
if (args.ref) {
  const bytes = readFileSync(args.ref);
  reference = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
} else {
  const started = performance.now();
  reference = (await new CpuExecutor(model.fused, { dtype: 'float64' }).run(fixture.data, fixture.height, fixture.width)).output;
  console.log(`float64 reference of the fixture on the CPU: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (args['write-ref']) writeFileSync(args['write-ref'], Buffer.from(reference.buffer));
}
const psnr8VsSample = (out) => {
  let sum = 0;
  for (let p = 0; p < out.length / 3; p++) for (let c = 0; c < 3; c++) sum += (toBytes(out[p * 3 + c]) - sample.data[p * 4 + c]) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / out.length));
};
report.referenceVsPublishedSampleDb = psnr8VsSample(reference);

const side = Number(args.crop);
const crop = cropImage(fixture, 48, 40, side, side);

for (const name of args.policies.split(',')) {
  if (!(name in POLICIES)) throw new Error(`unknown policy ${name} (${Object.keys(POLICIES).join(', ')})`);
  const entry = {};
  report.policies[name] = entry;
  let executor;
  try {
    let options = POLICIES[name];
    if (options === 'tune') {
      const started = performance.now();
      const tuned = await tuneAlgorithms(model.fused, { height: 256, width: 256 });
      entry.tuning = { seconds: (performance.now() - started) / 1000, table: tuned.table };
      console.log(`tuning (${entry.tuning.seconds.toFixed(1)} s): ${JSON.stringify(tuned.table)}`);
      options = { algorithm: tuned.policy };
    }
    executor = await GpuExecutor.create(model.fused, options);
    entry.description = executor.description;
    entry.weightBytes = executor.pooledBytes();
    const full = await executor.run(fixture.data, fixture.height, fixture.width);
    const range = rangeOf(full.output);
    entry.fixture = {
      psnrVsFloat64Db: psnr(full.output, reference),
      relErrVsFloat64: relativeError(full.output, reference),
      psnr8VsPublishedSampleDb: psnr8VsSample(full.output),
      nan: range.nan,
      inf: range.inf,
      min: range.min,
      max: range.max,
    };
    if (args['save-png'] && name === 'default') {
      writeFileSync(args['save-png'], encodePng({ width: full.width, height: full.height, data: full.output }));
    }
    const check = await compareLayers(model.fused, executor, crop);
    entry.layers = {
      crop: side,
      psnrDb: check.psnrDb,
      nonFinite: check.nonFinite,
      maxAbsActivation: check.maxAbsActivation,
      maxAbsActivationNode: check.maxAbsActivationNode,
      medianConvRelErr: median(check.layers.filter((l) => l.op === 'conv2d').map((l) => l.relErr)),
      worst: [...check.layers].sort((a, b) => b.relErr - a.relErr).slice(0, 5),
      all: check.layers,
    };
    console.log(formatAccuracy(check));
    entry.sizes = [];
    for (const size of args.sizes.split(',').map(Number)) {
      const input = Float32Array.from({ length: size * size * 3 }, (_, i) => fixture.data[i % fixture.data.length]);
      const wall = [];
      const compute = [];
      let replays = 0;
      for (let i = 0; i < Number(args.warmup) + Number(args.reps); i++) {
        const started = performance.now();
        const result = await executor.run(input, size, size);
        if (i >= Number(args.warmup)) {
          wall.push(performance.now() - started);
          compute.push(result.timings.compute);
          replays += result.timings.graphReplays;
        }
      }
      const row = { size, graphReplays: replays, latencyMs: median(wall), computeMs: median(compute), imagesPerSecond: 1000 / median(wall), p90LatencyMs: [...wall].sort((a, b) => a - b)[Math.floor(wall.length * 0.9)] };
      entry.sizes.push(row);
      console.log(`${name} ${size}x${size}: ${JSON.stringify(row)}`);
    }
    entry.captureStatus = executor.captureStatus();
    entry.pooledBytes = executor.pooledBytes();
    entry.deviceMemory = executor.deviceMemory();
  } catch (error) {
    entry.error = `${error.code ?? ''} ${error.message}`;
    console.log(`${name}: ${entry.error}`);
  } finally {
    executor?.dispose();
  }
  const { layers, ...rest } = entry;
  console.log(`${name}: ${JSON.stringify({ ...rest, layers: layers && { ...layers, all: undefined } })}`);
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2)); // after each policy: a timeout keeps the rest
}
