/** `nova upscale in.png out.png`: ESRGAN super-resolution with the published esrgan-thick weights. */
import { readFile, writeFile } from 'node:fs/promises';
import { compareLayers, formatAccuracy } from '../../models/esrgan/accuracy.js';
import { ESRGAN_INSTALL_HINT } from '../../models/esrgan/esrgan.js';
import { cropImage, decodePng, encodePng } from '../../models/esrgan/image.js';
import { DEFAULT_OVERLAP, DEFAULT_TILE, UPSCALE_BACKENDS, Upscaler, type UpscaleBackend } from '../../models/esrgan/upscaler.js';
import type { Algorithm } from '../../backends/backend.js';
import { type Command, type CommandIO, UsageError } from '../command.js';

const ALGORITHMS = ['auto', 'tune', 'direct', 'winograd-f2', 'winograd-f4', 'winograd-f6'] as const;

/** A one-line bar on a terminal (redrawn in place), one line per tenth otherwise (logs stay short). */
function progressBar(io: CommandIO): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  return (done, total) => {
    if (total <= 1) return;
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} tiles${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      io.progress(`tiles ${done}/${total}`);
    }
  };
}

const upscale: Command = {
  name: 'upscale',
  summary: 'ESRGAN ×2/×3/×4/×8 super-resolution of a PNG (weights: npm package @upscalerjs/esrgan-thick)',
  positionals: ['<in.png>', '<out.png>'],
  flags: {
    scale: { type: 'int', min: 2, max: 8, default: 4, description: 'upscaling factor: 2, 3, 4 or 8' },
    backend: { type: 'string', choices: UPSCALE_BACKENDS, default: 'auto', description: 'where to run (auto: GPU if usable, else CPU, and says why)' },
    tile: { type: 'int', min: 0, max: 4096, default: DEFAULT_TILE, description: 'largest tile side in input pixels (0: no tiling)' },
    overlap: { type: 'int', min: 0, max: 256, default: DEFAULT_OVERLAP, description: 'context pixels around each tile, cropped after' },
    algo: { type: 'string', choices: ALGORITHMS, default: 'auto', description: 'conv algorithm for every layer (auto: per-layer policy; tune: fastest measured per conv shape at the tile size, GPU)' },
    model: { type: 'string', placeholder: '<path>', description: 'model.json, its folder or the package folder (default: NOVA_ESRGAN_PATH, node_modules)' },
    check: { type: 'int', min: 0, max: 256, default: 0, description: 'debug: per-layer error vs float64 on a centre crop of this size (0: off)' },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  details: [
    `Weights: ${ESRGAN_INSTALL_HINT}.`,
    'The image is read as RGB in [0, 1] (alpha dropped), the output clipped to [0, 1] and written as 8-bit RGB.',
    'Large images are cut into tiles of at most --tile pixels, each run with --overlap pixels of real context on',
    'every side, which is cropped away, so seams do not show. Time per stage is printed after the run (or in --json).',
    '--check N runs an N×N centre crop through the chosen backend and the float64 forward with every node captured,',
    'and prints the worst layers by relative error, the activation range and the PSNR (slow on a CPU: keep N small).',
    'Example: nova upscale photo.png photo-x4.png --scale 4 --tile 256',
  ].join('\n'),
  async run(flags, positionals, io) {
    if (positionals.length !== 2) throw new UsageError('expected <in.png> and <out.png>');
    const [inputPath, outputPath] = positionals as [string, string];
    const scale = flags.scale as number;
    if (![2, 3, 4, 8].includes(scale)) throw new UsageError(`--scale must be 2, 3, 4 or 8, got ${scale}`);
    const stages: Record<string, number> = {};
    const time = async <T>(stage: string, work: () => Promise<T> | T): Promise<T> => {
      const started = performance.now();
      const result = await work();
      stages[stage] = performance.now() - started;
      return result;
    };

    const image = await time('decode', async () => decodePng(await readFile(inputPath)));
    const upscaler = await time('load', () =>
      Upscaler.create({
        scale,
        modelPath: flags.model as string | undefined,
        backend: flags.backend as UpscaleBackend,
        algorithm: flags.algo as Algorithm | 'auto' | 'tune',
        tuneSize: Math.min((flags.tile as number) || Math.max(image.width, image.height), Math.max(image.width, image.height)),
      }),
    );
    try {
      io.progress(`nova upscale: ${upscaler.executor.description}; ${upscaler.selection}`);
      io.progress(`${inputPath}: ${image.width}×${image.height} → ${image.width * scale}×${image.height * scale}`);
      const result = await time('inference', () =>
        upscaler.upscale(image, { tile: flags.tile as number, overlap: flags.overlap as number, onProgress: progressBar(io) }),
      );
      let accuracy;
      const check = flags.check as number;
      if (check > 0) {
        const crop = cropImage(image, Math.max(0, (image.width - check) >> 1), Math.max(0, (image.height - check) >> 1), check, check);
        accuracy = await time('check', () => compareLayers(upscaler.model.fused, upscaler.executor, crop));
        if (!flags.json) io.progress(`per-layer check on a ${crop.width}×${crop.height} centre crop:\n${formatAccuracy(accuracy)}`);
      }
      const png = await time('encode', () => encodePng(result.image));
      await time('write', () => writeFile(outputPath, png));
      const report = {
        input: { path: inputPath, width: image.width, height: image.height },
        output: { path: outputPath, width: result.image.width, height: result.image.height, bytes: png.length },
        scale,
        backend: upscaler.executor.kind,
        executor: upscaler.executor.description,
        selection: upscaler.selection,
        tiles: result.tiles,
        stagesMs: stages,
        inferenceMs: result.timings,
        ...(accuracy ? { check: accuracy } : {}),
      };
      if (flags.json) io.out(JSON.stringify(report, null, 2));
      else {
        const stageText = Object.entries(stages).map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(', ');
        const inner = Object.entries(result.timings).map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ');
        io.out(`${outputPath}: ${result.image.width}×${result.image.height}, ${result.tiles} tile(s) on ${upscaler.executor.kind}`);
        io.out(`stages: ${stageText}`);
        io.out(`inference (ms, summed over tiles): ${inner}`);
      }
      return 0;
    } finally {
      upscaler.dispose();
    }
  },
};

export default upscale;
