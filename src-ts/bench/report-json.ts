/**
 * The JSON report: `{ header, rows }` (schema 'nova-bench/1', documented in bench/README.md). `validateReport`
 * checks a parsed document field by field, so consumers and our tests can trust its shape.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

import type { BenchReport } from './types.js';

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
/** Row fields: [kind, nullable]. */
export const ROW_FIELDS: Readonly<Record<string, readonly [Kind, boolean]>> = {
  suite: ['string', false],
  layer: ['string', false],
  batch: ['integer', false],
  n: ['integer', false],
  c: ['integer', false],
  k: ['integer', false],
  h: ['integer', false],
  w: ['integer', false],
  layout: ['string', false],
  algo: ['string', false],
  algo_ran: ['string', true],
  path: ['string', true],
  status: ['string', false],
  note: ['string', true],
  ours_us: ['number', true],
  ours_p10_us: ['number', true],
  ours_p90_us: ['number', true],
  spread: ['number', true],
  timing: ['string', true],
  vendor_library: ['string', false],
  vendor_us: ['number', true],
  vendor_p10_us: ['number', true],
  vendor_p90_us: ['number', true],
  vendor_spread: ['number', true],
  vendor_algo: ['string', false],
  vendor_timing: ['string', true],
  speedup: ['number', true],
  tflops: ['number', true],
  vendor_tflops: ['number', true],
  bandwidth_gbs: ['number', true],
  rel_err: ['number', true],
  vendor_rel_err: ['number', true],
  nonfinite: ['integer', true],
  vendor_nonfinite: ['integer', true],
  e2e_us: ['number', true],
  e2e_p10_us: ['number', true],
  e2e_p90_us: ['number', true],
  prepare_us: ['number', true],
};
const OPTIONAL_ROW_FIELDS: Readonly<Record<string, readonly [Kind, boolean]>> = {
  vendor_selection: ['string', true],
  rotation_bytes: ['number', true],
  peer_torch_eager_us: ['number', true],
  peer_torch_graph_us: ['number', true],
  peer_torch_compile_us: ['number', true],
};
export const HEADER_FIELDS: Readonly<Record<string, readonly [Kind, boolean]>> = {
  schema: ['string', false],
  tool: ['string', false],
  date: ['string', false],
  git_commit: ['string', true],
  card: ['string', true],
  driver: ['string', true],
  runtime: ['string', true],
  platform: ['string', true],
  vendor: ['object', false],
  node: ['string', false],
  suites: ['array', false],
  options: ['object', false],
  accuracy_convention: ['string', false],
  timing_method: ['string', false],
};
const ENUMS: Readonly<Record<string, readonly string[]>> = {
  layout: ['nhwc', 'nchw'],
  algo: ['winograd-f6', 'winograd-f4', 'winograd-f2', 'winograd-f8', 'direct', 'auto'],
  status: ['ok', 'unsupported', 'error', 'no-gpu'],
};

function kindOf(v: unknown): Kind | 'null' | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'object') return typeof v as Kind;
  return 'other';
}

function checkFields(obj: Record<string, unknown>, spec: Record<string, readonly [Kind, boolean]>, where: string, required: boolean): string[] {
  const errors: string[] = [];
  for (const [name, [kind, nullable]] of Object.entries(spec)) {
    if (!(name in obj)) {
      if (required) errors.push(`${where}.${name} is missing`);
      continue;
    }
    const got = kindOf(obj[name]);
    const ok = got === kind || (kind === 'number' && got === 'integer') || (nullable && got === 'null');
    if (!ok) errors.push(`${where}.${name} should be ${kind}${nullable ? ' or null' : ''} but is ${got}`);
    const allowed = ENUMS[name];
    if (ok && allowed && got === 'string' && !allowed.includes(obj[name] as string)) {
      errors.push(`${where}.${name} is ${JSON.stringify(obj[name])}, not one of ${allowed.join(', ')}`);
    }
  }
  return errors;
}

/** Every problem with `doc` as a nova-bench/1 report; empty when valid. */
export function validateReport(doc: unknown): string[] {
  if (kindOf(doc) !== 'object') return ['report is not an object'];
  const { header, rows } = doc as { header?: unknown; rows?: unknown };
  const errors: string[] = [];
  if (kindOf(header) !== 'object') errors.push('header is missing');
  else {
    errors.push(...checkFields(header as Record<string, unknown>, HEADER_FIELDS, 'header', true));
    if ((header as { schema?: unknown }).schema !== 'nova-bench/1') errors.push('header.schema is not "nova-bench/1"');
  }
  if (!Array.isArray(rows)) errors.push('rows is not an array');
  else
    rows.forEach((row, i) => {
      if (kindOf(row) !== 'object') errors.push(`rows[${i}] is not an object`);
      else {
        errors.push(...checkFields(row as Record<string, unknown>, ROW_FIELDS, `rows[${i}]`, true));
        errors.push(...checkFields(row as Record<string, unknown>, OPTIONAL_ROW_FIELDS, `rows[${i}]`, false));
      }
    });
  return errors;
}

/** JSON text of the report (NaN, which JSON lacks, becomes null: a rel_err of NaN means non-finite outputs). */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

// A path ending in .gz is gzip-compressed (a full run's report is ~0.9 MB of JSON and ~55 KB gzipped; the committed
// runs in bench/results/ are kept gzipped so that the tree still fits beside what a device call carries).
const isGzipPath = (path: string) => path.endsWith('.gz');

export function writeJson(report: BenchReport, path: string): void {
  const text = reportJson(report);
  writeFileSync(path, isGzipPath(path) ? gzipSync(text, { level: 9 }) : text);
}

/** The parsed JSON document at `path` (gunzipped first where the path ends in .gz). */
export function readJsonFile(path: string): unknown {
  const bytes = readFileSync(path);
  return JSON.parse((isGzipPath(path) ? gunzipSync(bytes) : bytes).toString('utf8'));
}

/**
 * One report from several runs of the same build on the same card (e.g. one process per suite, so a crash in one
 * cannot lose the others): rows concatenated, the first header kept with every run's suites and batches. Refuses to
 * mix cards.
 */
export function concatReports(reports: readonly BenchReport[]): BenchReport {
  if (reports.length === 0) throw new RangeError('Expected at least one report to concatenate');
  const first = reports[0]!;
  for (const r of reports) {
    if (r.header.card !== first.header.card || r.header.git_commit !== first.header.git_commit) {
      throw new RangeError(
        `Expected reports from one card and commit but received ${r.header.card ?? 'none'} @ ${r.header.git_commit ?? '?'} ` +
          `and ${first.header.card ?? 'none'} @ ${first.header.git_commit ?? '?'}`,
      );
    }
  }
  return {
    header: {
      ...first.header,
      suites: [...new Map(reports.flatMap((r) => r.header.suites).map((s) => [s.suite, s])).values()],
      options: {
        ...first.header.options,
        batches: [...new Set(reports.flatMap((r) => r.header.options.batches))].sort((x, y) => x - y),
      },
    },
    rows: reports.flatMap((r) => r.rows),
  };
}
