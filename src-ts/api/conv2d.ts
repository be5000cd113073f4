/**
 * Convolution front end: option parsing, problem building and checking, algorithm routing (never a silent
 * fallback: an explicit algorithm that cannot run the problem rejects with E_UNSUPPORTED and the backend's reason),
 * and reusable plans whose filter is transformed once per algorithm.
 */
import type {
  Algorithm,
  BackendKind,
  ConvProblem,
  ConvWindow,
  DType,
  PreparedFilter,
  Storage,
  TensorDesc,
  WinogradPrecision,
} from '../backends/backend.js';
import { captureCallSite, invalidRangeError, invalidTypeError, NovaError, type CallSite, normalizeError } from './errors.js';
import { Tensor, type TensorOwner } from './tensor.js';
import { checkBoolean, checkChoice, checkOptions, checkPair, elementCount, MAX_ELEMENTS } from './validate.js';

export type AlgorithmChoice = Algorithm | 'auto';
export const ALGORITHM_CHOICES: readonly AlgorithmChoice[] = [
  'auto',
  'winograd-f6',
  'winograd-f4',
  'winograd-f2',
  'winograd-f8',
  'direct',
];
export const PRECISIONS: readonly WinogradPrecision[] = ['fp16', 'compensated'];

export interface ConvOptions {
  /** Per-output-channel bias: a float tensor of layout 'vector' and length K, same dtype as the input. */
  bias?: Tensor | null;
  /** Zero padding on each side: one number, or [height, width]. Default 0. */
  padding?: number | readonly [number, number];
  /** Default 1. Winograd needs 1; other strides run the direct path (with `algorithm: 'auto'`). */
  stride?: number | readonly [number, number];
  /** Default 1. Winograd needs 1. */
  dilation?: number | readonly [number, number];
  /** Fused ReLU after bias. Default false. */
  relu?: boolean;
  /**
   * 'auto' (default): the backend picks and the result says why; 'winograd-f2' | 'winograd-f4' | 'winograd-f6' |
   * 'winograd-f8': Winograd F(m,3), 3×3 stride 1 only; 'direct': any shape.
   */
  algorithm?: AlgorithmChoice;
  /** Storage of Winograd-domain tiles: 'fp16' (default) or 'compensated' (fp16 hi + fp16 lo). */
  precision?: WinogradPrecision;
}

export interface PrepareConvOptions extends Omit<ConvOptions, 'bias'> {
  /** Activation layout the plan is prepared for first; the other layout is prepared on first use. Default 'nhwc'. */
  layout?: 'nhwc' | 'nchw';
}

export interface ConvRunOptions {
  bias?: Tensor | null;
}

export interface ConvResult {
  /** New tensor in the input's layout and dtype; the caller disposes it. */
  readonly output: Tensor;
  readonly backend: BackendKind;
  readonly algorithm: Algorithm;
  /** What ran, in the backend's words (e.g. 'cpu winograd fp16-storage emulation'). */
  readonly path: string;
  /** Why this algorithm: the backend's heuristic for 'auto', or that the caller asked for it. */
  readonly reason: string;
  /** True when NCHW data was converted to NHWC (and back) around an NHWC-only kernel. */
  readonly layoutConverted: boolean;
  readonly precision?: WinogradPrecision;
}

const CONV_OPTION_KEYS = ['bias', 'padding', 'stride', 'dilation', 'relu', 'algorithm', 'precision'] as const;
const PREPARE_OPTION_KEYS = ['padding', 'stride', 'dilation', 'relu', 'algorithm', 'precision', 'layout'] as const;
const RUN_OPTION_KEYS = ['bias'] as const;

/** Everything about a convolution except the tensors. */
export interface ConvSettings extends ConvWindow {
  readonly relu: boolean;
  readonly algorithm: AlgorithmChoice;
  readonly precision: WinogradPrecision;
}

function parseSettings(options: Record<string, unknown>, name: string): ConvSettings {
  const [padH, padW] = options.padding === undefined ? [0, 0] : checkPair(options.padding, `${name}.padding`, 0);
  const [strideH, strideW] = options.stride === undefined ? [1, 1] : checkPair(options.stride, `${name}.stride`, 1);
  const [dilationH, dilationW] =
    options.dilation === undefined ? [1, 1] : checkPair(options.dilation, `${name}.dilation`, 1);
  return {
    padH,
    padW,
    strideH,
    strideW,
    dilationH,
    dilationW,
    relu: options.relu === undefined ? false : checkBoolean(options.relu, `${name}.relu`),
    algorithm:
      options.algorithm === undefined ? 'auto' : checkChoice(options.algorithm, `${name}.algorithm`, ALGORITHM_CHOICES),
    precision:
      options.precision === undefined ? 'fp16' : checkChoice(options.precision, `${name}.precision`, PRECISIONS),
  };
}

