/**
 * `bench(options)`: our kernels against the vendor library (cuDNN / MIOpen) on the same card, in the same run, on
 * the same buffers; one row per layer × batch × algorithm, with accuracy beside every time. Usable from a script:
 *
 *   import { bench, writeMarkdown } from 'nova-conv/bench';
 *   const report = await bench({ suites: ['resnet50'], batches: [1, 32] });
 *
 * Without a GPU (or without the vendor library) it still returns a report: rows say what was unavailable and why.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { packageRoot } from '../binding/load.js';
import { makeConvData, referenceAt, relativeError, sampleIndices, type ConvData } from './data.js';
import type { EndToEnd, EndToEndResult } from './e2e.js';
import {
  loadBenchNative,
  type BenchConvResult,
  type BenchNative,
  type BenchTarget,
  type BenchTargetResult,
} from './native.js';
import { mergePeer, type PeerReport } from './peer.js';
import { stderrProgress, type ProgressSink } from './progress.js';
import { timeStats } from './stats.js';
import { loadSuite, suiteNames } from './suites.js';
import {
  BENCH_ALGORITHMS,
  DEFAULT_ALGORITHMS,
  type BenchAlgorithm,
  type BenchHeader,
  type BenchReport,
  type BenchRow,
  type Suite,
  type VendorInfo,
} from './types.js';

export interface BenchOptions {
  /** Suite names (bench/suites/*.json); default all. */
  suites?: readonly string[];
  /** Only these layer names (e.g. '1280x16'); default all. */
  layers?: readonly string[];
  /** Default [1, 32]. */
  batches?: readonly number[];
  /** Default winograd-f6, -f4, -f2, direct, auto. */
  algorithms?: readonly BenchAlgorithm[];
  /** Default 'nhwc'. With 'nchw' our NHWC kernels are timed with the layout conversions around them. */
  layout?: 'nhwc' | 'nchw';
  /** Untimed calls first (default 10). */
  warmup?: number;
  /** Timed repetitions, each a graph replay or one eager call (default 50). */
  reps?: number;
  /** Replay captured graphs (default true): removes launch gaps, which dominate small batch-1 layers. */
  graph?: boolean;
  /** Buffer sets rotated between calls; 0 (default) = enough to exceed 3× the L2 cache. */
  rotate?: number;
  /** Output positions checked against the float64 reference (default 4096). */
  samples?: number;
  /** Data seed (default 1). */
  seed?: number;
  /** Repetitions of the end-to-end Node call (default 50; 0 skips it). */
  e2eReps?: number;
  /** true (default when stderr is a TTY or CI is unset): a progress bar on stderr; or your own sink. */
  progress?: boolean | ProgressSink;
  /** A PyTorch peer report (bench/peer_torch.py --json) to merge into the rows. */
  peer?: PeerReport | null;
  /** For tests and embedding: the natives to use (null: behave as if the GPU addon were missing). */
  native?: BenchNative | null;
  /** For tests and embedding: the end-to-end runner (null: skip); default the public API. */
  endToEnd?: EndToEnd | null;
}

interface Resolved {
  suites: Suite[];
  layers: readonly string[] | null;
  batches: number[];
  algorithms: BenchAlgorithm[];
  layout: 'nhwc' | 'nchw';
  warmup: number;
  reps: number;
  graph: boolean;
  rotate: number;
  samples: number;
  seed: number;
  e2eReps: number;
}

const ACCURACY_CONVENTION =
  'inputs and filters i.i.d. uniform on {j/1024 : j = -1024..1024} (exact in fp16); reference: float64 direct ' +
  'cross-correlation of the same fp16 values at a seeded sample of output positions; rel_err = ||out - ref||2 / ||ref||2 ' +
  'over those positions; outputs are fp16 (ours: fp32 transforms and accumulation, fp16 Winograd-domain storage unless ' +
  'the path says compensated; vendor: fp16 data, fp32 compute type).';
const TIMING_METHOD =
  'GPU time from device events around the kernels only (vendor and ours alike, same buffers); input/filter/output ' +
  'rotated over buffer sets totalling >= 3x L2 (rotation_bytes); warm-up first; with graph=true G calls are captured in ' +
  'one graph and replayed reps times (time per call = replay / G, G sized so a replay lasts >= ~200 us, then rounded ' +
  'up to a multiple of the sets so that every replay cycles through all of them); median, p10, p90 over reps. ' +
  'e2e_us: wall time of one `await plan.run(x)` from Node through the public API.';

