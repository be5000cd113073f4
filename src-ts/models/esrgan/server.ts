/**
 * HTTP inference server: POST a PNG to /upscale, get the upscaled PNG back.
 *
 * One FIFO queue per device: inferences run one at a time (the GPU executes them on its one stream anyway, and
 * one at a time keeps the activation pool at one image's worth). Back-pressure instead of unbounded memory:
 *   413  body larger than maxBodyBytes, or an image with more than maxPixels pixels
 *   400  empty body, not a PNG, corrupt PNG (with the decoder's message)
 *   429  queue full (maxQueue waiting), with Retry-After
 *   503  waited longer than queueTimeoutMs, or the server is closing, with Retry-After
 *   504  inference took longer than inferenceTimeoutMs (the result is discarded when it arrives)
 *   500  the backend failed (its message kept); the server keeps serving
 * Every error is JSON { error, reason }. A client that disconnects while queued is dropped from the queue.
 * The image size is read from the PNG header before decoding, so a small file claiming a huge image is refused
 * without allocating it. PNG decode/encode run on worker threads (codecThreads).
 * GET /healthz reports the backend, queue, counters and memory (pooled and, on a GPU, device free/total).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { decodePng, encodePng, type RgbImage } from './image.js';
import { PngCodecPool } from './png-codec-pool.js';
import type { TileOptions, UpscaleResult } from './upscaler.js';

/** What the server needs from an upscaler (Upscaler implements it; tests use a fake). */
export interface UpscaleService {
  readonly scale: number;
  readonly backend: string;
  readonly description: string;
  upscale(image: RgbImage, options?: TileOptions): Promise<UpscaleResult>;
  /** Bytes the executor holds (weights + pooled activations on a GPU). */
  pooledBytes(): number;
  /** Device memory, when there is a device. */
  deviceMemory?(): { free: number; total: number } | null;
}

export interface ServerOptions {
  readonly maxBodyBytes?: number;
  readonly maxPixels?: number;
  readonly maxQueue?: number;
  readonly queueTimeoutMs?: number;
  readonly inferenceTimeoutMs?: number;
  readonly tile?: number;
  readonly overlap?: number;
  /** Worker threads for PNG decode/encode (default min(4, cores − 1); 0: on the event loop). */
  readonly codecThreads?: number;
  /** Called for each served or refused request (logging). */
  readonly onRequest?: (line: string) => void;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(reason);
  }
}

interface Job {
  readonly image: RgbImage;
  readonly enqueued: number;
  readonly resolve: (result: { result: UpscaleResult; waitedMs: number }) => void;
  readonly reject: (error: unknown) => void;
  cancelled: boolean;
  timer?: NodeJS.Timeout;
}

/** Runs one job at a time, at most `limit` waiting. */
class InferenceQueue {
  readonly #waiting: Job[] = [];
  #running = false;
  closed = false;

  constructor(
    private readonly service: UpscaleService,
    private readonly limit: number,
    private readonly queueTimeoutMs: number,
    private readonly tileOptions: TileOptions,
  ) {}

  get waiting(): number {
    return this.#waiting.length;
  }

  get running(): boolean {
    return this.#running;
  }