/** A tensor argument: a Tensor of this device, not disposed. */
function checkTensor(value: unknown, name: string, owner: TensorOwner): Tensor {
  if (!(value instanceof Tensor)) throw invalidTypeError(name, 'Tensor', value);
  if (value.owner !== owner) {
    throw new NovaError('E_ARG', `${name} belongs to ${value.owner.label}, not to ${owner.label}; create it with this device`);
  }
  if (value.disposed) throw new NovaError('E_DISPOSED', `${name} has been disposed`);
  return value;
}

function checkLayout<T extends string>(tensor: TensorDesc, name: string, layouts: readonly T[]): T {
  return checkChoice(tensor.layout, `${name}.layout`, layouts);
}

interface FilterDims {
  readonly k: number;
  readonly c: number;
  readonly r: number;
  readonly s: number;
  readonly layout: 'krsc' | 'kcrs';
  readonly dtype: DType;
}

function filterDims(w: Tensor): FilterDims {
  const layout = checkLayout(w, 'w', ['krsc', 'kcrs'] as const);
  const [k, a, b, c] = w.shape as [number, number, number, number];
  return layout === 'krsc'
    ? { k, r: a, s: b, c, layout, dtype: w.dtype }
    : { k, c: a, r: b, s: c, layout, dtype: w.dtype };
}

function checkBias(value: unknown, name: string, owner: TensorOwner, filter: FilterDims): Tensor | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Tensor)) throw invalidTypeError(name, 'Tensor or null', value);
  const bias = checkTensor(value, name, owner);
  checkLayout(bias, name, ['vector'] as const);
  if (bias.dtype !== filter.dtype) {
    throw new NovaError('E_DTYPE', `${name} has dtype ${bias.dtype} but the convolution is ${filter.dtype}; they must match`);
  }
  if (bias.shape[0] !== filter.k) {
    throw new NovaError('E_SHAPE', `${name} has ${bias.shape[0]} elements but the filter has K=${filter.k} output channels`);
  }
  return bias;
}

function windowOut(size: number, pad: number, kernel: number, dilation: number, stride: number, axis: string): number {
  const window = (kernel - 1) * dilation + 1;
  if (size + 2 * pad < window) {
    throw new NovaError(
      'E_SHAPE',
      `the filter window (${window} after dilation) is larger than the padded input ${axis} (${size + 2 * pad})`,
    );
  }
  return Math.floor((size + 2 * pad - window) / stride) + 1;
}

function buildProblem(x: TensorDesc, filter: FilterDims, settings: ConvSettings, hasBias: boolean): ConvProblem {
  const layout = checkLayout(x, 'x', ['nhwc', 'nchw'] as const);
  if (x.dtype !== filter.dtype) {
    throw new NovaError('E_DTYPE', `x has dtype ${x.dtype} but w has dtype ${filter.dtype}; they must match`);
  }
  const [n, a, b, d] = x.shape as [number, number, number, number];
  const [h, w, c] = layout === 'nhwc' ? [a, b, d] : [b, d, a];
  if (c !== filter.c) {
    throw new NovaError('E_SHAPE', `x has C=${c} channels but w expects C=${filter.c} (x ${layout} [${x.shape.join(',')}])`);
  }
  const outH = windowOut(h, settings.padH, filter.r, settings.dilationH, settings.strideH, 'height');
  const outW = windowOut(w, settings.padW, filter.s, settings.dilationW, settings.strideW, 'width');
  if (elementCount([n, filter.k, outH, outW]) > MAX_ELEMENTS) {
    throw invalidRangeError('output', `shape with at most ${MAX_ELEMENTS} elements`, [n, outH, outW, filter.k]);
  }
  return {
    n,
    c,
    h,
    w,
    k: filter.k,
    r: filter.r,
    s: filter.s,
    padH: settings.padH,
    padW: settings.padW,
    strideH: settings.strideH,
    strideW: settings.strideW,
    dilationH: settings.dilationH,
    dilationW: settings.dilationW,
    outH,
    outW,
    layout,
    filterLayout: filter.layout,
    dtype: filter.dtype,
    hasBias,
    relu: settings.relu,
  };
}

function outputShape(p: ConvProblem): number[] {
  return p.layout === 'nhwc' ? [p.n, p.outH, p.outW, p.k] : [p.n, p.k, p.outH, p.outW];
}