function resolve(o: BenchOptions): Resolved {
  const int = (v: unknown, name: string, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`Expected an integer between ${min} and ${max} for ${name} but received ${String(v)} of type ${typeof v}`);
    }
    return v;
  };
  const names = o.suites ?? suiteNames();
  const batches = [...(o.batches ?? [1, 32])];
  batches.forEach((b, i) => int(b, `batches[${i}]`, 1, 4096, 1));
  const algorithms = [...(o.algorithms ?? DEFAULT_ALGORITHMS)];
  for (const a of algorithms) {
    if (!BENCH_ALGORITHMS.includes(a)) {
      throw new RangeError(`Expected one of ${BENCH_ALGORITHMS.join(', ')} for algorithms but received ${JSON.stringify(a)} of type ${typeof a}`);
    }
  }
  const layout = o.layout ?? 'nhwc';
  if (layout !== 'nhwc' && layout !== 'nchw') {
    throw new RangeError(`Expected 'nhwc' or 'nchw' for layout but received ${JSON.stringify(layout)} of type ${typeof layout}`);
  }
  return {
    suites: names.map(loadSuite),
    layers: o.layers ?? null,
    batches,
    algorithms,
    layout,
    warmup: int(o.warmup, 'warmup', 0, 10_000, 10),
    reps: int(o.reps, 'reps', 1, 100_000, 50),
    graph: o.graph ?? true,
    rotate: int(o.rotate, 'rotate', 0, 64, 0),
    samples: int(o.samples, 'samples', 1, 1 << 20, 4096),
    seed: int(o.seed, 'seed', 0, 2 ** 31 - 1, 1),
    e2eReps: int(o.e2eReps, 'e2eReps', 0, 100_000, 50),
  };
}

/** Runs the benchmark; see BenchOptions. Resolves to a report even when the GPU or the vendor library is missing. */
export async function bench(options: BenchOptions = {}): Promise<BenchReport> {
  const r = resolve(options);
  const progress = progressSink(options.progress);

  let native: BenchNative | null = null;
  let noGpuReason = '';
  if (options.native !== undefined) {
    native = options.native;
    if (!native) noGpuReason = 'no GPU addon (disabled by the caller)';
  } else {
    const loaded = loadBenchNative();
    if (loaded.ok) native = loaded.native;
    else noGpuReason = loaded.reason;
  }

  let vendor: VendorInfo = { library: 'none', available: false, reason: noGpuReason };
  let device: ReturnType<BenchNative['deviceInfo']> = {};
  if (native) {
    device = safe(() => native!.deviceInfo(0), {});
    if (device.available === false) {
      // The addon loads but there is no usable device (no driver, no GPU): nothing to time.
      noGpuReason = `no GPU device: ${device.reason ?? 'unknown reason'}`;
      native = null;
    } else {
      vendor = safe(() => native!.vendorInfo(), { library: 'unknown', available: false, reason: 'vendorInfo() threw' });
    }
  }
  if (!native) vendor = { ...vendor, reason: vendor.reason || noGpuReason };

  let e2e: EndToEnd | null = null;
  let e2eNote = '';
  if (native && r.e2eReps > 0 && options.endToEnd !== null) {
    try {
      e2e = options.endToEnd ?? (await (await import('./e2e.js')).publicApiEndToEnd(native.platform === 'hip' ? 'hip' : 'cuda'));
    } catch (error) {
      e2eNote = `end-to-end timing unavailable: ${(error as Error).message}`;
    }
  }

  const cases = r.suites.flatMap((suite) =>
    suite.layers
      .filter((l) => !r.layers || r.layers.includes(l.name))
      .flatMap((layer) => r.batches.map((batch) => ({ suite, layer, batch }))),
  );
  const rows: BenchRow[] = [];
  try {
    for (const [i, { suite, layer, batch }] of cases.entries()) {
      progress({ done: i, total: cases.length, label: `${suite.suite} ${layer.name} N=${batch}` });
      const data = makeConvData({ n: batch, c: layer.c, h: layer.h, w: layer.w, k: layer.k, layout: r.layout }, r.seed + i);
      const base = { suite: suite.suite, layer: layer.name, batch, n: batch, c: layer.c, k: layer.k, h: layer.h, w: layer.w, layout: r.layout };
      if (!native) {
        rows.push(...r.algorithms.map((algo) => emptyRow(base, algo, vendor, 'no-gpu', noGpuReason)));
        continue;
      }
      rows.push(...(await benchCase(native, e2e, e2eNote, r, data, base, vendor)));
    }
    progress({ done: cases.length, total: cases.length, label: 'done' });
  } finally {
    e2e?.dispose();
  }

  const header: BenchHeader = {
    schema: 'nova-bench/1',
    tool: 'nova bench',
    date: new Date().toISOString(),
    git_commit: gitCommit(),
    card: device.name ?? null,
    driver: nvidiaDriver() ?? device.driverVersion ?? null,
    runtime: device.runtimeVersion ?? null,
    platform: native?.platform ?? null,
    vendor,
    node: process.version,
    suites: r.suites.map((s) => ({ suite: s.suite, source: s.source })),
    options: {
      batches: r.batches,
      algorithms: r.algorithms,
      layout: r.layout,
      warmup: r.warmup,
      reps: r.reps,
      graph: r.graph,
      rotate: r.rotate,
      samples: r.samples,
      seed: r.seed,
      e2e_reps: e2e ? r.e2eReps : 0,
    },
    accuracy_convention: ACCURACY_CONVENTION,
    timing_method: TIMING_METHOD,
    peer: null,
  };
  const report: BenchReport = { header, rows };
  return options.peer ? mergePeer(report, options.peer) : report;
}

