/**
 * `nova bench`: our kernels against cuDNN / MIOpen on the suites' layers, in the same run on the same card, with a
 * progress bar on stderr and JSON / markdown / SVG reports. `--from` re-renders (and merges the PyTorch peer into)
 * a saved JSON report without running anything.
 */
import { bench } from '../../bench/run.js';
import { mergePeer, type PeerReport } from '../../bench/peer.js';
import { progressLine } from '../../bench/progress.js';
import { concatReports, readJsonFile, validateReport, writeJson } from '../../bench/report-json.js';
import { reportMarkdown, writeMarkdown } from '../../bench/report-markdown.js';
import { writeSvg } from '../../bench/report-svg.js';
import { summarize } from '../../bench/summary.js';
import { suiteNames } from '../../bench/suites.js';
import { BENCH_ALGORITHMS, DEFAULT_ALGORITHMS, type BenchAlgorithm, type BenchReport } from '../../bench/types.js';
import { UsageError, type Command } from '../command.js';

function list(flag: string, value: unknown): string[] {
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => {
      if (!s) throw new UsageError(`--${flag} has an empty item in '${String(value)}'`);
      return true;
    });
}

const benchCommand: Command = {
  name: 'bench',
  summary: 'time our kernels against cuDNN / MIOpen on real network layers (JSON, markdown, SVG reports)',
  flags: {
    suite: { type: 'string', placeholder: '<a,b|all>', description: `suites: ${suiteNames().join(', ')}`, default: 'all' },
    layer: { type: 'string', placeholder: '<names>', description: 'only these layers, e.g. 1280x16,320x64' },
    batch: { type: 'string', placeholder: '<1,32>', description: 'batch sizes', default: '1,32' },
    algo: { type: 'string', placeholder: '<list>', description: `of ${BENCH_ALGORITHMS.join(', ')}`, default: DEFAULT_ALGORITHMS.join(',') },
    layout: { type: 'string', choices: ['nhwc', 'nchw'], description: 'activation layout', default: 'nhwc' },
    reps: { type: 'int', min: 1, max: 100000, description: 'timed repetitions', default: 50 },
    warmup: { type: 'int', min: 0, max: 10000, description: 'untimed calls first', default: 10 },
    graph: { type: 'boolean', description: 'replay captured graphs (removes launch gaps); --no-graph: one event pair per call', default: true },
    rotate: { type: 'int', min: 0, max: 64, description: 'buffer sets rotated between calls (0: enough for 3× L2)', default: 0 },
    samples: { type: 'int', min: 1, max: 1 << 20, description: 'output positions checked against float64', default: 4096 },
    seed: { type: 'int', min: 0, max: 2 ** 31 - 1, description: 'data seed', default: 1 },
    'e2e-reps': { type: 'int', min: 0, max: 100000, description: 'repetitions of the timed Node call (0: skip)', default: 50 },
    json: { type: 'string', placeholder: '<file>', description: 'write the JSON report (schema: bench/README.md; gzipped if <file> ends in .gz)' },
    md: { type: 'string', placeholder: '<file>', description: 'write the markdown report' },
    svg: { type: 'string', placeholder: '<file>', description: 'write the SVG speedup chart' },
    peer: { type: 'string', placeholder: '<file>', description: 'merge a PyTorch peer report (bench/peer_torch.py --json)' },
    from: { type: 'string', placeholder: '<a.json,b.json>', description: 'render saved JSON reports (concatenated; .gz read gzipped) instead of running' },
    progress: { type: 'boolean', description: 'progress bar on stderr', default: true },
  },
  details: [
    'Examples:',
    '  nova bench --suite resnet50 --batch 1,32 --md out.md',
    '  nova bench --suite sd15,sdxl --algo winograd-f6,auto --json sd.json --svg sd.svg',
    '  nova bench --from sd.json --peer torch.json --md sd.md',
    'GPU times come from device events around the kernels only, for ours and the vendor alike; e2e is the wall time',
    'of `await plan.run(x)` in Node. Without a GPU or vendor library the report says why instead of giving numbers.',
    'With none of --json/--md/--svg, the markdown goes to stdout.',
  ].join('\n'),
  async run(flags, _positionals, io) {
    let report: BenchReport;
    if (flags.from !== undefined) {
      report = concatReports(
        list('from', flags.from).map((file) => {
          const doc = readJsonFile(file);
          const errors = validateReport(doc);
          if (errors.length) throw new UsageError(`--from ${file} is not a nova-bench/1 report: ${errors.slice(0, 3).join('; ')}`);
          return doc as BenchReport;
        }),
      );
    } else {
      const suites = String(flags.suite) === 'all' ? suiteNames() : list('suite', flags.suite);
      for (const s of suites) {
        if (!suiteNames().includes(s)) throw new UsageError(`--suite takes ${suiteNames().join(', ')} or all, got '${s}'`);
      }
      const batches = list('batch', flags.batch).map((b) => {
        const n = Number(b);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--batch takes positive integers, got '${b}'`);
        return n;
      });
      const algorithms = list('algo', flags.algo) as BenchAlgorithm[];
      for (const a of algorithms) {
        if (!BENCH_ALGORITHMS.includes(a)) throw new UsageError(`--algo takes ${BENCH_ALGORITHMS.join(', ')}, got '${a}'`);
      }
      report = await bench({
        suites,
        layers: flags.layer === undefined ? undefined : list('layer', flags.layer),
        batches,
        algorithms,
        layout: flags.layout as 'nhwc' | 'nchw',
        reps: Number(flags.reps),
        warmup: Number(flags.warmup),
        graph: flags.graph !== false,
        rotate: Number(flags.rotate),
        samples: Number(flags.samples),
        seed: Number(flags.seed),
        e2eReps: Number(flags['e2e-reps']),
        progress: flags.progress === false ? false : (e) => io.progress(progressLine(e)),
      });
    }
    if (flags.peer !== undefined) report = mergePeer(report, readJsonFile(String(flags.peer)) as PeerReport);

    const written: string[] = [];
    const writers = [
      [flags.json, writeJson],
      [flags.md, writeMarkdown],
      [flags.svg, writeSvg],
    ] as const;
    for (const [path, write] of writers) {
      if (path === undefined) continue;
      write(report, String(path));
      written.push(String(path));
    }
    if (written.length === 0) {
      io.out(reportMarkdown(report));
      return 0;
    }
    for (const s of summarize(report.rows)) {
      const ratio = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
      io.out(`${s.suite} batch ${s.batch}: auto ${ratio(s.auto_speedup)}, best of ours ${ratio(s.best_speedup)} (geomean over ${s.layers} layers)`);
    }
    io.out(`wrote ${written.join(', ')}`);
    return 0;
  },
};

export default benchCommand;
