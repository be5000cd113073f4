/**
 * `nova points`: seeded search for Winograd F(m,3) interpolation points with low fp16 error (src-ts/numerics),
 * over exact rationals with small denominators, objective the error model or the measured fp16 error on the CPU
 * addon; prints the best sets with their objective, modelled and measured error, and the range scaling.
 */
import { loadCpuNative } from '../../binding/cpu-native.js';
import { makeConvData, dataMoments } from '../../numerics/data.js';
import { measureError } from '../../numerics/measure.js';
import { predictError } from '../../numerics/model.js';
import { formatScaling } from '../../numerics/scaling.js';
import { DEFAULT_SEARCH, searchPoints, type Candidate } from '../../numerics/search.js';
import { exactTransform, toNumeric } from '../../numerics/transform.js';
import type { Command } from '../command.js';

const points: Command = {
  name: 'points',
  summary: 'search Winograd points for low fp16 error (seeded; exact small-denominator rationals)',
  flags: {
    m: { type: 'int', min: 2, max: 8, default: 6, description: 'output tile size of F(m,3)' },
    objective: {
      type: 'string',
      choices: ['model', 'fp16'],
      default: DEFAULT_SEARCH.objective,
      description: "'model': predicted error (fast); 'fp16': measured on the CPU addon (N(0,1), C=--channels)",
    },
    budget: { type: 'int', min: 1, max: 1_000_000, default: DEFAULT_SEARCH.budget, description: 'objective evaluations' },
    seed: { type: 'int', min: 0, default: DEFAULT_SEARCH.seed, description: 'random seed (same seed, same result)' },
    'max-den': { type: 'int', min: 1, max: 64, default: DEFAULT_SEARCH.maxDenominator, description: 'largest denominator' },
    'max-abs': { type: 'number', min: 0.125, max: 64, default: DEFAULT_SEARCH.maxAbs, description: 'largest |point|' },
    dyadic: { type: 'boolean', description: 'only dyadic points (denominators powers of two)' },
    free: { type: 'boolean', description: 'free points instead of 0 and ± pairs' },
    keep: { type: 'int', min: 1, max: 50, default: DEFAULT_SEARCH.keep, description: 'how many sets to print' },
    channels: { type: 'int', min: 1, max: 4096, default: DEFAULT_SEARCH.channels, description: 'channels of the measured data' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  details:
    'Every printed set is verified exact (Aᵀ[(GgGᵀ)⊙(BᵀdB)]A equals the correlation in rational arithmetic). ' +
    "'measured' is the fp16-mode error on N(0,1) data, 1×C×24×24, 8 filters, against a float64 direct conv of " +
    'the same fp16 operands, with the printed power-of-two scaling. See docs/numerics.md.',
  async run(flags, _positionals, io) {
    const m = Number(flags.m);
    const objective = flags.objective as 'model' | 'fp16';
    const channels = Number(flags.channels);
    const cpu = loadCpuNative().addon;
    const started = Date.now();
    const result = await searchPoints({
      m,
      objective,
      budget: Number(flags.budget),
      seed: Number(flags.seed),
      maxDenominator: Number(flags['max-den']),
      maxAbs: Number(flags['max-abs']),
      dyadicOnly: flags.dyadic === true,
      symmetric: flags.free !== true,
      keep: Number(flags.keep),
      channels,
      cpu,
    });
    io.progress(`searched ${result.evaluations} sets in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // the data the fp16 objective sees, so 'measured' equals the objective there
    const data = makeConvData('normal', Number(flags.seed), channels, 8, 24, 24);
    const describe = async (c: Candidate) => {
      const t = toNumeric(exactTransform(m, c.points, c.scaling));
      const measured = (await measureError(cpu, t, data, 'fp16')).relError;
      const modelled = predictError({ transform: t, channels, storage: 'fp16', ...dataMoments('normal') }).relError;
      return { points: c.points, objective: c.objective, modelled, measured, dyadic: c.dyadic, exactInFp16: c.exactInFp16, scaling: formatScaling(c.scaling) };
    };
    const rows: Awaited<ReturnType<typeof describe>>[] = [];
    for (const c of result.best) rows.push(await describe(c));
    const dyadic = result.bestDyadic ? await describe(result.bestDyadic) : null;
    if (flags.json) {
      io.out(JSON.stringify({ options: result.options, evaluations: result.evaluations, best: rows, bestDyadic: dyadic }, null, 2));
      return 0;
    }
    io.out(`F(${m},3), objective ${objective}, ${result.evaluations} evaluations, seed ${flags.seed}`);
    io.out('objective   modelled   measured   dyadic  points');
    const line = (r: (typeof rows)[number]) =>
      `${r.objective.toExponential(3)}  ${r.modelled.toExponential(3)}  ${r.measured.toExponential(3)}  ${r.dyadic ? 'yes   ' : 'no    '}  {${r.points.join(', ')}}`;
    for (const r of rows) io.out(line(r));
    if (dyadic && !rows.some((r) => r.points.join() === dyadic.points.join())) io.out(`best dyadic:\n${line(dyadic)}`);
    io.out(`scaling of the best: ${rows[0]?.scaling ?? '–'}`);
    return 0;
  },
};

export default points;
