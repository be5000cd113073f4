/**
 * The benchmark's data model: suites of layer shapes, and the report (header + rows) that the JSON, markdown and SVG
 * writers share. Field names of BenchRow are the JSON schema's (snake_case); bench/README.md documents each one.
 */

export type BenchAlgorithm = 'winograd-f6' | 'winograd-f4' | 'winograd-f2' | 'winograd-f8' | 'direct' | 'auto';
export const BENCH_ALGORITHMS: readonly BenchAlgorithm[] = [
  'winograd-f6',
  'winograd-f4',
  'winograd-f2',
  'winograd-f8',
  'direct',
  'auto',
];
/** What `nova bench` runs when --algo is not given (F(8,3) only on request: it is an accuracy experiment). */
export const DEFAULT_ALGORITHMS: readonly BenchAlgorithm[] = ['winograd-f6', 'winograd-f4', 'winograd-f2', 'direct', 'auto'];

export interface SuiteLayer {
  readonly name: string;
  readonly c: number;
  readonly k: number;
  readonly h: number;
  readonly w: number;
  /** How many times the network runs this shape (stride 1), where the source gives it. */
  readonly count?: number;
  readonly where?: string;
}

export interface Suite {
  readonly suite: string;
  readonly title: string;
  /** Where the layer list comes from (paper, table, configuration file). */
  readonly source: string;
  readonly layers: readonly SuiteLayer[];
}

/** One timed thing: median and spread of per-call times over the repetitions. */
export interface TimeStats {
  readonly median_us: number;
  readonly p10_us: number;
  readonly p90_us: number;
  /** (p90 − p10) / median. */
  readonly spread: number;
  readonly reps: number;
}

export type RowStatus = 'ok' | 'unsupported' | 'error' | 'no-gpu';

export interface BenchRow {
  readonly suite: string;
  readonly layer: string;
  readonly batch: number;
  readonly n: number;
  readonly c: number;
  readonly k: number;
  readonly h: number;
  readonly w: number;
  readonly layout: 'nhwc' | 'nchw';
  /** The algorithm asked for ('auto' = what the library picks for users). */
  readonly algo: BenchAlgorithm;
  /** What ran (for 'auto', the algorithm it chose); null when nothing ran. */
  readonly algo_ran: string | null;
  /** Our kernel, in the native's words. */
  readonly path: string | null;
  readonly status: RowStatus;
  /** Why not ok, or a remark (e.g. why graph capture was not used). */
  readonly note: string | null;
  /** Median GPU time of our call, µs (device events around the kernels only). */
  readonly ours_us: number | null;
  readonly ours_p10_us: number | null;
  readonly ours_p90_us: number | null;
  readonly spread: number | null;
  /** 'graph×G' (G calls per replayed graph) or 'events' (one event pair per call). */
  readonly timing: string | null;
  readonly vendor_library: string;
  readonly vendor_us: number | null;
  readonly vendor_p10_us: number | null;
  readonly vendor_p90_us: number | null;
  readonly vendor_spread: number | null;
  /** The algorithm the vendor's own search chose, or 'unavailable: <reason>'. */
  readonly vendor_algo: string;
  readonly vendor_timing: string | null;
  /** How the vendor's algorithm was chosen: the candidates and their times (absent in reports before 2026-11-28). */
  readonly vendor_selection?: string | null;
  /** vendor_us / ours_us (> 1: we are faster). */
  readonly speedup: number | null;
  /** Direct-convolution FLOPs 2·N·C·K·H·W·9 over ours_us, in TFLOP/s. */
  readonly tflops: number | null;
  readonly vendor_tflops: number | null;
  /** Minimum bytes (input + filter + output, fp16, once each) over ours_us, in GB/s. */
  readonly bandwidth_gbs: number | null;
  /** ‖ours − ref‖ / ‖ref‖ over the sampled outputs; ref = float64 direct convolution of the same fp16 inputs. */
  readonly rel_err: number | null;
  readonly vendor_rel_err: number | null;
  /** Outputs that were NaN/Inf after the run (outputs are poisoned with NaN first). */
  readonly nonfinite: number | null;
  readonly vendor_nonfinite: number | null;
  /** Median wall time of one `await plan.run(x)` through the public API, µs (binding and promise included). */
  readonly e2e_us: number | null;
  readonly e2e_p10_us: number | null;
  readonly e2e_p90_us: number | null;
  /** One-time filter transform of our Winograd path, µs (not in ours_us). */
  readonly prepare_us: number | null;
  /** Bytes of the buffer sets the timed calls cycle through (input + filter + output, raw, × sets); absent before
   * the twenty-fifth session, whose runs capped the sets at 16 (bench/NOTES.md). */
  readonly rotation_bytes?: number | null;
  /** PyTorch peer (bench/peer_torch.py), when merged: F.conv2d eager and graph-replayed, and torch.compile. */
  readonly peer_torch_eager_us?: number | null;
  readonly peer_torch_graph_us?: number | null;
  readonly peer_torch_compile_us?: number | null;
}

export interface VendorInfo {
  readonly library: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly version?: string;
}

export interface BenchHeader {
  readonly schema: 'nova-bench/1';
  readonly tool: string;
  readonly date: string;
  readonly git_commit: string | null;
  readonly card: string | null;
  readonly driver: string | null;
  readonly runtime: string | null;
  readonly platform: string | null;
  readonly vendor: VendorInfo;
  readonly node: string;
  readonly suites: readonly { readonly suite: string; readonly source: string }[];
  readonly options: {
    readonly batches: readonly number[];
    readonly algorithms: readonly BenchAlgorithm[];
    readonly layout: 'nhwc' | 'nchw';
    readonly warmup: number;
    readonly reps: number;
    readonly graph: boolean;
    readonly rotate: number;
    readonly samples: number;
    readonly seed: number;
    readonly e2e_reps: number;
  };
  /** The data and reference behind rel_err, stated once. */
  readonly accuracy_convention: string;
  readonly timing_method: string;
  readonly peer?: { readonly source: string; readonly torch?: string; readonly cudnn?: string; readonly device?: string } | null;
}

export interface BenchReport {
  readonly header: BenchHeader;
  readonly rows: readonly BenchRow[];
}
