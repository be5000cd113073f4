#!/usr/bin/env node
// npm's `install` script (and the build steps ensure-built.mjs reuses):
//   1. tsc → dist/   2. gen → src-hip/generated/winograd_constants.h   3. node-gyp → build/Release/nova_cpu.node
//   4. scripts/build-gpu.mjs → build-gpu/Release/nova_gpu.node, which never fails the install: without a GPU
//      toolkit it is skipped, and the last line says whether the GPU addon was built and why not.
// Steps 1–3 must succeed (the CPU backend is the reference and must exist everywhere).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export const paths = {
  distEntry: join(root, 'dist', 'index.js'),
  /** Written after a successful tsc; ensure-built compares source mtimes against it. */
  tsStamp: join(root, 'dist', '.tsc-stamp'),
  genScript: join(root, 'dist', 'scripts', 'gen-constants.js'),
  header: join(root, 'src-hip', 'generated', 'winograd_constants.h'),
  cpuAddon: join(root, 'build', 'Release', 'nova_cpu.node'),
  gpuAddon: join(root, 'build-gpu', 'Release', 'nova_gpu.node'),
  gpuBuildScript: join(root, 'scripts', 'build-gpu.mjs'),
};

export function log(message) {
  process.stderr.write(`[nova] ${message}\n`);
}

/** Runs a command with inherited stdio; returns its exit status (non-zero on spawn failure). */
function run(command, args, options = {}) {
  const child = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (child.error) {
    log(`could not run ${command}: ${child.error.message}`);
    return 1;
  }
  return child.status ?? 1;
}

function resolveBin(specifier) {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

/**
 * 1. TypeScript → dist/. An installed package (no tsconfig.json, or no typescript) uses the dist/ it ships.
 */
export function compileTs() {
  const tsc = existsSync(join(root, 'tsconfig.json')) ? resolveBin('typescript/bin/tsc') : undefined;
  if (!tsc) {
    if (existsSync(paths.distEntry)) {
      log('no TypeScript sources build here; using the shipped dist/');
      return;
    }
    throw new Error('dist/ is missing and cannot be built: run `npm install` in a checkout, with dev dependencies');
  }
  log('tsc → dist/');
  if (run(process.execPath, [tsc, '-p', 'tsconfig.json']) !== 0) throw new Error('tsc failed');
  writeFileSync(paths.tsStamp, `${new Date().toISOString()}\n`);
}

/** 2. Exact Winograd constants → the C++ header (rewritten only when its bytes change). */
export function generateConstants() {
  log('gen → src-hip/generated/winograd_constants.h');
  if (run(process.execPath, [paths.genScript]) !== 0) throw new Error('generating the Winograd constants failed');
}

function nodeGypArgs() {
  // Use local Node headers when npm has not said where they are, so no download is needed.
  const prefix = resolve(dirname(process.execPath), '..');
  const nodedir =
    !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
  const jobs = process.env.NOVA_JOBS ?? String(Math.min(2, cpus().length));
  return [...nodedir, `--jobs=${jobs}`];
}

/** 3. The CPU addon (node-gyp). `rebuild` from scratch, or `build` to reuse an existing configuration. */
export function buildCpuAddon(mode = 'rebuild') {
  const nodeGyp = resolveBin('node-gyp/bin/node-gyp.js') ?? process.env.npm_config_node_gyp;
  if (!nodeGyp) throw new Error('node-gyp not found: run `npm install` with dev dependencies');
  log(`node-gyp ${mode} → build/Release/nova_cpu.node`);
  if (run(process.execPath, [nodeGyp, mode, ...nodeGypArgs()]) !== 0) {
    throw new Error('building the CPU addon failed (needs a C++17 compiler, make and python3)');
  }
}

/** 4. The GPU addon; never rejects. Ends with one line (also resolved) saying whether it was built and why not. */
export async function buildGpuAddon() {
  if (!existsSync(paths.gpuBuildScript)) {
    const summary = 'GPU addon not built: scripts/build-gpu.mjs is not in this checkout';
    log(summary);
    return summary;
  }
  log('build-gpu → build-gpu/Release/nova_gpu.node (optional)');
  // stderr is shown live (a GPU build takes minutes) and kept, for its last line.
  const child = await new Promise((resolve) => {
    let stderr = '';
    const proc = spawn(process.execPath, [paths.gpuBuildScript], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
    proc.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      stderr += chunk;
    });
    proc.on('error', (error) => resolve({ error, stderr, status: null }));
    proc.on('close', (status) => resolve({ stderr, status }));
  });
  // build-gpu.mjs's last stderr line says what happened ("GPU addon built …" / "GPU addon not built: …").
  const lastLine = (child.stderr ?? '').trim().split('\n').filter(Boolean).pop()?.replace(/^\[[^\]]+\]\s*/, '') ?? '';
  const stale = existsSync(paths.gpuAddon) ? ` (an earlier ${paths.gpuAddon} is still there)` : '';
  let summary;
  if (child.error) summary = `GPU addon not built: ${child.error.message}${stale}`;
  else if (lastLine.startsWith('GPU addon built')) summary = lastLine;
  else if (lastLine.startsWith('GPU addon')) summary = `${lastLine}${stale}`;
  else summary = `GPU addon not built: build-gpu.mjs exited with ${child.status}${lastLine ? ` (${lastLine})` : ''}${stale}`;
  if (summary !== lastLine) log(summary); // otherwise it is already the last thing on the screen
  return summary;
}

async function main() {
  const started = Date.now();
  try {
    compileTs();
    generateConstants();
    buildCpuAddon('rebuild');
  } catch (error) {
    log(`install failed: ${error.message}`);
    process.exit(1);
  }
  log('CPU addon built: build/Release/nova_cpu.node');
  await buildGpuAddon();
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; \`npx nova doctor\` shows what is available`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
