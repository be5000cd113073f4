/**
 * The addon loader: a missing binary is "not built" with a build hint; a broken one is reported with the loader's
 * message and "Possible solutions"; the child-process probe turns a binary that crashes the loading process into a
 * reason instead of a crash; the first working candidate wins.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonCandidates, loadAddon, loadFirst, packageRoot } from '../../src-ts/binding/load.js';

const dir = mkdtempSync(join(tmpdir(), 'nova-load-'));
const missing = join(dir, 'missing.node');
const garbage = join(dir, 'garbage.node');
writeFileSync(garbage, 'not an ELF file');
// A "binary" that kills whoever loads it: the probe must report it, this process must survive.
const crasher = join(dir, 'crasher.js');
writeFileSync(crasher, "process.kill(process.pid, 'SIGSEGV');");

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('addon loader', () => {
  it('reports a binary that was never built, with the build command', () => {
    const result = loadFirst('nova_gpu', [missing]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.notBuilt).toBe(true);
    expect(result.reason).toMatch(/^nova_gpu\.node is not built \(looked in .*missing\.node\); run `npm run build:gpu`/);
  });

  it('keeps every candidate error and lists possible solutions', () => {
    const result = loadFirst('nova_cpu', [missing, garbage]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.notBuilt).toBe(false);
    expect(result.tried.map((t) => t.path)).toEqual([missing, garbage]);
    expect(result.tried[0]!.error).toBe('not found');
    expect(result.tried[1]!.error).toMatch(/invalid ELF header|file too short/);
    expect(result.reason).toMatch(/^could not load nova_cpu\.node:\n/);
    expect(result.reason).toMatch(/Possible solutions:\n {2}- rebuild it: run `npm run build:cpu`.*\n {2}- or point NOVA_CPU_ADDON at a working binary$/);
  });

  it('probes in a child process, so a binary that crashes its loader is a reason, not a crash', () => {
    const result = loadFirst('nova_gpu', [crasher], { probe: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.tried[0]!.error).toMatch(/^crashed with SIGSEGV while loading/);
  });

  it('takes the first candidate that loads', () => {
    const working = join(dir, 'working.js');
    writeFileSync(working, 'module.exports = { answer: 42 };');
    const result = loadFirst<{ answer: number }>('nova_cpu', [missing, garbage, working], { probe: true });
    expect(result).toMatchObject({ ok: true, path: working, addon: { answer: 42 } });
  });

  it('looks in the env override first, then the build folders of the package', () => {
    const previous = process.env.NOVA_GPU_ADDON;
    process.env.NOVA_GPU_ADDON = garbage;
    try {
      expect(addonCandidates('nova_gpu')).toEqual([
        garbage,
        join(packageRoot(), 'build-gpu', 'Release', 'nova_gpu.node'),
        join(packageRoot(), 'build-gpu', 'Debug', 'nova_gpu.node'),
        join(packageRoot(), 'build-gpu', 'nova_gpu.node'),
      ]);
    } finally {
      if (previous === undefined) delete process.env.NOVA_GPU_ADDON;
      else process.env.NOVA_GPU_ADDON = previous;
    }
    expect(addonCandidates('nova_cpu')[0]).toBe(join(packageRoot(), 'build', 'Release', 'nova_cpu.node'));
  });

  it('loads the CPU addon of this checkout', () => {
    const result = loadAddon<{ version(): { napi: number } }>('nova_cpu');
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    if (result.ok) expect(result.addon.version().napi).toBeGreaterThanOrEqual(8);
  });
});
