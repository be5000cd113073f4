/**
 * Devices: `backends()` says what can run here and why not; `createDevice()` opens one backend (never a silent
 * fallback: asking for an unavailable backend rejects with its reason; 'auto' takes the best available one and
 * says which and why). A device makes tensors and runs convolutions on them.
 */
import type { Backend, BackendInfo, BackendKind, DType, Layout, Storage, TensorDesc } from '../backends/backend.js';
import { type ConvOptions, type ConvPlan, type ConvResult, type PrepareConvOptions, conv2d, prepareConv } from './conv2d.js';
import { captureCallSite, disposedError, invalidTypeError, NovaError, normalizeError } from './errors.js';
import { Float16ArrayCtor, halfBitsView, isFloat16Array } from './fp16.js';
import { providers } from './providers.js';
import { Tensor, type TensorOwner } from './tensor.js';
import { checkChoice, checkOptions, checkShape, elementCount } from './validate.js';

export type BackendChoice = BackendKind | 'auto';

/** Order of preference for 'auto': a GPU first, the CPU reference last. */
const PREFERENCE: readonly BackendKind[] = ['cuda', 'hip', 'cpu'];

/** What is available on this machine, with the reason for each backend that is not. Never rejects. */
export async function backends(): Promise<BackendInfo[]> {
  return Promise.all(PREFERENCE.map((kind) => probe(kind)));
}