type RowBase = Pick<BenchRow, 'suite' | 'layer' | 'batch' | 'n' | 'c' | 'k' | 'h' | 'w' | 'layout'>;

async function benchCase(
  native: BenchNative,
  e2e: EndToEnd | null,
  e2eNote: string,
  r: Resolved,
  data: ConvData,
  base: RowBase,
  vendor: VendorInfo,
): Promise<BenchRow[]> {
  // End-to-end first: it also tells which algorithm 'auto' picks, which the GPU timing then covers.
  const e2eResults = new Map<BenchAlgorithm, EndToEndResult | Error>();
  if (e2e) {
    for (const algo of r.algorithms) {
      try {
        e2eResults.set(algo, await e2e.measure(data, algo, r.e2eReps));
      } catch (error) {
        e2eResults.set(algo, error as Error);
      }
    }
  }
  const autoPick = e2eResults.get('auto');
  const autoTarget = autoPick && !(autoPick instanceof Error) ? (autoPick.algorithm as BenchTarget) : null;
  const targets = new Set<BenchTarget>();
  for (const algo of r.algorithms) if (algo !== 'auto') targets.add(algo);
  if (autoTarget) targets.add(autoTarget);
  targets.add('vendor');

  const out = base.n * base.k * base.h * base.w;
  const indices = sampleIndices(out, r.samples, r.seed ^ out);
  const ref = referenceAt(data, indices);
  let result: Awaited<ReturnType<BenchNative['benchConv']>>;
  try {
    result = await native.benchConv({
      n: data.n,
      c: data.c,
      h: data.h,
      w: data.w,
      k: data.k,
      layout: data.layout,
      input: data.input,
      filter: data.filter,
      targets: [...targets],
      warmup: r.warmup,
      reps: r.reps,
      graph: r.graph,
      callsPerReplay: 20,
      rotate: r.rotate,
      samples: indices,
    });
  } catch (error) {
    // The whole case failed on the device (no device, out of memory): every row says so, the run goes on.
    const message = (error as Error).message;
    return r.algorithms.map((algo) => emptyRow(base, algo, vendor, 'error', message));
  }
  const byLabel = new Map(result.results.map((t) => [t.label, t]));
  const v = byLabel.get('vendor');

  return r.algorithms.map((algo) => {
    const e = e2eResults.get(algo);
    const target = algo === 'auto' ? autoTarget : algo;
    const t = target ? byLabel.get(target) : undefined;
    let note: string | null = null;
    if (algo === 'auto' && !autoTarget) {
      note = e instanceof Error ? `auto: ${e.message}` : e2eNote || 'auto needs the end-to-end run to learn its choice';
    }
    return makeRow(base, algo, t ?? null, v ?? null, vendor, ref, e, note, e2eNote, result);
  });
}

