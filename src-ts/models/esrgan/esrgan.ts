/**
 * ESRGAN ("thick" RRDN: 10 residual-in-residual blocks × 3 dense blocks × 4 convs + fusion conv, 32-channel
 * growth, 64 features, residual scaling 0.2, pixel shuffle) with the published weights of the npm package
 * `@upscalerjs/esrgan-thick`. The package (110 MB: x2, x3, x4, x8 models) is not a dependency of NOVA; install it
 * where you want to upscale, or point NOVA at an unpacked copy with `modelPath` / NOVA_ESRGAN_PATH.
 *
 * Model contract (from the package's own model definition): input RGB in [0, 1], output RGB in [0, 1] (values
 * outside are clipped when converted to 8 bits).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NovaError } from '../../api/errors.js';
import { packageRoot } from '../../binding/load.js';
import type { Graph } from '../../graph/graph.js';
import { fuseGraph } from '../../graph/passes.js';
import { layersModelToGraph, readLayersModel } from './tfjs-layers.js';

export const ESRGAN_PACKAGE = '@upscalerjs/esrgan-thick';
export const ESRGAN_SCALES = [2, 3, 4, 8] as const;
export type EsrganScale = (typeof ESRGAN_SCALES)[number];
export const ESRGAN_PATH_VARIABLE = 'NOVA_ESRGAN_PATH';

export const ESRGAN_INSTALL_HINT =
  `install the weights with \`npm install ${ESRGAN_PACKAGE}\` (110 MB, MIT) in your project, ` +
  `or set ${ESRGAN_PATH_VARIABLE} to an unpacked copy of the package (the folder holding models/x4/model.json)`;

export interface EsrganModel {
  readonly scale: EsrganScale;
  readonly modelJsonPath: string;
  /** One node per Keras layer, as published. */
  readonly graph: Graph;
  /** Activations fused into convs and the 0.2 residual scales after fusion convs folded into their weights. */
  readonly fused: Graph;
  readonly weightBytes: number;
}

export function checkScale(scale: unknown): EsrganScale {
  if (!ESRGAN_SCALES.includes(scale as EsrganScale)) {
    throw Object.assign(new RangeError(`Expected one of 2, 3, 4, 8 for scale but received ${String(scale)}`), { code: 'E_ARG' });
  }
  return scale as EsrganScale;
}

/** Package roots to look in: the given folder, NOVA_ESRGAN_PATH, node_modules above the cwd and above NOVA. */
function candidateRoots(explicit?: string): string[] {
  if (explicit) return [resolve(explicit)];
  const roots: string[] = [];
  const fromEnv = process.env[ESRGAN_PATH_VARIABLE];
  if (fromEnv) roots.push(resolve(fromEnv));
  for (const start of [process.cwd(), packageRoot()]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      roots.push(join(dir, 'node_modules', ...ESRGAN_PACKAGE.split('/')));
      if (dirname(dir) === dir) break;
    }
  }
  return [...new Set(roots)];
}

/**
 * Finds models/x<scale>/model.json. `path` may be a model.json, a folder holding one, or the package folder.
 * Throws E_BACKEND_UNAVAILABLE with the install instruction when nothing is found.
 */
export function resolveEsrganModel(scale: EsrganScale, path?: string): string {
  const tried: string[] = [];
  for (const root of candidateRoots(path)) {
    const candidates = root.endsWith('.json') ? [root] : [join(root, 'models', `x${scale}`, 'model.json'), join(root, 'model.json')];
    for (const candidate of candidates) {
      tried.push(candidate);
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
  }
  throw new NovaError(
    'E_BACKEND_UNAVAILABLE',
    `ESRGAN x${scale} weights not found; ${ESRGAN_INSTALL_HINT}. Looked in:\n  ${tried.slice(0, 6).join('\n  ')}${tried.length > 6 ? `\n  … ${tried.length - 6} more` : ''}`,
  );
}

/** True when the x4 weights can be found (tests that need them skip visibly otherwise). */
export function esrganAvailable(scale: EsrganScale = 4): boolean {
  try {
    resolveEsrganModel(scale);
    return true;
  } catch {
    return false;
  }
}

export async function loadEsrgan(options: { scale?: number; path?: string } = {}): Promise<EsrganModel> {
  const scale = checkScale(options.scale ?? 4);
  const modelJsonPath = resolveEsrganModel(scale, options.path);
  const model = await readLayersModel(modelJsonPath);
  const graph = layersModelToGraph(model, `esrgan-thick-x${scale}`);
  const output = graph.nodes[graph.output];
  if (graph.nodes[0].channels !== 3 || output.channels !== 3 || output.upscale !== scale) {
    throw new NovaError('E_UNSUPPORTED', `${modelJsonPath}: expected RGB in and RGB ×${scale} out, got ${graph.nodes[0].channels} → ${output.channels} channels ×${output.upscale}`);
  }
  return { scale, modelJsonPath, graph, fused: fuseGraph(graph), weightBytes: model.weightBytes };
}
