#!/usr/bin/env node
/**
 * Cuts the committed before/after pair for docs/esrgan.md: a square of the package's test photo and the same
 * square of an upscaled output (default: x4).
 *   node bench/esrgan/make-pair.mjs <fixture.png> <upscaled.png> <before.png> <after.png> [x y size scale]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cropImage, decodePng, encodePng } from '../../dist/models/esrgan/image.js';

const [fixture, upscaled, before, after, x = '40', y = '32', size = '64', scale = '4'] = process.argv.slice(2);
if (!after) throw new Error('usage: make-pair.mjs <fixture.png> <upscaled.png> <before.png> <after.png> [x y size scale]');
const [cx, cy, side, s] = [x, y, size, scale].map(Number);
writeFileSync(before, encodePng(cropImage(decodePng(readFileSync(fixture)), cx, cy, side, side)));
writeFileSync(after, encodePng(cropImage(decodePng(readFileSync(upscaled)), cx * s, cy * s, side * s, side * s)));