function makeRow(
  base: RowBase,
  algo: BenchAlgorithm,
  t: BenchTargetResult | null,
  v: BenchTargetResult | null,
  vendor: VendorInfo,
  ref: Float64Array,
  e: EndToEndResult | Error | undefined,
  note: string | null,
  e2eNote: string,
  rotation: Pick<BenchConvResult, 'rotation' | 'bytesPerSet' | 'l2Bytes'>,
): BenchRow {
  const rotationBytes = rotation.rotation * rotation.bytesPerSet;
  const flops = 2 * base.n * base.c * base.k * base.h * base.w * 9;
  const bytes = 2 * (base.n * base.c * base.h * base.w + base.k * base.c * 9 + base.n * base.k * base.h * base.w);
  const ours = t?.ok ? timeStats(t.timesUs) : null;
  const theirs = v?.ok ? timeStats(v.timesUs) : null;
  const e2eStats = e && !(e instanceof Error) ? timeStats(e.timesUs) : null;
  const notes = [
    note,
    t && !t.ok ? t.reason ?? 'failed' : null,
    t?.modeNote ?? null,
    v?.modeNote ? `vendor: ${v.modeNote}` : null,
    e instanceof Error ? `e2e: ${e.message}` : null,
    !e && e2eNote ? e2eNote : null,
    t?.ok && t.nonFinite > 0 ? `${t.nonFinite} non-finite outputs` : null,
    rotationBytes < 3 * rotation.l2Bytes
      ? `rotated over ${(rotationBytes / 2 ** 20).toFixed(1)} MB only, less than 3× L2: operands may be in cache`
      : null,
  ].filter((x): x is string => !!x);
  const status = t?.ok ? 'ok' : t?.unsupported ? 'unsupported' : 'error';
  const vendorAlgo = v?.ok
    ? v.algorithm
    : !vendor.available
      ? `unavailable: ${vendor.reason ?? 'unknown reason'}`
      : `failed: ${v?.reason ?? 'not run'}`;
  return {
    ...base,
    algo,
    algo_ran: t ? t.label : null,
    path: t?.ok ? t.algorithm : null,
    status,
    note: notes.length ? notes.join('; ') : null,
    ours_us: ours?.median_us ?? null,
    ours_p10_us: ours?.p10_us ?? null,
    ours_p90_us: ours?.p90_us ?? null,
    spread: ours?.spread ?? null,
    timing: t?.ok ? timingText(t) : null,
    vendor_library: vendor.library,
    vendor_us: theirs?.median_us ?? null,
    vendor_p10_us: theirs?.p10_us ?? null,
    vendor_p90_us: theirs?.p90_us ?? null,
    vendor_spread: theirs?.spread ?? null,
    vendor_algo: vendorAlgo,
    vendor_timing: v?.ok ? timingText(v) : null,
    vendor_selection: v?.ok ? (v.selection ?? null) : null,
    speedup: ours && theirs ? theirs.median_us / ours.median_us : null,
    tflops: ours ? flops / ours.median_us / 1e6 : null,
    vendor_tflops: theirs ? flops / theirs.median_us / 1e6 : null,
    bandwidth_gbs: ours ? bytes / ours.median_us / 1e3 : null,
    rel_err: t?.ok ? relativeError(t.samples, ref) : null,
    vendor_rel_err: v?.ok ? relativeError(v.samples, ref) : null,
    nonfinite: t?.ok ? t.nonFinite : null,
    vendor_nonfinite: v?.ok ? v.nonFinite : null,
    e2e_us: e2eStats?.median_us ?? null,
    e2e_p10_us: e2eStats?.p10_us ?? null,
    e2e_p90_us: e2eStats?.p90_us ?? null,
    prepare_us: t?.ok && t.prepareUs > 0 ? t.prepareUs : null,
    rotation_bytes: rotationBytes,
  };
}

function timingText(t: BenchTargetResult): string {
  return t.mode === 'graph' ? `graph×${t.callsPerReplay}` : t.mode || 'events';
}

function emptyRow(base: RowBase, algo: BenchAlgorithm, vendor: VendorInfo, status: BenchRow['status'], note: string): BenchRow {
  return {
    ...base,
    algo,
    algo_ran: null,
    path: null,
    status,
    note,
    ours_us: null,
    ours_p10_us: null,
    ours_p90_us: null,
    spread: null,
    timing: null,
    vendor_library: vendor.library,
    vendor_us: null,
    vendor_p10_us: null,
    vendor_p90_us: null,
    vendor_spread: null,
    vendor_algo: vendor.available ? `not run: ${note}` : `unavailable: ${vendor.reason ?? note}`,
    vendor_timing: null,
    speedup: null,
    tflops: null,
    vendor_tflops: null,
    bandwidth_gbs: null,
    rel_err: null,
    vendor_rel_err: null,
    nonfinite: null,
    vendor_nonfinite: null,
    e2e_us: null,
    e2e_p10_us: null,
    e2e_p90_us: null,
    prepare_us: null,
  };
}

function progressSink(p: BenchOptions['progress']): ProgressSink {
  if (typeof p === 'function') return p;
  if (p === false) return () => {};
  return stderrProgress();
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function gitCommit(): string | null {
  if (process.env.NOVA_GIT_COMMIT) return process.env.NOVA_GIT_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** The kernel driver's version on Linux/NVIDIA (the runtime's driverVersion is the CUDA API level). */
function nvidiaDriver(): string | null {
  try {
    const m = /Kernel Module\s+(?:for \S+\s+)?([\d.]+)/.exec(readFileSync('/proc/driver/nvidia/version', 'utf8'));
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}
