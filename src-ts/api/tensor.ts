/**
 * Tensor: backend memory plus its description. Freed by `dispose()` / `using`; a FinalizationRegistry frees
 * forgotten tensors as a safety net only (it may run late or never), and is unregistered on explicit dispose.
 * A tensor used by work in flight (a conv, a plan) is pinned: disposing it makes it unusable at once but frees
 * the memory only when the last pin is released, so native code never reads freed memory.
 */
import type { Backend, DType, Layout, Storage, TensorDesc } from '../backends/backend.js';
import { captureCallSite, disposedError, normalizeError } from './errors.js';
import { fromHalf } from './fp16.js';
import { elementCount } from './validate.js';

/** What a tensor needs from the device that made it (implemented by Device; keeps the import one-way). */
export interface TensorOwner {
  readonly backend: Backend;
  /** e.g. "cpu device #1"; used in messages. */
  readonly label: string;
  /** Throws E_DISPOSED when the device has been disposed. */
  assertUsable(): void;
  /** Counts work in flight, so disposing the device waits for it before freeing backend resources. */
  track<T>(work: () => Promise<T>): Promise<T>;
  adopt(storage: Storage): void;
  release(storage: Storage): void;
}

interface Held {
  readonly storage: Storage;
  readonly owner: TensorOwner;
}

const forgotten = new FinalizationRegistry<Held>(({ storage, owner }) => owner.release(storage));

export class Tensor implements TensorDesc {
  readonly dtype: DType;
  readonly layout: Layout;
  readonly shape: readonly number[];
  readonly #owner: TensorOwner;
  readonly #storage: Storage;
  #disposed = false;
  #pins = 0;

  /** @internal Created by `device.tensor()` and by convolutions; not part of the public constructor surface. */
  constructor(owner: TensorOwner, desc: TensorDesc, storage: Storage) {
    this.dtype = desc.dtype;
    this.layout = desc.layout;
    this.shape = Object.freeze([...desc.shape]);
    this.#owner = owner;
    this.#storage = storage;
    owner.adopt(storage);
    forgotten.register(this, { storage, owner }, this);
  }

  get size(): number {
    return elementCount(this.shape);
  }

  /** True after `dispose()` or after its device was disposed. */
  get disposed(): boolean {
    try {
      this.#owner.assertUsable();
    } catch {
      return true;
    }
    return this.#disposed;
  }

  /** @internal The device that owns this tensor. */
  get owner(): TensorOwner {
    return this.#owner;
  }

  /** @internal Backend storage; only for the device while the tensor is pinned. */
  get storage(): Storage {
    return this.#storage;
  }

  /**
   * @internal Marks the tensor in use by work in flight; throws E_DISPOSED if it is already gone.
   * The returned function releases it (exactly once).
   */
  pin(name: string): () => void {
    this.#owner.assertUsable();
    if (this.#disposed) throw disposedError(name);
    this.#pins++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#pins--;
      if (this.#disposed && this.#pins === 0) this.#owner.release(this.#storage);
    };
  }

  /** Copies the data out: Float32Array for float32, Uint16Array of fp16 bits for float16. */
  async read(): Promise<Float32Array | Uint16Array> {
    const site = captureCallSite();
    const unpin = this.pin('tensor');
    try {
      return await this.#owner.track(() => this.#owner.backend.read(this.#storage, this));
    } catch (error) {
      throw normalizeError(error, site, 'tensor.read() failed');
    } finally {
      unpin();
    }
  }

  /** Copies the data out as float32 (fp16 values are converted exactly). */
  async toFloat32Array(): Promise<Float32Array> {
    const data = await this.read();
    return data instanceof Float32Array ? data : fromHalf(data);
  }

  /** Frees the memory now (or as soon as work in flight that uses it is done). Calling it again does nothing. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    forgotten.unregister(this);
    if (this.#pins === 0) this.#owner.release(this.#storage);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(${this.dtype} ${this.layout} [${this.shape.join(',')}] on ${this.#owner.label}${this.#disposed ? ', disposed' : ''})`;
  }
}