async function probe(kind: BackendKind): Promise<BackendInfo> {
  try {
    return await providers[kind].info();
  } catch (error) {
    return { kind, available: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export interface DeviceOptions {
  /** 'auto' (default): the best available of cuda, hip, cpu; otherwise exactly that backend or a rejection. */
  backend?: BackendChoice;
}

export async function createDevice(options?: DeviceOptions): Promise<Device> {
  const site = captureCallSite();
  const opts = checkOptions(options, 'options', ['backend']);
  const choice =
    opts.backend === undefined
      ? 'auto'
      : checkChoice(opts.backend, 'options.backend', ['auto', 'cpu', 'cuda', 'hip'] as const);
  try {
    if (choice !== 'auto') {
      const info = await probe(choice);
      if (!info.available) {
        throw new NovaError('E_BACKEND_UNAVAILABLE', `backend '${choice}' is not available: ${info.reason ?? 'unknown reason'}`);
      }
      return new Device(await providers[choice].create(), info, `'${choice}' was requested`);
    }
    const infos = await backends();
    const best = infos.find((info) => info.available);
    if (!best) {
      const reasons = infos.map((i) => `${i.kind}: ${i.reason ?? 'unavailable'}`).join('; ');
      throw new NovaError('E_BACKEND_UNAVAILABLE', `no backend is available (${reasons})`);
    }
    const skipped = infos
      .slice(0, infos.indexOf(best))
      .map((i) => `${i.kind} unavailable: ${firstLine(i.reason)}`)
      .join('; ');
    const why = `auto chose ${best.kind}${best.device ? ` (${best.device})` : ''}${skipped ? `; ${skipped}` : ''}`;
    return new Device(await providers[best.kind].create(), best, why);
  } catch (error) {
    throw normalizeError(error, site, 'createDevice failed');
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? 'unknown reason').split('\n')[0]!;
}

export type TensorData = Float32Array | Uint16Array | (ArrayBufferView & { length: number });

export interface TensorOptions {
  /** Dimensions in memory order of `layout` (NHWC → [N,H,W,C], KRSC → [K,R,S,C], KCRS → [K,C,R,S], vector → [len]). */
  shape: readonly number[];
  /** Required for 4-D tensors: 'nhwc' | 'nchw' (activations), 'krsc' | 'kcrs' (filters). Default 'vector' for 1-D. */
  layout?: Layout;
  /** Default from the data: Float32Array → 'float32', Uint16Array (fp16 bits) or Float16Array → 'float16'. */
  dtype?: DType;
}

const LAYOUTS: readonly Layout[] = ['nhwc', 'nchw', 'krsc', 'kcrs', 'vector'];
let deviceCount = 0;

export class Device implements TensorOwner {
  /** Which backend runs this device's work. */
  readonly kind: BackendKind;
  readonly info: BackendInfo;
  /** Why this backend: requested, or what 'auto' saw. */
  readonly selection: string;
  /** @internal */
  readonly backend: Backend;
  /** @internal */
  readonly label: string;
  readonly #live = new Set<Storage>();
  #disposed = false;
  #inFlight = 0;

  /** @internal Use `createDevice()`. */
  constructor(backend: Backend, info: BackendInfo, selection: string) {
    this.backend = backend;
    this.kind = backend.kind;
    this.info = info;
    this.selection = selection;
    this.label = `${backend.kind} device #${++deviceCount}`;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Copies `data` into a new tensor on this device. */
  async tensor(data: TensorData, options: TensorOptions): Promise<Tensor> {
    const site = captureCallSite();
    this.assertUsable();
    const desc = checkTensorArgs(data, options);
    // Snapshot: the caller may reuse its array as soon as this returns a promise.
    const host = desc.dtype === 'float32' ? (data as Float32Array).slice() : halfBitsView(data).slice();
    return this.track(async () => {
      const storage = this.backend.allocate(desc);
      try {
        await this.backend.write(storage, desc, host);
      } catch (error) {
        storage.free();
        throw error;
      }
      return new Tensor(this, desc, storage);
    }).catch((error: unknown) => {
      throw normalizeError(error, site, 'device.tensor() failed');
    });
  }

  /** 2-D convolution (cross-correlation, like every DL framework) of `x` with `w`; see ConvOptions. */
  async conv2d(x: Tensor, w: Tensor, options?: ConvOptions): Promise<ConvResult> {
    return conv2d(this, captureCallSite(), x, w, options);
  }

  /** A reusable convolution with filter `w` (transformed once per algorithm); dispose it when done. */
  async prepareConv(w: Tensor, options?: PrepareConvOptions): Promise<ConvPlan> {
    return prepareConv(this, captureCallSite(), w, options);
  }

  /**
   * Frees every tensor and plan of this device and the backend's resources. Work in flight finishes first;
   * new calls reject with E_DISPOSED at once. Idempotent.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#inFlight === 0) this.#freeAll();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal */
  assertUsable(): void {
    if (this.#disposed) throw disposedError(this.label);
  }

  /** @internal */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.assertUsable();
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
      if (this.#disposed && this.#inFlight === 0) this.#freeAll();
    }
  }

  /** @internal */
  adopt(storage: Storage): void {
    this.#live.add(storage);
  }

  /** @internal */
  release(storage: Storage): void {
    if (!this.#live.delete(storage)) return;
    storage.free();
  }

  #freeAll(): void {
    for (const storage of this.#live) storage.free();
    this.#live.clear();
    this.backend.dispose();
  }
}

function checkTensorArgs(data: unknown, options: unknown): TensorDesc {
  const half16 = Float16ArrayCtor ? ', Uint16Array (fp16 bits) or Float16Array' : ' or Uint16Array (fp16 bits)';
  if (!(data instanceof Float32Array || data instanceof Uint16Array || isFloat16Array(data))) {
    throw invalidTypeError('data', `Float32Array${half16}`, data, 'E_DTYPE');
  }
  if (options === undefined) throw invalidTypeError('options', 'an object with shape', options);
  const opts = checkOptions(options, 'options', ['shape', 'layout', 'dtype']);
  const dataType: DType = data instanceof Float32Array ? 'float32' : 'float16';
  const dtype = opts.dtype === undefined ? dataType : checkChoice(opts.dtype, 'options.dtype', ['float32', 'float16'] as const);
  if (dtype !== dataType) {
    const wanted = dtype === 'float32' ? 'Float32Array' : `Uint16Array (fp16 bits)${Float16ArrayCtor ? ' or Float16Array' : ''}`;
    throw invalidTypeError(`data (dtype '${dtype}')`, wanted, data, 'E_DTYPE');
  }
  let layout: Layout;
  if (opts.layout === undefined) {
    if (Array.isArray(opts.shape) && opts.shape.length !== 1) {
      throw invalidTypeError('options.layout', "one of 'nhwc', 'nchw', 'krsc', 'kcrs' (required for 4-D tensors)", undefined);
    }
    layout = 'vector';
  } else {
    layout = checkChoice(opts.layout, 'options.layout', LAYOUTS);
  }
  const shape = checkShape(opts.shape, 'options.shape', layout === 'vector' ? 1 : 4);
  const needed = elementCount(shape);
  if (data.length !== needed) {
    throw new NovaError('E_SHAPE', `data has ${data.length} elements but shape [${shape.join(',')}] needs ${needed}`);
  }
  return { dtype, layout, shape };
}
