/**
 * PNG compression and decompression on worker threads, so a server's event loop keeps accepting requests and the
 * GPU is not left waiting behind ~100 ms of deflate per 512×512 output. Workers do only the pngjs calls (bytes ⇄
 * RGBA); the float conversion stays on the caller's thread. The worker source is inline and loads pngjs by the
 * path this module resolves, so it runs the same from dist/ and from the TypeScript sources under vitest.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { NovaError } from '../../api/errors.js';
import { MAX_PNG_PIXELS, pixelsToImage, imageToPixels, type RgbImage, type RgbaPixels } from './image.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PNG } = require(workerData.pngjs);
parentPort.on('message', ({ id, op, bytes, width, height, rgba }) => {
  try {
    if (op === 'decode') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (png.width < 1 || png.height < 1 || png.width * png.height > workerData.maxPixels) {
        throw new Error('PNG size ' + png.width + '×' + png.height + ' is outside 1 … ' + workerData.maxPixels + ' pixels');
      }
      const out = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength).slice();
      parentPort.postMessage({ id, width: png.width, height: png.height, rgba: out }, [out.buffer]);
    } else {
      const png = new PNG({ width, height, colorType: 2, inputHasAlpha: true });
      png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
      const encoded = PNG.sync.write(png, { colorType: 2 });
      const out = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength).slice();
      parentPort.postMessage({ id, bytes: out }, [out.buffer]);
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Reply {
  id: number;
  error?: string;
  width?: number;
  height?: number;
  rgba?: Uint8Array;
  bytes?: Uint8Array;
}

interface Pending {
  resolve: (value: Reply) => void;
  reject: (error: Error) => void;
}

export class PngCodecPool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending & { worker: number }>();
  #nextId = 0;
  #closed = false;

  constructor(size: number) {
    this.size = size;
    const pngjs = createRequire(import.meta.url).resolve('pngjs');
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pngjs, maxPixels: MAX_PNG_PIXELS } });
      worker.unref();
      worker.on('message', (message: Reply) => {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        this.#load[pending.worker]--;
        if (message.error !== undefined) pending.reject(new NovaError('E_ARG', `not a valid PNG image: ${message.error}`));
        else pending.resolve(message);
      });
      worker.on('error', (error) => this.#failAll(i, error));
      this.#workers.push(worker);
      this.#load.push(0);
    }
  }

  #failAll(worker: number, error: Error): void {
    for (const [id, pending] of this.#pending) {
      if (pending.worker !== worker) continue;
      this.#pending.delete(id);
      pending.reject(new NovaError('E_DEVICE', `PNG worker failed: ${error.message}`));
    }
  }

  #post(message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#closed) return Promise.reject(new NovaError('E_DISPOSED', 'PNG codec pool is closed'));
    const worker = this.#load.indexOf(Math.min(...this.#load)); // least busy
    const id = this.#nextId++;
    this.#load[worker]++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      this.#workers[worker].postMessage({ id, ...message }, transfer);
    });
  }

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    const copy = bytes.slice();
    const { width, height, rgba } = await this.#post({ op: 'decode', bytes: copy }, [copy.buffer]);
    return pixelsToImage({ width: width!, height: height!, rgba: rgba! });
  }

  async encode(image: RgbImage): Promise<Buffer> {
    const pixels: RgbaPixels = imageToPixels(image);
    const rgba = pixels.rgba as Uint8Array<ArrayBuffer>;
    const { bytes } = await this.#post({ op: 'encode', width: pixels.width, height: pixels.height, rgba }, [rgba.buffer]);
    return Buffer.from(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