/** Picks the algorithm (or checks the requested one) before anything is allocated. */
function route(owner: TensorOwner, problem: ConvProblem, requested: AlgorithmChoice): { algorithm: Algorithm; reason: string } {
  const backend = owner.backend;
  const chosen =
    requested === 'auto'
      ? backend.chooseAlgorithm(problem)
      : { algorithm: requested, reason: `${requested} was requested by the caller` };
  const applicable = backend.canImplement(problem, chosen.algorithm);
  if (!applicable.ok) {
    const which = requested === 'auto' ? `auto chose ${chosen.algorithm}, but it` : chosen.algorithm;
    throw new NovaError('E_UNSUPPORTED', `${which} cannot run this convolution on ${backend.kind}: ${applicable.reason}`);
  }
  return chosen;
}

/** Runs one routed convolution; the filter is a pinned raw tensor or a prepared filter. */
async function execute(
  owner: TensorOwner,
  site: CallSite,
  problem: ConvProblem,
  routed: { algorithm: Algorithm; reason: string },
  precision: WinogradPrecision,
  tensors: { x: Tensor; bias: Tensor | null },
  filter: () => Promise<Storage | PreparedFilter>,
): Promise<ConvResult> {
  const unpins: (() => void)[] = [];
  try {
    unpins.push(tensors.x.pin('x'));
    if (tensors.bias) unpins.push(tensors.bias.pin('bias'));
    return await owner.track(async () => {
      const desc = { dtype: problem.dtype, layout: problem.layout, shape: outputShape(problem) };
      const output = owner.backend.allocate(desc);
      try {
        const info = await owner.backend.conv2d({
          problem,
          algorithm: routed.algorithm,
          precision,
          input: tensors.x.storage,
          filter: await filter(),
          bias: tensors.bias?.storage ?? null,
          output,
        });
        return {
          output: new Tensor(owner, desc, output),
          backend: info.backend,
          algorithm: info.algorithm,
          path: info.path,
          reason: routed.reason,
          layoutConverted: info.layoutConverted,
          ...(info.precision ? { precision: info.precision } : {}),
        };
      } catch (error) {
        output.free();
        throw error;
      }
    });
  } catch (error) {
    throw normalizeError(error, site, 'conv2d failed');
  } finally {
    for (const unpin of unpins) unpin();
  }
}

/** `device.conv2d(x, w, options)`: validates everything synchronously (the caller turns throws into rejections). */
export function conv2d(owner: TensorOwner, site: CallSite, x: unknown, w: unknown, options: unknown): Promise<ConvResult> {
  owner.assertUsable();
  const input = checkTensor(x, 'x', owner);
  const weights = checkTensor(w, 'w', owner);
  const opts = checkOptions(options, 'options', CONV_OPTION_KEYS);
  const settings = parseSettings(opts, 'options');
  const dims = filterDims(weights);
  const bias = checkBias(opts.bias, 'options.bias', owner, dims);
  const problem = buildProblem(input, dims, settings, bias !== null);
  const routed = route(owner, problem, settings.algorithm);
  const unpinFilter = weights.pin('w');
  return execute(owner, site, problem, routed, settings.precision, { x: input, bias }, async () => weights.storage).finally(
    unpinFilter,
  );
}

const forgottenPlans = new FinalizationRegistry<() => void>((release) => release());

/**
 * A convolution with a fixed filter and options, reusable for any input of matching channels. The filter is
 * transformed once per (algorithm, layout) and kept; the plan keeps the filter tensor alive until `dispose()`, so
 * the caller may dispose its own handle right after `prepareConv`.
 */
export class ConvPlan {
  readonly settings: ConvSettings;
  readonly #owner: TensorOwner;
  readonly #filter: Tensor;
  readonly #dims: FilterDims;
  readonly #unpinFilter: () => void;
  readonly #prepared = new Map<string, Promise<PreparedFilter>>();
  /**
   * The algorithm routed per input (layout, N, H, W, bias), reused by later runs: routing asks the backend two or three
   * times (for the GPU, native calls; keeping the route took a batch-1 plan.run on an H100 from 123–147 to 81–105 µs,
   * bench/NOTES.md).
   */
  readonly #routes = new Map<string, { algorithm: Algorithm; reason: string }>();
  /** Prepared filters whose promise has settled, so dispose can free them synchronously. */
  readonly #ready = new Set<PreparedFilter>();
  #disposed = false;
  #running = 0;

  /** @internal Use `device.prepareConv()`. */
  constructor(owner: TensorOwner, filter: Tensor, dims: FilterDims, settings: ConvSettings) {
    this.#owner = owner;
    this.#filter = filter;
    this.#dims = dims;
    this.settings = settings;
    this.#unpinFilter = filter.pin('w');
    // Safety net like the tensors': a plan that is collected undisposed lets go of its filter and transforms.
    // The held closure must not reach `this`, or the plan could never be collected.
    const unpin = this.#unpinFilter;
    const ready = this.#ready;
    forgottenPlans.register(this, () => {
      unpin();
      for (const prepared of ready) owner.release(prepared);
    }, this);
  }

