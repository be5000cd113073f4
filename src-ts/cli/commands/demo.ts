/**
 * `nova demo` (= `npm start`): the main job. Runs the 3×3 layers of real networks (bench/suites) as fp16
 * convolutions with bias and ReLU on the best backend present, says which backend and why, and prints per layer
 * the algorithm and path that ran, the error vs a float64 reference and the time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BackendChoice, createDevice } from '../../api/device.js';
import { packageRoot } from '../../binding/load.js';
import type { Command } from '../command.js';
import { type LayerReport, type LayerSpec, runLayer } from '../layer.js';
import { formatError } from './conv.js';

interface SuiteLayer {
  name: string;
  c: number;
  k: number;
  h: number;
  w: number;
  where: string;
}

function loadSuite(name: string): { title: string; layers: SuiteLayer[] } {
  return JSON.parse(readFileSync(join(packageRoot(), 'bench', 'suites', `${name}.json`), 'utf8'));
}

const demo: Command = {
  name: 'demo',
  summary: 'the main job: fp16 3x3 layers of ResNet-50 (and VGG-16 on a GPU) on the best backend, errors and times',
  flags: {
    backend: { type: 'string', choices: ['auto', 'cpu', 'cuda', 'hip'], default: 'auto', description: 'backend' },
    n: { type: 'int', min: 1, max: 256, description: 'batch size (default 1 on the CPU, 8 on a GPU)' },
    runs: { type: 'int', min: 1, max: 1000, description: 'timed runs per layer (default 3 on the CPU, 20 on a GPU)' },
    json: { type: 'boolean', description: 'print the reports as JSON' },
  },
  details:
    'Error = ‖out − ref‖₂ / ‖ref‖₂ against a float64 direct convolution of the same fp16-rounded data (CPU addon).',
  async run(flags, _positionals, io) {
    const started = Date.now();
    const device = await createDevice({ backend: flags.backend as BackendChoice });
    try {
      const gpu = device.kind !== 'cpu';
      io.progress(`nova demo: ${device.selection}`);
      const suites = gpu ? ['resnet50', 'vgg16'] : ['resnet50'];
      const n = (flags.n as number | undefined) ?? (gpu ? 8 : 1);
      const runs = (flags.runs as number | undefined) ?? (gpu ? 20 : 3);
      const reports: { suite: string; where: string; report: LayerReport }[] = [];
      for (const suiteName of suites) {
        const suite = loadSuite(suiteName);
        for (const layer of suite.layers) {
          const spec: LayerSpec = {
            name: `${suiteName} ${layer.where}`,
            n,
            c: layer.c,
            k: layer.k,
            h: layer.h,
            w: layer.w,
            r: 3,
            pad: 1,
            stride: 1,
            layout: 'nhwc',
            dtype: 'float16',
            relu: true,
            bias: true,
            algorithm: 'auto',
            precision: 'fp16',
            runs,
            seed: reports.length + 1,
          };
          io.progress(`[${reports.length + 1}] ${suite.title}: ${layer.where} (C=K=${layer.c}, ${layer.h}x${layer.w}, N=${n}) …`);
          reports.push({ suite: suite.title, where: layer.where, report: await runLayer(device, spec, io.progress) });
        }
      }
      // The same first layer and algorithm with compensated storage (fp16 hi + fp16 lo residual): the accuracy
      // option the fused kernel offers, and what it costs.
      const base = reports[0]!.report;
      const compensated = base.result.algorithm.startsWith('winograd')
        ? await (async () => {
            io.progress(`[${reports.length + 1}] the first layer again with compensated storage …`);
            const spec = { ...base.spec, algorithm: base.result.algorithm, precision: 'compensated' as const };
            return runLayer(device, spec, io.progress);
          })()
        : null;
      if (flags.json) {
        io.out(JSON.stringify({ device: device.info, selection: device.selection, reports, compensated }, null, 2));
        return 0;
      }
      io.out(`NOVA demo on ${device.kind}${device.info.device ? ` (${device.info.device})` : ''}: ${device.selection}`);
      io.out(`fp16 3x3 convolutions, padding 1, bias + ReLU, NHWC, batch ${n}; error vs float64 direct on the same data (image 0)`);
      io.out('');
      const labels = reports.map(({ suite, where, report }) => `${suite.split(' ')[0]} ${where} (${report.spec.c}x${report.spec.h})`);
      const width = Math.max(...labels.map((l) => l.length)) + 1;
      io.out(`${'layer'.padEnd(width)} ${'algorithm'.padEnd(12)} ${'error (rel L2)'.padEnd(15)} ${'time ms'.padStart(9)} ${'GFLOP/s'.padStart(8)}`);
      reports.forEach(({ report }, i) => {
        const error = report.relError === null ? 'n/a' : report.relError.toExponential(2);
        io.out(
          `${labels[i]!.padEnd(width)} ${report.result.algorithm.padEnd(12)} ${error.padEnd(15)} ${report.medianMs.toFixed(2).padStart(9)} ${report.gflops.toFixed(1).padStart(8)}`,
        );
      });
      if (compensated) {
        const error = (r: LayerReport) => (r.relError === null ? 'n/a' : r.relError.toExponential(2));
        io.out(
          `\n${labels[0]} with ${compensated.result.algorithm} and compensated storage (fp16 hi + lo): error ${error(compensated)} ` +
            `(plain fp16 ${error(base)}), ${compensated.medianMs.toFixed(2)} ms (plain ${base.medianMs.toFixed(2)} ms)`,
        );
      }
      const missing = reports.find((r) => r.report.relError === null);
      if (missing) io.out(`\nerror: ${formatError(missing.report)}`);
      io.out('\nwhy each algorithm:');
      reports.forEach(({ report }, i) => io.out(`  ${labels[i]}: ${report.result.reason}`));
      io.out('paths that ran:');
      for (const path of new Set(reports.map(({ report }) => report.result.path))) io.out(`  ${path}`);
      io.out(`time = median wall clock of ${runs} runs of a prepared plan (output not read back); GFLOP/s counts direct-convolution FLOPs`);
      io.progress(`nova demo: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    } finally {
      device.dispose();
    }
  },
};

export default demo;
