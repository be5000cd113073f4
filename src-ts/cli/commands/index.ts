/**
 * The `nova` subcommands. Adding one = a file in this folder that default-exports a `Command`, plus one line here.
 * Modules load lazily, so `nova help` stays fast and a command's heavy imports cost nothing elsewhere.
 */
import type { Command } from '../command.js';

export const commands: Readonly<Record<string, () => Promise<{ default: Command }>>> = {
  demo: () => import('./demo.js'),
  doctor: () => import('./doctor.js'),
  conv: () => import('./conv.js'),
  gen: () => import('./gen.js'),
  points: () => import('./points.js'),
  numerics: () => import('./numerics.js'),
  bench: () => import('./bench.js'),
  upscale: () => import('./upscale.js'),
  serve: () => import('./serve.js'),
};
