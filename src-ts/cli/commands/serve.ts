/** `nova serve`: the ESRGAN HTTP inference server (src-ts/models/esrgan/server.ts) until SIGINT / SIGTERM. */
import type { AddressInfo } from 'node:net';
import { ESRGAN_INSTALL_HINT } from '../../models/esrgan/esrgan.js';
import { createUpscaleServer, serviceOf } from '../../models/esrgan/server.js';
import { DEFAULT_OVERLAP, DEFAULT_TILE, UPSCALE_BACKENDS, Upscaler, type UpscaleBackend } from '../../models/esrgan/upscaler.js';
import { type Command, UsageError } from '../command.js';

const serve: Command = {
  name: 'serve',
  summary: 'HTTP server: POST a PNG to /upscale, get the ESRGAN-upscaled PNG (queue with back-pressure)',
  flags: {
    port: { type: 'int', min: 0, max: 65535, default: 8080, description: 'TCP port (0: any free port)' },
    host: { type: 'string', default: '127.0.0.1', description: 'address to listen on' },
    scale: { type: 'int', min: 2, max: 8, default: 4, description: 'upscaling factor: 2, 3, 4 or 8' },
    backend: { type: 'string', choices: UPSCALE_BACKENDS, default: 'auto', description: 'where to run (auto: GPU if usable, else CPU)' },
    tile: { type: 'int', min: 0, max: 4096, default: DEFAULT_TILE, description: 'largest tile side in input pixels' },
    overlap: { type: 'int', min: 0, max: 256, default: DEFAULT_OVERLAP, description: 'context pixels around each tile' },
    'max-body': { type: 'int', min: 1024, max: 1 << 30, default: 8 << 20, description: 'largest request body in bytes (else 413)' },
    'max-pixels': { type: 'int', min: 1, max: 1 << 28, default: 1 << 20, description: 'largest input image in pixels (else 413)' },
    queue: { type: 'int', min: 0, max: 10_000, default: 8, description: 'requests allowed to wait (else 429)' },
    'queue-timeout': { type: 'int', min: 1, max: 3_600_000, default: 30_000, description: 'ms a request may wait (else 503)' },
    timeout: { type: 'int', min: 1, max: 3_600_000, default: 120_000, description: 'ms from arrival to result (else 504)' },
    'codec-threads': { type: 'int', min: 0, max: 64, description: 'worker threads for PNG decode/encode (default min(4, cores − 1); 0: none)' },
    model: { type: 'string', placeholder: '<path>', description: 'model.json, its folder or the package folder' },
    quiet: { type: 'boolean', description: 'no per-request log lines' },
  },
  details: [
    `Weights: ${ESRGAN_INSTALL_HINT}.`,
    'curl --data-binary @in.png -H "content-type: image/png" http://127.0.0.1:8080/upscale -o out.png',
    'GET /healthz: backend, queue, counters, pooled and device memory. Errors are JSON {error, reason}.',
  ].join('\n'),
  async run(flags, positionals, io) {
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const upscaler = await Upscaler.create({
      scale: flags.scale as number,
      modelPath: flags.model as string | undefined,
      backend: flags.backend as UpscaleBackend,
    });
    io.progress(`nova serve: ${upscaler.executor.description}; ${upscaler.selection}`);
    const { server, close } = createUpscaleServer(serviceOf(upscaler), {
      maxBodyBytes: flags['max-body'] as number,
      maxPixels: flags['max-pixels'] as number,
      maxQueue: flags.queue as number,
      queueTimeoutMs: flags['queue-timeout'] as number,
      inferenceTimeoutMs: flags.timeout as number,
      tile: flags.tile as number,
      overlap: flags.overlap as number,
      codecThreads: flags['codec-threads'] as number | undefined,
      onRequest: flags.quiet ? undefined : (line) => io.progress(line),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(flags.port as number, flags.host as string, () => resolve());
    });
    const address = server.address() as AddressInfo;
    io.out(`listening on http://${address.address}:${address.port} (POST /upscale, GET /healthz)`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        io.progress('nova serve: closing (finishing queued requests)');
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    upscaler.dispose();
    return 0;
  },
};

export default serve;
