#!/usr/bin/env node
// Run by `npm test` first: rebuilds only what is missing or older than its sources (tsc, the constants header,
// the CPU addon; the GPU addon only if it was built before), and otherwise does nothing, quickly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCpuAddon, buildGpuAddon, compileTs, generateConstants, log, paths, root } from './install.mjs';

/** Newest modification time (ms) of the files under `dirs` whose names match `pattern`; 0 if none. */
function newest(dirs, pattern = /./) {
  let latest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (pattern.test(path)) {
      latest = Math.max(latest, stat.mtimeMs);
    }
  };
  for (const dir of dirs) visit(join(root, dir));
  return latest;
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

const started = Date.now();
const did = [];
try {
  if (mtime(paths.tsStamp) < newest(['src-ts', 'tsconfig.json', 'package.json'], /\.(ts|json)$/)) {
    compileTs();
    did.push('tsc');
  }
  if (did.includes('tsc') || !existsSync(paths.header)) {
    generateConstants();
    did.push('gen');
  }
  const cpuSources = newest(['binding.gyp', 'src-hip/cpu', 'src-hip/generated']);
  if (mtime(paths.cpuAddon) < cpuSources) {
    const configured = mtime(join(root, 'build', 'config.gypi')) > mtime(join(root, 'binding.gyp'));
    buildCpuAddon(configured ? 'build' : 'rebuild');
    did.push('cpu addon');
  }
  const gpuSources = newest(['CMakeLists.txt', 'scripts/build-gpu.mjs', 'src-hip'], /^(?!.*src-hip\/cpu\/)/);
  if (existsSync(paths.gpuAddon) && mtime(paths.gpuAddon) < gpuSources) {
    await buildGpuAddon();
    did.push('gpu addon');
  }
} catch (error) {
  log(`build failed: ${error.message}`);
  process.exit(1);
}
if (did.length) log(`rebuilt ${did.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
