/** The benchmark as a library: `bench(options)` and the JSON / markdown / SVG writers (see bench/README.md). */
export { bench, type BenchOptions } from './run.js';
export { concatReports, reportJson, validateReport, writeJson } from './report-json.js';
export { reportMarkdown, writeMarkdown } from './report-markdown.js';
export { reportSvg, writeSvg } from './report-svg.js';
export { summarize, type SuiteSummary } from './summary.js';
export { loadSuite, suiteNames } from './suites.js';
export { mergePeer, type PeerReport, type PeerRow } from './peer.js';
export type { ProgressEvent, ProgressSink } from './progress.js';
export type * from './types.js';
export { BENCH_ALGORITHMS, DEFAULT_ALGORITHMS } from './types.js';
