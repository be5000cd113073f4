/**
 * Build step (`npm run gen`): writes src-hip/generated/winograd_constants.h from the exact TS transforms.
 * Run after `tsc`; the CPU and GPU builds include the header it writes.
 */

import { relative } from 'node:path';
import { packageRoot, writeHeader } from '../winograd/emit-header.js';

try {
  const { path, changed, sha256 } = writeHeader();
  const shown = relative(packageRoot(), path);
  console.log(`${changed ? 'wrote' : 'unchanged'} ${shown} (exact constants sha256 ${sha256.slice(0, 16)}…)`);
} catch (error) {
  console.error(`gen-constants: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
