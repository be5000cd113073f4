/**
 * ESRGAN upscaling of whole images: picks an executor (GPU graph executor, else the CPU backend — saying so),
 * and cuts large images into tiles that overlap by a margin of context pixels, so each tile's output is cropped
 * to its interior and seams do not show (every conv sees real neighbours, not zero padding, near a cut).
 */
import type { Algorithm, WinogradPrecision } from '../../backends/backend.js';
import { NovaError } from '../../api/errors.js';
import type { GraphExecutor } from '../../graph/executor.js';
import { CpuExecutor } from '../../graph/cpu-executor.js';
import { DEFAULT_POLICY, GpuExecutor, type AlgorithmPolicy } from '../../graph/gpu-executor.js';
import { ReferenceExecutor } from '../../graph/reference-executor.js';
import { tuneAlgorithms } from '../../graph/tune.js';
import { loadEsrgan, type EsrganModel } from './esrgan.js';
import { cropImage, type RgbImage } from './image.js';

export type UpscaleBackend = 'auto' | 'cuda' | 'hip' | 'cpu' | 'reference';
export const UPSCALE_BACKENDS: readonly UpscaleBackend[] = ['auto', 'cuda', 'hip', 'cpu', 'reference'];

export interface UpscalerOptions {
  readonly scale?: number;
  /** model.json, its folder or the package folder; default: NOVA_ESRGAN_PATH or node_modules. */
  readonly modelPath?: string;
  readonly backend?: UpscaleBackend;
  /**
   * One algorithm for every conv; 'auto' for the per-layer default policy; 'tune' (GPU) to time every candidate
   * per conv shape at `tuneSize`² and take the fastest.
   */
  readonly algorithm?: Algorithm | 'auto' | 'tune';
  readonly tuneSize?: number;
  readonly precision?: WinogradPrecision;
  readonly device?: number;
}

export interface TileOptions {
  /** Largest tile side in input pixels (0: the whole image in one piece). */
  readonly tile?: number;
  /** Context pixels added on each side of a tile and cropped from its output. */
  readonly overlap?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface UpscaleResult {
  readonly image: RgbImage;
  readonly tiles: number;
  /** Milliseconds summed over tiles: upload, compute, download (GPU) or conv, other (CPU), and total. */
  readonly timings: Readonly<Record<string, number>>;
}

export const DEFAULT_TILE = 256;
export const DEFAULT_OVERLAP = 16;

export class Upscaler {
  readonly model: EsrganModel;
  readonly executor: GraphExecutor;
  /** Why this executor: what was asked and, for 'auto', why no GPU when none. */
  readonly selection: string;

  private constructor(model: EsrganModel, executor: GraphExecutor, selection: string) {
    this.model = model;
    this.executor = executor;
    this.selection = selection;
  }

  get scale(): number {
    return this.model.scale;
  }

  static async create(options: UpscalerOptions = {}): Promise<Upscaler> {
    const model = await loadEsrgan({ scale: options.scale, path: options.modelPath });
    const backend = options.backend ?? 'auto';
    const fixed = options.algorithm === 'auto' || options.algorithm === 'tune' || !options.algorithm ? undefined : options.algorithm;
    if (backend === 'reference') {
      return new Upscaler(model, new ReferenceExecutor(model.fused, 'float64'), "'reference' was requested (TypeScript float64; very slow)");
    }
    if (backend === 'cpu') {
      return new Upscaler(model, new CpuExecutor(model.fused, { algorithm: fixed ?? 'direct' }), "'cpu' was requested");
    }
    try {
      let policy: AlgorithmPolicy = fixed ?? DEFAULT_POLICY;
      if (options.algorithm === 'tune') {
        const size = options.tuneSize ?? DEFAULT_TILE;
        policy = (await tuneAlgorithms(model.fused, { height: size, width: size, device: options.device })).policy;
      }
      const executor = await GpuExecutor.create(model.fused, { device: options.device, algorithm: policy, precision: options.precision });
      if (backend !== 'auto' && executor.kind !== backend) {
        executor.dispose();
        throw new NovaError('E_BACKEND_UNAVAILABLE', `backend '${backend}' was requested but the GPU addon is built for ${executor.kind}`);
      }
      return new Upscaler(model, executor, backend === 'auto' ? `auto chose ${executor.kind}` : `'${backend}' was requested`);
    } catch (error) {
      if (backend !== 'auto') throw error;
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      return new Upscaler(model, new CpuExecutor(model.fused), `auto chose the CPU backend because no GPU could be used (${reason})`);
    }
  }

  dispose(): void {
    this.executor.dispose();
  }

  /** Upscales one RGB image ([0, 1], NHWC); tiles it when larger than `tile`. */
  async upscale(image: RgbImage, options: TileOptions = {}): Promise<UpscaleResult> {
    const tile = options.tile ?? DEFAULT_TILE;
    const overlap = options.overlap ?? DEFAULT_OVERLAP;
    if (!Number.isInteger(tile) || tile < 0) throw new NovaError('E_ARG', `tile must be a non-negative integer, got ${tile}`);
    if (!Number.isInteger(overlap) || overlap < 0) throw new NovaError('E_ARG', `overlap must be a non-negative integer, got ${overlap}`);
    const scale = this.scale;
    const rects = tileRects(image.width, image.height, tile);
    const out = new Float32Array(image.width * scale * image.height * scale * 3);
    const timings: Record<string, number> = {};
    options.onProgress?.(0, rects.length);
    for (const [index, rect] of rects.entries()) {
      // The tile plus its context margin, clamped to the image.
      const x0 = Math.max(0, rect.x - overlap);
      const y0 = Math.max(0, rect.y - overlap);
      const x1 = Math.min(image.width, rect.x + rect.width + overlap);
      const y1 = Math.min(image.height, rect.y + rect.height + overlap);
      const piece = rects.length === 1 ? image : cropImage(image, x0, y0, x1 - x0, y1 - y0);
      const result = await this.executor.run(piece.data, piece.height, piece.width);
      for (const [stage, ms] of Object.entries(result.timings)) timings[stage] = (timings[stage] ?? 0) + ms;
      // Paste the interior (the rect, scaled) into the output.
      const outW = image.width * scale;
      const offX = (rect.x - x0) * scale;
      const offY = (rect.y - y0) * scale;
      const rowValues = rect.width * scale * 3;
      for (let row = 0; row < rect.height * scale; row++) {
        const from = ((offY + row) * result.width + offX) * 3;
        out.set(result.output.subarray(from, from + rowValues), ((rect.y * scale + row) * outW + rect.x * scale) * 3);
      }
      options.onProgress?.(index + 1, rects.length);
    }
    return { image: { width: image.width * scale, height: image.height * scale, data: out }, tiles: rects.length, timings };
  }
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Equal-as-possible tiles of at most `tile` pixels a side covering the image (one tile when tile is 0). */
export function tileRects(width: number, height: number, tile: number): Rect[] {
  if (tile === 0 || (width <= tile && height <= tile)) return [{ x: 0, y: 0, width, height }];
  const cuts = (size: number): [number, number][] => {
    const count = Math.ceil(size / tile);
    const base = Math.floor(size / count);
    const extra = size - base * count;
    const spans: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < count; i++) {
      const span = base + (i < extra ? 1 : 0);
      spans.push([start, span]);
      start += span;
    }
    return spans;
  };
  const rects: Rect[] = [];
  for (const [y, h] of cuts(height)) for (const [x, w] of cuts(width)) rects.push({ x, y, width: w, height: h });
  return rects;
}
