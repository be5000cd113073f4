/**
 * A test double of the Backend contract in plain TS: float64 direct convolution on host arrays, with hooks to
 * hold a convolution in flight (to test dispose while running) and to make the next call fail (error paths).
 * It exercises the API's plumbing; the real numerics are tested against the CPU addon elsewhere.
 */
import type {
  Algorithm,
  Applicability,
  Backend,
  BackendInfo,
  ConvCall,
  ConvProblem,
  PreparedFilter,
  RunInfo,
  Storage,
  TensorDesc,
  WinogradPrecision,
} from '../../src-ts/backends/backend.js';
import { Device } from '../../src-ts/api/device.js';
import { fromHalfBits, toHalfBits } from '../../src-ts/util/fp16.js';

export class FakeStorage implements Storage {
  freed = false;
  constructor(
    readonly values: Float64Array,
    readonly bytes: number,
  ) {}
  free(): void {
    this.freed = true;
  }
}

class FakePrepared extends FakeStorage implements PreparedFilter {
  constructor(
    values: Float64Array,
    readonly algorithm: Algorithm,
    readonly precision: WinogradPrecision,
  ) {
    super(values, values.length * 4);
  }
}

export class FakeBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly storages: FakeStorage[] = [];
  disposed = false;
  /** When set, conv2d waits for this promise before computing. */
  gate: Promise<void> | null = null;
  /** When set, the next conv2d rejects with it (like a native AsyncWorker error). */
  failNext: unknown = null;
  convCalls = 0;

  info(): BackendInfo {
    return { kind: 'cpu', available: true, device: 'fake' };
  }

  allocate(desc: TensorDesc): FakeStorage {
    const count = desc.shape.reduce((a, b) => a * b, 1);
    const storage = new FakeStorage(new Float64Array(count).fill(Number.NaN), count * (desc.dtype === 'float16' ? 2 : 4));
    this.storages.push(storage);
    return storage;
  }

  async write(storage: Storage, desc: TensorDesc, data: Float32Array | Uint16Array): Promise<void> {
    const values = (storage as FakeStorage).values;
    for (let i = 0; i < data.length; i++) values[i] = desc.dtype === 'float16' ? fromHalfBits(data[i]!) : data[i]!;
  }

  async read(storage: Storage, desc: TensorDesc): Promise<Float32Array | Uint16Array> {
    const values = (storage as FakeStorage).values;
    if (desc.dtype === 'float16') return Uint16Array.from(values, (v) => toHalfBits(v));
    return Float32Array.from(values);
  }

  canImplement(p: ConvProblem, algorithm: Algorithm): Applicability {
    if (algorithm === 'direct') return { ok: true };
    if (p.r !== 3 || p.s !== 3) return { ok: false, reason: `Winograd F(m,3) needs a 3x3 filter, got ${p.r}x${p.s}` };
    if (p.strideH !== 1 || p.strideW !== 1) return { ok: false, reason: 'Winograd needs stride 1' };
    return { ok: true };
  }

  chooseAlgorithm(p: ConvProblem): { algorithm: Algorithm; reason: string } {
    return this.canImplement(p, 'winograd-f4').ok
      ? { algorithm: 'winograd-f4', reason: 'fake: 3x3 stride 1 → winograd-f4' }
      : { algorithm: 'direct', reason: 'fake: not 3x3 stride 1 → direct' };
  }

  async prepareFilter(filter: Storage, _p: ConvProblem, algorithm: Algorithm, precision: WinogradPrecision): Promise<PreparedFilter> {
    const prepared = new FakePrepared((filter as FakeStorage).values.slice(), algorithm, precision);
    this.storages.push(prepared);
    return prepared;
  }

  async conv2d(call: ConvCall): Promise<RunInfo> {
    this.convCalls++;
    if (this.gate) await this.gate;
    if (this.failNext !== null) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    for (const s of [call.input, call.filter, call.bias, call.output]) {
      if (s && (s as FakeStorage).freed) throw new Error('fake backend: used freed storage');
    }
    directConv(call);
    return { backend: 'cpu', algorithm: call.algorithm, path: `fake ${call.algorithm}`, layoutConverted: false, precision: call.precision };
  }

  dispose(): void {
    this.disposed = true;
  }
}

function directConv({ problem: p, input, filter, bias, output }: ConvCall): void {
  const x = (input as FakeStorage).values;
  const w = (filter as FakeStorage).values;
  const b = bias ? (bias as FakeStorage).values : null;
  const y = (output as FakeStorage).values;
  const xAt = (n: number, c: number, h: number, ww: number) =>
    p.layout === 'nhwc' ? x[((n * p.h + h) * p.w + ww) * p.c + c]! : x[((n * p.c + c) * p.h + h) * p.w + ww]!;
  const wAt = (k: number, c: number, r: number, s: number) =>
    p.filterLayout === 'krsc' ? w[((k * p.r + r) * p.s + s) * p.c + c]! : w[((k * p.c + c) * p.r + r) * p.s + s]!;
  for (let n = 0; n < p.n; n++)
    for (let k = 0; k < p.k; k++)
      for (let oh = 0; oh < p.outH; oh++)
        for (let ow = 0; ow < p.outW; ow++) {
          let acc = b ? b[k]! : 0;
          for (let c = 0; c < p.c; c++)
            for (let r = 0; r < p.r; r++)
              for (let s = 0; s < p.s; s++) {
                const ih = oh * p.strideH - p.padH + r * p.dilationH;
                const iw = ow * p.strideW - p.padW + s * p.dilationW;
                if (ih >= 0 && ih < p.h && iw >= 0 && iw < p.w) acc += xAt(n, c, ih, iw) * wAt(k, c, r, s);
              }
          if (p.relu) acc = Math.max(0, acc);
          const index = p.layout === 'nhwc' ? ((n * p.outH + oh) * p.outW + ow) * p.k + k : ((n * p.k + k) * p.outH + oh) * p.outW + ow;
          y[index] = acc;
        }
}

export function fakeDevice(): { device: Device; backend: FakeBackend } {
  const backend = new FakeBackend();
  return { device: new Device(backend, backend.info(), 'test double'), backend };
}
