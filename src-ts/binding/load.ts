/**
 * Finds and loads the native addons (`nova_cpu.node`, `nova_gpu.node`). Every candidate's failure is kept, so a
 * missing backend is reported with the exact loader message and what to do about it (sharp's loader), and the GPU
 * addon can be tried in a child process first, so a broken binary cannot take this process down (node-llama-cpp).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AddonName = 'nova_cpu' | 'nova_gpu';

export interface AddonAttempt {
  readonly path: string;
  readonly error: string;
}

export type AddonLoadResult<T> =
  | { readonly ok: true; readonly addon: T; readonly path: string }
  | { readonly ok: false; readonly reason: string; readonly notBuilt: boolean; readonly tried: readonly AddonAttempt[] };

/** Package root: this file sits at src-ts/binding/ (vitest, tsx) or dist/binding/ (compiled), both two levels down. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

const BUILD_DIRS: Record<AddonName, readonly string[]> = {
  nova_cpu: ['build/Release', 'build/Debug'],
  nova_gpu: ['build-gpu/Release', 'build-gpu/Debug', 'build-gpu'],
};

/** Environment variable that points at an addon binary explicitly (e.g. one built elsewhere and carried over). */
export function addonPathVariable(name: AddonName): string {
  return name === 'nova_cpu' ? 'NOVA_CPU_ADDON' : 'NOVA_GPU_ADDON';
}

const BUILD_HINT: Record<AddonName, string> = {
  nova_cpu: 'run `npm run build:cpu` (node-gyp, needs a C++17 compiler and python3)',
  nova_gpu: 'run `npm run build:gpu` on a machine with the CUDA toolkit (nvcc) or ROCm (hipcc)',
};

export function addonCandidates(name: AddonName): string[] {
  const root = packageRoot();
  const fromEnv = process.env[addonPathVariable(name)];
  const candidates = BUILD_DIRS[name].map((dir) => join(root, dir, `${name}.node`));
  return fromEnv ? [resolve(fromEnv), ...candidates] : candidates;
}

const cache = new Map<string, AddonLoadResult<unknown>>();
const requireNative = createRequire(import.meta.url);

/**
 * Loads the first candidate that works. With `probe`, each binary is first required in a child Node process,
 * so a crash at load time (bad driver library, wrong arch) becomes a reported reason instead of killing us.
 */
export function loadAddon<T>(name: AddonName, options: { probe?: boolean } = {}): AddonLoadResult<T> {
  const key = `${name}:${options.probe === true}:${process.env[addonPathVariable(name)] ?? ''}`;
  const cached = cache.get(key);
  if (cached) return cached as AddonLoadResult<T>;

  const result = loadFirst<T>(name, addonCandidates(name), options);
  cache.set(key, result);
  return result;
}

/** Tries `candidates` in order (uncached); the first that loads wins, otherwise every failure is reported. */
export function loadFirst<T>(name: AddonName, candidates: readonly string[], options: { probe?: boolean } = {}): AddonLoadResult<T> {
  const tried: AddonAttempt[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      tried.push({ path, error: 'not found' });
      continue;
    }
    const probeError = options.probe ? probeInChild(path) : undefined;
    if (probeError) {
      tried.push({ path, error: probeError });
      continue;
    }
    try {
      return { ok: true, addon: requireNative(path) as T, path };
    } catch (error) {
      tried.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return failure(name, tried);
}

function failure(name: AddonName, tried: AddonAttempt[]): AddonLoadResult<never> {
  const root = packageRoot();
  const notBuilt = tried.every((t) => t.error === 'not found');
  const list = tried.map((t) => `  ${relative(root, t.path) || t.path}: ${t.error}`).join('\n');
  const reason = notBuilt
    ? `${name}.node is not built (looked in ${tried.map((t) => relative(root, t.path)).join(', ')}); ${BUILD_HINT[name]}`
    : `could not load ${name}.node:\n${list}\nPossible solutions:\n  - rebuild it: ${BUILD_HINT[name]}\n` +
      `  - or point ${addonPathVariable(name)} at a working binary`;
  return { ok: false, reason, notBuilt, tried };
}

function probeInChild(path: string): string | undefined {
  const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path)})`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.error) return `probe failed: ${child.error.message}`;
  if (child.status === 0) return undefined;
  const detail = child.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return child.signal ? `crashed with ${child.signal} while loading: ${detail}` : detail || `exit code ${child.status}`;
}
