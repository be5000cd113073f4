#!/usr/bin/env node
// Builds the GPU addon build-gpu/Release/nova_gpu.node with cmake-js (CMakeLists.txt). Called by scripts/install.mjs
// and `npm run build:gpu`.
//
//   NOVA_GPU=auto   (default) nvcc if found, else hipcc if found, else skip
//   NOVA_GPU=cuda   build with nvcc (fails loudly if nvcc is missing)
//   NOVA_GPU=hip    build with hipcc for AMD (HIP_PLATFORM=amd is set for it)
//   NOVA_GPU=off    skip
// The same choice can be given as `--gpu=<value>`; `--out=<dir>` builds elsewhere (CI builds both platforms).
// NOVA_HIP_ARCHS (e.g. "gfx90a;gfx940") and NOVA_CUDA_GENCODE override the device targets; NOVA_JOBS the
// parallelism (default 2).
//
// Exit status: 0 when built or deliberately skipped, 1 when a build was attempted and failed. The last line on
// stderr always says what happened (install.mjs shows it), so the install never fails for lack of a toolkit.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const MODES = ['auto', 'cuda', 'hip', 'off'];

function log(message) {
  process.stderr.write(`[nova] ${message}\n`);
}

function option(name) {
  const flag = process.argv.slice(2).find((arg) => arg.startsWith(`--${name}=`));
  return flag?.slice(name.length + 3);
}

/** First executable named `tool` on PATH or in the usual toolkit folders. */
function findTool(tool, extraDirs) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const toolDirs = {
  nvcc: [process.env.CUDA_PATH, process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean).map((d) => join(d, 'bin')),
  hipcc: [process.env.ROCM_PATH, '/opt/rocm'].filter(Boolean).map((d) => join(d, 'bin')),
};

/** Stops with exit status 0 and the reason as the last line. */
function skip(reason) {
  log(`GPU addon not built: ${reason}`);
  process.exit(0);
}

function fail(reason) {
  log(`GPU addon build failed: ${reason}`);
  process.exit(1);
}

function main() {
  const mode = (option('gpu') ?? process.env.NOVA_GPU ?? 'auto').toLowerCase();
  if (!MODES.includes(mode)) fail(`NOVA_GPU must be one of ${MODES.join(', ')}, got "${mode}"`);
  if (mode === 'off') skip('NOVA_GPU=off');

  const nvcc = mode === 'hip' ? undefined : findTool('nvcc', toolDirs.nvcc);
  const hipcc = mode === 'cuda' ? undefined : findTool('hipcc', toolDirs.hipcc);
  let platform;
  if (mode === 'cuda' || (mode === 'auto' && nvcc)) platform = 'cuda';
  else if (mode === 'hip' || (mode === 'auto' && hipcc)) platform = 'hip';
  else skip('no GPU toolkit found (neither nvcc nor hipcc on PATH, in $CUDA_PATH/bin or /opt/rocm/bin); the CPU backend works without one');

  const compiler = platform === 'cuda' ? nvcc : hipcc;
  const explicit = mode !== 'auto';
  if (!compiler) {
    const message = `NOVA_GPU=${mode} but ${platform === 'cuda' ? 'nvcc' : 'hipcc'} was not found`;
    if (explicit) fail(message);
    skip(message);
  }
  if (!findTool('cmake', [])) {
    const message = 'cmake (>= 3.25) is not on PATH; it is needed to build the GPU addon';
    if (explicit) fail(message);
    skip(message);
  }
  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  } catch {
    const message = 'cmake-js is not installed (a dev dependency): run `npm install` with dev dependencies';
    if (explicit) fail(message);
    skip(message);
  }

  const out = resolve(root, option('out') ?? process.env.NOVA_GPU_OUT ?? 'build-gpu');
  // A build folder configured for the other platform has the wrong compiler cached: start it afresh.
  const cache = join(out, 'CMakeCache.txt');
  if (existsSync(cache) && !readFileSync(cache, 'utf8').includes(`NOVA_GPU:STRING=${platform}\n`)) {
    log(`${out} was configured for another platform; removing it`);
    rmSync(out, { recursive: true, force: true });
  }

  const env = { ...process.env };
  const args = [cmakeJs, 'build', '--out', out, `--CDNOVA_GPU=${platform}`, '--parallel', process.env.NOVA_JOBS ?? '2'];
  if (platform === 'cuda') {
    env.CUDACXX = compiler;
    if (process.env.NOVA_CUDA_GENCODE) args.push(`--CDNOVA_CUDA_GENCODE=${process.env.NOVA_CUDA_GENCODE}`);
  } else {
    const archs = process.env.NOVA_HIP_ARCHS ?? 'gfx90a;gfx940';
    env.HIP_PLATFORM = 'amd'; // with nvcc on PATH, hipcc would otherwise target NVIDIA
    env.HCC_AMDGPU_TARGET = archs.replaceAll(';', ','); // keeps hipcc from probing for a local GPU
    args.push('--cxx', compiler, `--CDNOVA_HIP_ARCHS=${archs}`);
  }
  log(`building the ${platform} GPU addon with ${compiler} → ${join(out, 'Release', 'nova_gpu.node')}`);
  const child = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (child.error) fail(`could not run cmake-js: ${child.error.message}`);
  if (child.status !== 0) fail(`cmake-js exited with ${child.status} (the compiler output above says why)`);
  const addon = join(out, 'Release', 'nova_gpu.node');
  if (!existsSync(addon)) fail(`cmake-js succeeded but ${addon} is missing`);
  log(`GPU addon built (${platform}): ${addon}`);
}

main();