  get k(): number {
    return this.#dims.k;
  }

  get c(): number {
    return this.#dims.c;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal Transforms the filter for `algorithm`/`problem.layout` once; concurrent callers share the work. */
  prepare(problem: ConvProblem, algorithm: Algorithm): Promise<PreparedFilter> {
    const key = `${algorithm}/${problem.layout}`;
    let prepared = this.#prepared.get(key);
    if (!prepared) {
      prepared = this.#owner
        .track(async () => {
          const filter = await this.#owner.backend.prepareFilter(
            this.#filter.storage,
            problem,
            algorithm,
            this.settings.precision,
          );
          this.#owner.adopt(filter); // inside the tracked work, so a device disposed meanwhile still frees it
          return filter;
        })
        .then((filter) => {
          this.#ready.add(filter);
          if (this.#disposed && this.#running === 0) this.#freePrepared();
          return filter;
        });
      prepared.catch(() => this.#prepared.delete(key));
      this.#prepared.set(key, prepared);
    }
    return prepared;
  }

  async run(x: unknown, options?: unknown): Promise<ConvResult> {
    const site = captureCallSite();
    if (this.#disposed) throw new NovaError('E_DISPOSED', 'plan has been disposed');
    this.#owner.assertUsable();
    const input = checkTensor(x, 'x', this.#owner);
    const opts = checkOptions(options, 'options', RUN_OPTION_KEYS);
    const bias = checkBias(opts.bias, 'options.bias', this.#owner, this.#dims);
    const problem = buildProblem(input, this.#dims, this.settings, bias !== null);
    const routed = this.#route(problem);
    this.#running++;
    try {
      return await execute(this.#owner, site, problem, routed, this.settings.precision, { x: input, bias }, () =>
        this.prepare(problem, routed.algorithm),
      );
    } finally {
      this.#running--;
      if (this.#disposed && this.#running === 0) this.#freePrepared();
    }
  }

  /** route() once per input the plan sees (the plan fixes every other field of the problem); the last 64 kept. */
  #route(problem: ConvProblem): { algorithm: Algorithm; reason: string } {
    const key = `${problem.layout} ${problem.n} ${problem.h} ${problem.w} ${problem.hasBias}`;
    let routed = this.#routes.get(key);
    if (!routed) {
      routed = route(this.#owner, problem, this.settings.algorithm);
      if (this.#routes.size >= 64) this.#routes.delete(this.#routes.keys().next().value!);
      this.#routes.set(key, routed);
    }
    return routed;
  }

  /** Frees the transformed filters and lets go of the filter tensor (after runs in flight finish). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    forgottenPlans.unregister(this);
    this.#unpinFilter();
    if (this.#running === 0) this.#freePrepared();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Frees the settled transforms now; one still being prepared is freed when it settles (see prepare). */
  #freePrepared(): void {
    for (const filter of this.#ready) this.#owner.release(filter);
    this.#ready.clear();
  }
}

/** `device.prepareConv(w, options)`: validates, then transforms the filter for an explicit algorithm up front. */
export async function prepareConv(owner: TensorOwner, site: CallSite, w: unknown, options: unknown): Promise<ConvPlan> {
  owner.assertUsable();
  const weights = checkTensor(w, 'w', owner);
  const opts = checkOptions(options, 'options', PREPARE_OPTION_KEYS);
  const settings = parseSettings(opts, 'options');
  const layout = opts.layout === undefined ? 'nhwc' : checkChoice(opts.layout, 'options.layout', ['nhwc', 'nchw'] as const);
  const dims = filterDims(weights);
  const plan = new ConvPlan(owner, weights, dims, settings);
  if (settings.algorithm === 'auto') return plan;
  // An explicit algorithm is checked and prepared now, on the smallest input its window allows: the filter
  // transform depends on K, C, R, S and the layouts only.
  const minSide = (kernel: number, dilation: number, pad: number) => Math.max(1, (kernel - 1) * dilation + 1 - 2 * pad);
  const h = minSide(dims.r, settings.dilationH, settings.padH);
  const wd = minSide(dims.s, settings.dilationW, settings.padW);
  const shape = layout === 'nhwc' ? [1, h, wd, dims.c] : [1, dims.c, h, wd];
  const probe = buildProblem({ layout, dtype: dims.dtype, shape }, dims, settings, false);
  try {
    const routed = route(owner, probe, settings.algorithm);
    await plan.prepare(probe, routed.algorithm);
    return plan;
  } catch (error) {
    plan.dispose();
    throw normalizeError(error, site, 'prepareConv failed');
  }
}
