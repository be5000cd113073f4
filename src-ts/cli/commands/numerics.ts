/**
 * `nova numerics`: measures the fp16 error of one Winograd point set on seeded data with the CPU addon's
 * emulation of the GPU pipeline, next to the model's prediction and per-stage overflow/underflow counts.
 * The full study (every family, docs/numerics.md) is `npm run numerics:report`.
 */
import { loadCpuNative } from '../../binding/cpu-native.js';
import { DEFAULT_POINTS } from '../../winograd/points.js';
import { DATA_KINDS, dataMoments, makeConvData, type DataKind } from '../../numerics/data.js';
import { measureError, type StageShares } from '../../numerics/measure.js';
import { predictError } from '../../numerics/model.js';
import { chooseScaling, formatScaling } from '../../numerics/scaling.js';
import { exactTransform, toNumeric } from '../../numerics/transform.js';
import { type Command, UsageError } from '../command.js';

const numerics: Command = {
  name: 'numerics',
  summary: 'measure the fp16 error of a Winograd point set (CPU emulation of the GPU pipeline) against the model',
  flags: {
    m: { type: 'int', min: 2, max: 8, default: 6, description: 'output tile size of F(m,3)' },
    points: { type: 'string', placeholder: '<p,p,…>', description: 'finite points, e.g. "0,1,-1,2,-2,1/2,-1/2" (default: the built defaults)' },
    data: { type: 'string', choices: [...DATA_KINDS], default: 'normal', description: 'data kind (see docs/numerics.md)' },
    channels: { type: 'int', min: 1, max: 8192, default: 256, description: 'input channels' },
    size: { type: 'int', min: 3, max: 512, default: 24, description: 'input height and width' },
    filters: { type: 'int', min: 1, max: 1024, default: 16, description: 'output channels' },
    storage: { type: 'string', choices: ['fp16', 'compensated'], default: 'fp16', description: 'how V and U are stored' },
    seed: { type: 'int', min: 0, default: 1, description: 'data seed' },
    unscaled: { type: 'boolean', description: 'use the generator matrices without the range scaling' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run(flags, _positionals, io) {
    const m = Number(flags.m);
    const pts =
      flags.points !== undefined
        ? String(flags.points).split(',').map((p) => p.trim())
        : (DEFAULT_POINTS as Record<number, readonly string[]>)[m];
    if (!pts) throw new UsageError(`no built default points for m=${m}: pass --points`);
    const base = exactTransform(m, pts);
    const scaling = flags.unscaled ? null : chooseScaling(base);
    const transform = toNumeric(exactTransform(m, pts, scaling));
    const kind = flags.data as DataKind;
    const storage = flags.storage as 'fp16' | 'compensated';
    const data = makeConvData(kind, Number(flags.seed), Number(flags.channels), Number(flags.filters), Number(flags.size), Number(flags.size));
    const measured = await measureError(loadCpuNative().addon, transform, data, storage);
    const modelled = predictError({ transform, channels: data.c, storage, ...dataMoments(kind) });
    const result = { m, points: pts, scaling: formatScaling(scaling), data: kind, channels: data.c, storage, measured, modelled };
    if (flags.json) {
      io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    const stage = (name: string, s: StageShares) =>
      `${name.padEnd(16)} ${String(s.counts.count).padStart(9)} ${String(s.counts.inf).padStart(7)} ${String(s.counts.nan).padStart(7)} ` +
      `${String(s.counts.flushedToZero).padStart(8)} ${String(s.counts.subnormal).padStart(10)} ${s.maxAbs.toExponential(2).padStart(10)}`;
    io.out(`F(${m},3) {${pts.join(', ')}} + inf; scaling ${result.scaling}`);
    io.out(`data ${kind}, 1×${data.c}×${data.h}×${data.w} → ${data.k} filters, seed ${flags.seed}; storage ${storage}; reference float64 direct conv of the same fp16 operands`);
    io.out(`relative error  measured ${measured.relError.toExponential(3)}  modelled ${modelled.relError.toExponential(3)}  (max abs error ${measured.maxAbsError.toExponential(2)}, max |ref| ${measured.refMaxAbs.toExponential(2)})`);
    io.out('stage                count     Inf     NaN  flushed  subnormal     maxAbs');
    io.out(stage('input (V)', measured.stages.inputTransform));
    io.out(stage('filter (U)', measured.stages.filterTransform));
    io.out(stage('output (Y)', measured.stages.output));
    return 0;
  },
};

export default numerics;