  submit(image: RgbImage, signal: { cancelled: boolean; onCancel?: () => void }): Promise<{ result: UpscaleResult; waitedMs: number }> {
    if (this.closed) return Promise.reject(new HttpError(503, 'server is shutting down', 5));
    if (signal.cancelled) return Promise.reject(new HttpError(400, 'client went away'));
    if (this.#waiting.length >= this.limit) {
      return Promise.reject(new HttpError(429, `queue full: ${this.#waiting.length} requests waiting (limit ${this.limit}); retry later`, 1));
    }
    return new Promise((resolve, reject) => {
      const job: Job = { image, enqueued: performance.now(), resolve, reject, cancelled: false };
      job.timer = setTimeout(() => {
        const index = this.#waiting.indexOf(job);
        if (index >= 0) {
          this.#waiting.splice(index, 1);
          reject(new HttpError(503, `waited ${this.queueTimeoutMs} ms in the queue without being served; the server is overloaded`, 2));
        }
      }, this.queueTimeoutMs);
      signal.onCancel = () => {
        const index = this.#waiting.indexOf(job);
        if (index >= 0) {
          this.#waiting.splice(index, 1);
          clearTimeout(job.timer);
        }
        job.cancelled = true;
      };
      this.#waiting.push(job);
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (let job = this.#waiting.shift(); job; job = this.#waiting.shift()) {
        clearTimeout(job.timer);
        if (job.cancelled) continue;
        const waitedMs = performance.now() - job.enqueued;
        try {
          job.resolve({ result: await this.service.upscale(job.image, this.tileOptions), waitedMs });
        } catch (error) {
          job.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

export interface ServerStats {
  served: number;
  rejected: Record<number, number>;
  failed: number;
}

export interface UpscaleServer {
  readonly server: Server;
  readonly stats: ServerStats;
  /** Stops accepting, lets queued work finish, closes. */
  close(): Promise<void>;
}

export function createUpscaleServer(service: UpscaleService, options: ServerOptions = {}): UpscaleServer {
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const maxPixels = options.maxPixels ?? 1024 * 1024;
  const inferenceTimeoutMs = options.inferenceTimeoutMs ?? 120_000;
  const queue = new InferenceQueue(service, options.maxQueue ?? 8, options.queueTimeoutMs ?? 30_000, {
    tile: options.tile,
    overlap: options.overlap,
  });
  const stats: ServerStats = { served: 0, rejected: {}, failed: 0 };
  const codecThreads = options.codecThreads ?? Math.min(4, Math.max(1, availableParallelism() - 1));
  const codec = codecThreads > 0 ? new PngCodecPool(codecThreads) : null;
  const log = options.onRequest ?? (() => {});

  const sendJson = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const refuse = (req: IncomingMessage, res: ServerResponse, error: HttpError): void => {
    stats.rejected[error.status] = (stats.rejected[error.status] ?? 0) + 1;
    log(`${req.method} ${req.url} → ${error.status} ${error.reason}`);
    const headers: Record<string, string> = error.retryAfterSeconds ? { 'retry-after': String(error.retryAfterSeconds) } : {};
    if (error.status === 413) {
      // The client may still be sending: answer, then drop the connection instead of reading the rest.
      headers.connection = 'close';
      res.once('finish', () => req.socket.destroy());
    }
    sendJson(res, error.status, { error: statusText(error.status), reason: error.reason }, headers);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBodyBytes) {
        reject(new HttpError(413, `body of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        if (size > maxBodyBytes) return; // already refused; the rest is discarded until the 413 is sent
        size += chunk.length;
        if (size > maxBodyBytes) {
          chunks.length = 0;
          reject(new HttpError(413, `body exceeds the limit of ${maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
      req.on('aborted', () => reject(new HttpError(400, 'request aborted by the client')));
    });

  const handleUpscale = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const body = await readBody(req);
    if (body.length === 0) throw new HttpError(400, 'empty body: POST the PNG image as the request body');
    if (body.length < 8 || PNG_SIGNATURE.some((byte, i) => body[i] !== byte)) {
      throw new HttpError(400, 'body is not a PNG image (no PNG signature); only PNG is accepted');
    }
    // IHDR is the first chunk: width and height at bytes 16–23, big-endian.
    if (body.length < 24 || body.toString('latin1', 12, 16) !== 'IHDR') throw new HttpError(400, 'not a valid PNG image: no IHDR chunk');
    const [declaredWidth, declaredHeight] = [body.readUInt32BE(16), body.readUInt32BE(20)];
    if (declaredWidth * declaredHeight > maxPixels) {
      throw new HttpError(413, `image of ${declaredWidth}×${declaredHeight} pixels exceeds the limit of ${maxPixels} pixels`);
    }
    let image: RgbImage;
    try {
      image = codec ? await codec.decode(body) : decodePng(body);
    } catch (error) {
      throw new HttpError(400, error instanceof Error ? error.message : String(error));
    }
    const signal: { cancelled: boolean; onCancel?: () => void } = { cancelled: false };
    res.on('close', () => {
      if (res.writableEnded) return;
      signal.cancelled = true;
      signal.onCancel?.();
    });
    if (res.destroyed) return; // the client left while the body was read or decoded
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(504, `inference did not finish within ${inferenceTimeoutMs} ms`)), inferenceTimeoutMs);
    });
    let outcome: { result: UpscaleResult; waitedMs: number };
    const submitted = queue.submit(image, signal);
    submitted.catch(() => {}); // if the timeout wins, a later rejection must not become an unhandled one
    try {
      outcome = await Promise.race([submitted, timeout]);
    } catch (error) {
      signal.onCancel?.(); // still queued: drop it; already running: its result is discarded
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const png = codec ? await codec.encode(outcome.result.image) : encodePng(outcome.result.image);
    stats.served++;
    const totalMs = performance.now() - started;
    log(`POST /upscale ${image.width}×${image.height} → 200 in ${totalMs.toFixed(0)} ms (queued ${outcome.waitedMs.toFixed(0)} ms)`);
    if (res.destroyed) return;
    res.writeHead(200, {
      'content-type': 'image/png',
      'content-length': png.length,
      'x-nova-backend': service.backend,
      'x-nova-scale': String(service.scale),
      'x-nova-queue-ms': outcome.waitedMs.toFixed(1),
      'x-nova-inference-ms': (outcome.result.timings.total ?? 0).toFixed(1),
      'x-nova-tiles': String(outcome.result.tiles),
    });
    res.end(png);
  };

  const health = (res: ServerResponse): void => {
    let device: { free: number; total: number } | null = null;
    try {
      device = service.deviceMemory?.() ?? null;
    } catch {
      device = null;
    }
    sendJson(res, 200, {
      ok: !queue.closed,
      backend: service.backend,
      executor: service.description,
      scale: service.scale,
      queue: { running: queue.running, waiting: queue.waiting },
      stats,
      memory: { pooledBytes: service.pooledBytes(), device },
    });
  };

  const server = createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0];
    const work = async (): Promise<void> => {
      if (route === '/upscale') {
        if (req.method !== 'POST') throw new HttpError(405, 'use POST with a PNG body');
        await handleUpscale(req, res);
      } else if (route === '/healthz') {
        if (req.method !== 'GET') throw new HttpError(405, 'use GET');
        health(res);
      } else {
        throw new HttpError(404, `no route ${route}; POST /upscale or GET /healthz`);
      }
    };
    work().catch((error: unknown) => {
      if (error instanceof HttpError) {
        refuse(req, res, error);
        return;
      }
      stats.failed++;
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: string } | null)?.code;
      log(`${req.method} ${route} → 500 ${code ?? ''} ${message}`);
      sendJson(res, 500, { error: 'Internal Server Error', reason: message, ...(code ? { code } : {}) });
    });
  });
  // Slow or broken clients: bounded header and request times, malformed requests answered 400 without crashing.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n`);
    else socket.destroy(error);
  });

  return {
    server,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        queue.closed = true;
        server.close(() => {
          if (codec) void codec.close().then(() => resolve());
          else resolve();
        });
        server.closeIdleConnections();
        // Keep-alive sockets would hold close() open: drop them once the queued work is answered.
        const drain = setInterval(() => {
          if (queue.running || queue.waiting > 0) return;
          clearInterval(drain);
          server.closeAllConnections();
        }, 20);
      }),
  };
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    405: 'Method Not Allowed',
    413: 'Payload Too Large',
    429: 'Too Many Requests',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return texts[status] ?? 'Error';
}

/** Adapts an Upscaler (or anything with the same shape) to the service the server needs. */
export function serviceOf(upscaler: {
  scale: number;
  executor: { kind: string; description: string; pooledBytes(): number; deviceMemory?(): { free: number; total: number } | null };
  upscale(image: RgbImage, options?: TileOptions): Promise<UpscaleResult>;
}): UpscaleService {
  return {
    scale: upscaler.scale,
    backend: upscaler.executor.kind,
    description: upscaler.executor.description,
    upscale: (image, options) => upscaler.upscale(image, options),
    pooledBytes: () => upscaler.executor.pooledBytes(),
    deviceMemory: upscaler.executor.deviceMemory ? () => upscaler.executor.deviceMemory!() : undefined,
  };
}
