/**
 * PNG ⇄ NHWC float RGB in [0, 1] (the ESRGAN input/output convention), through pngjs. Alpha is dropped on the
 * way in (the network is RGB only) and written opaque on the way out; gray, palette and 16-bit PNGs are expanded
 * to 8-bit RGBA by pngjs first. The PNG (de)compression is split from the float conversion so that a server can
 * run the expensive half on worker threads (png-codec-pool.ts).
 */
import { PNG } from 'pngjs';
import { NovaError } from '../../api/errors.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** NHWC, 3 channels, values in [0, 1]. */
  readonly data: Float32Array;
}

/** 8-bit RGBA pixels, as pngjs reads and writes them. */
export interface RgbaPixels {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/** Largest decoded image accepted (pixels): keeps a hostile PNG header from asking for gigabytes. */
export const MAX_PNG_PIXELS = 64 * 1024 * 1024;

export function readPngPixels(bytes: Uint8Array): RgbaPixels {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new NovaError('E_ARG', `not a valid PNG image: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (png.width < 1 || png.height < 1 || png.width * png.height > MAX_PNG_PIXELS) {
    throw new NovaError('E_ARG', `PNG size ${png.width}×${png.height} is outside 1 … ${MAX_PNG_PIXELS} pixels`);
  }
  return { width: png.width, height: png.height, rgba: png.data };
}

export function writePngPixels(pixels: RgbaPixels): Buffer {
  const png = new PNG({ width: pixels.width, height: pixels.height, colorType: 2, inputHasAlpha: true });
  png.data = Buffer.from(pixels.rgba.buffer, pixels.rgba.byteOffset, pixels.rgba.byteLength);
  return PNG.sync.write(png, { colorType: 2 });
}

export function pixelsToImage({ width, height, rgba }: RgbaPixels): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[p * 3] = rgba[p * 4] / 255;
    data[p * 3 + 1] = rgba[p * 4 + 1] / 255;
    data[p * 3 + 2] = rgba[p * 4 + 2] / 255;
  }
  return { width, height, data };
}

/** Clips to [0, 1] and rounds to 8 bits (what UpscalerJS does with the model's output). */
export function toBytes(value: number): number {
  if (!(value > 0)) return 0; // also maps NaN to 0; callers count NaN separately
  return value >= 1 ? 255 : Math.round(value * 255);
}

export function imageToPixels(image: RgbImage): RgbaPixels {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    rgba[p * 4] = toBytes(image.data[p * 3]);
    rgba[p * 4 + 1] = toBytes(image.data[p * 3 + 1]);
    rgba[p * 4 + 2] = toBytes(image.data[p * 3 + 2]);
    rgba[p * 4 + 3] = 255;
  }
  return { width: image.width, height: image.height, rgba };
}

export function decodePng(bytes: Uint8Array): RgbImage {
  return pixelsToImage(readPngPixels(bytes));
}

export function encodePng(image: RgbImage): Buffer {
  return writePngPixels(imageToPixels(image));
}

/** A rectangle of an image (clamped to it). */
export function cropImage(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const w = Math.min(width, image.width - x);
  const h = Math.min(height, image.height - y);
  const data = new Float32Array(w * h * 3);
  for (let row = 0; row < h; row++) {
    const from = ((y + row) * image.width + x) * 3;
    data.set(image.data.subarray(from, from + w * 3), row * w * 3);
  }
  return { width: w, height: h, data };
}
