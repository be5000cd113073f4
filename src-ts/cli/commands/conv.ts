/** `nova conv`: one convolution layer on a chosen backend, with its error vs float64 and its time. */
import { ALGORITHM_CHOICES, type AlgorithmChoice } from '../../api/conv2d.js';
import { type BackendChoice, createDevice } from '../../api/device.js';
import type { DType, WinogradPrecision } from '../../backends/backend.js';
import { type Command, UsageError } from '../command.js';
import { describeSpec, type LayerReport, runLayer } from '../layer.js';

const conv: Command = {
  name: 'conv',
  summary: 'run one convolution layer; print backend, algorithm, path, error vs float64 and time',
  flags: {
    n: { type: 'int', min: 1, max: 4096, default: 1, description: 'batch size' },
    c: { type: 'int', min: 1, max: 65536, default: 64, description: 'input channels' },
    k: { type: 'int', min: 1, max: 65536, default: 64, description: 'output channels' },
    hw: { type: 'int', min: 1, max: 16384, default: 56, description: 'input height and width' },
    h: { type: 'int', min: 1, max: 16384, description: 'input height (overrides --hw)' },
    w: { type: 'int', min: 1, max: 16384, description: 'input width (overrides --hw)' },
    r: { type: 'int', min: 1, max: 15, default: 3, description: 'filter height and width' },
    pad: { type: 'int', min: 0, max: 64, default: 1, description: 'zero padding on each side' },
    stride: { type: 'int', min: 1, max: 16, default: 1, description: 'stride' },
    algo: { type: 'string', choices: ALGORITHM_CHOICES, default: 'auto', description: 'algorithm' },
    backend: { type: 'string', choices: ['auto', 'cpu', 'cuda', 'hip'], default: 'auto', description: 'backend' },
    dtype: { type: 'string', choices: ['float16', 'float32'], default: 'float16', description: 'data type' },
    precision: { type: 'string', choices: ['fp16', 'compensated'], default: 'fp16', description: 'Winograd-domain storage' },
    layout: { type: 'string', choices: ['nhwc', 'nchw'], default: 'nhwc', description: 'activation layout' },
    relu: { type: 'boolean', description: 'fused ReLU' },
    bias: { type: 'boolean', description: 'add a random per-channel bias' },
    runs: { type: 'int', min: 1, max: 1000, default: 5, description: 'timed runs (the median is printed)' },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, default: 1, description: 'data seed' },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  details: [
    'Data: uniform(-1,1) input, uniform filter scaled by 1/sqrt(C·R·S), rounded to the dtype; the float64 direct',
    'reference (CPU addon) uses exactly those rounded values. Error = ‖out − ref‖₂ / ‖ref‖₂ over image 0 of the batch.',
    'Time: wall clock of plan.run() (prepareConv plan; output not read back), median of --runs after a warm-up run.',
    'Example: nova conv --n 1 --c 64 --k 64 --hw 56 --algo winograd-f6',
  ].join('\n'),
  async run(flags, _positionals, io) {
    const h = (flags.h ?? flags.hw) as number;
    const w = (flags.w ?? flags.hw) as number;
    const r = flags.r as number;
    const pad = flags.pad as number;
    if (h + 2 * pad < r || w + 2 * pad < r) throw new UsageError(`the ${r}x${r} filter does not fit a ${h}x${w} input with padding ${pad}`);
    const device = await createDevice({ backend: flags.backend as BackendChoice });
    try {
      io.progress(`nova conv: ${device.selection}`);
      const spec = {
        n: flags.n as number,
        c: flags.c as number,
        k: flags.k as number,
        h,
        w,
        r,
        pad,
        stride: flags.stride as number,
        layout: flags.layout as 'nhwc' | 'nchw',
        dtype: flags.dtype as DType,
        relu: flags.relu === true,
        bias: flags.bias === true,
        algorithm: flags.algo as AlgorithmChoice,
        precision: flags.precision as WinogradPrecision,
        runs: flags.runs as number,
        seed: flags.seed as number,
      };
      io.progress(`running ${describeSpec(spec)} (${spec.runs} timed runs after a warm-up) …`);
      const report = await runLayer(device, spec, io.progress);
      io.out(flags.json ? JSON.stringify({ device: device.info, ...report }, null, 2) : formatLayer(report, device.info.device));
      return 0;
    } finally {
      device.dispose();
    }
  },
};

export function formatError(report: LayerReport): string {
  if (report.relError === null) return `unavailable (${report.referenceNote ?? 'no reference'})`;
  const nonFinite = report.nonFinite ? `, ${report.nonFinite} non-finite outputs` : '';
  return `${report.relError.toExponential(3)} relative L2, max abs ${report.maxAbsError!.toExponential(3)}${nonFinite}`;
}

function formatLayer(report: LayerReport, deviceName: string | undefined): string {
  const { result } = report;
  return [
    `layer      ${describeSpec(report.spec)}${report.spec.relu ? ' +relu' : ''}${report.spec.bias ? ' +bias' : ''}`,
    `backend    ${result.backend}${deviceName ? ` (${deviceName})` : ''}`,
    `algorithm  ${result.algorithm}${result.precision ? ` (${result.precision} storage)` : ''}`,
    `path       ${result.path}${result.layoutConverted ? ' (layout converted)' : ''}`,
    `why        ${result.reason}`,
    `error      ${formatError(report)} vs float64 direct (image 0)`,
    `time       ${report.medianMs.toFixed(3)} ms median of ${report.timesMs.length} (${report.gflops.toFixed(1)} GFLOP/s direct-equivalent)`,
  ].join('\n');
}

export default conv;
