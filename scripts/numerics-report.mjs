#!/usr/bin/env node
// Regenerates docs/numerics.md and docs/numerics/*.svg: runs the numerics study (src-ts/numerics/study.ts) on the
// CPU addon and renders it. Run through `npm run numerics:report` (which compiles the TypeScript first).
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { loadCpuNative } = await import(join(root, 'dist/binding/cpu-native.js'));
const { runStudy } = await import(join(root, 'dist/numerics/study.js'));
const { renderReport, writeReport } = await import(join(root, 'dist/numerics/report.js'));
const { DEFAULT_POINTS } = await import(join(root, 'dist/winograd/points.js'));

const started = Date.now();
const { addon } = loadCpuNative();
const study = await runStudy(addon, DEFAULT_POINTS, undefined, (text) => process.stderr.write(`numerics: ${text}\n`));
const files = renderReport(study, DEFAULT_POINTS);
for (const path of writeReport(root, files)) process.stderr.write(`wrote ${relative(root, path)}\n`);
process.stderr.write(`numerics: done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
