/**
 * Smoke tests of the built `nova` command (dist/cli/nova.js, built by `npm test`'s ensure-built step): exit codes,
 * stdout/stderr separation, machine-readable output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'nova.js');

function nova(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('nova CLI', () => {
  it('is built, with a node shebang', () => {
    expect(existsSync(cli), `${cli} missing: run \`npm test\` (it builds) or \`npm run build:ts\``).toBe(true);
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('help lists the commands', () => {
    const { status, stdout } = nova('help');
    expect(status).toBe(0);
    for (const command of ['conv', 'demo', 'doctor', 'gen']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const conv = nova('help', 'conv');
    expect(conv.status).toBe(0);
    expect(conv.stdout).toContain('--algo auto|winograd-f6|winograd-f4|winograd-f2|winograd-f8|direct');
  });

  it('doctor reports every backend, and why a GPU backend is missing', () => {
    const { status, stdout } = nova('doctor');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Backends:$/m);
    for (const kind of ['cpu', 'cuda', 'hip']) expect(stdout).toMatch(new RegExp(`^  ${kind}\\s+(yes|no)\\s+\\S`, 'm'));
    const json = JSON.parse(nova('doctor', '--json').stdout);
    expect(json.backends.map((b: { kind: string }) => b.kind)).toEqual(['cuda', 'hip', 'cpu']);
    for (const info of json.backends) {
      if (!info.available) expect(info.explanation).toMatch(/\S/);
    }
  });

  it('gen --json prints m, r, points, scaling and exact AT/G/BT for every tile size', () => {
    const { status, stdout, stderr } = nova('gen', '--json');
    expect(status, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    const fraction = /^-?\d+(\/\d+)?$/;
    expect(doc.tiles.map((t: { m: number }) => t.m)).toEqual([2, 4, 6, 8]);
    for (const tile of doc.tiles) {
      const alpha = tile.m + 2;
      expect(tile.r).toBe(3);
      expect(tile.points).toHaveLength(alpha);
      expect(tile.points.at(-1)).toBe('inf');
      expect(tile.scaling).toHaveProperty('description');
      const shapes: [string, number, number][] = [['AT', tile.m, alpha], ['G', alpha, 3], ['BT', alpha, alpha]];
      for (const [name, rows, cols] of shapes) {
        expect(tile[name], name).toHaveLength(rows);
        for (const row of tile[name]) {
          expect(row).toHaveLength(cols);
          for (const entry of row) expect(entry).toMatch(fraction);
        }
      }
    }
  });

  it('gen --out writes the same bytes as the committed header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-gen-'));
    try {
      const out = join(dir, 'winograd_constants.h');
      const { status, stdout } = nova('gen', '--out', out);
      expect(status).toBe(0);
      expect(stdout).toMatch(/^wrote /);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(root, 'src-hip', 'generated', 'winograd_constants.h'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('conv runs a layer on the CPU and prints backend, algorithm, error and time', () => {
    const { status, stdout, stderr } = nova('conv', '--backend', 'cpu', '--c', '8', '--k', '16', '--hw', '13', '--algo', 'winograd-f6', '--runs', '2', '--bias', '--relu');
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^backend {4}cpu/m);
    expect(stdout).toMatch(/^algorithm  winograd-f6/m);
    const error = Number(/^error {6}(\S+) relative L2/m.exec(stdout)?.[1]);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(2e-2); // fp16 data and Winograd-domain storage; NaN fails here too
    expect(stdout).toMatch(/^time {7}\d+\.\d+ ms median of 2/m);
    expect(stderr).toMatch(/running N=1 C=8 K=16 13x13/); // progress goes to stderr, not stdout
  });

  it('conv --json is one JSON document with the result and the error figure', () => {
    const { status, stdout, stderr } = nova('conv', '--backend', 'cpu', '--c', '4', '--k', '4', '--hw', '10', '--stride', '2', '--runs', '1', '--json');
    expect(status, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.result).toMatchObject({ backend: 'cpu', algorithm: 'direct' });
    expect(report.result.reason).toMatch(/stride/);
    expect(report.relError).toBeLessThan(2e-3); // fp16 output rounding only
    expect(report.timesMs).toHaveLength(1);
  });

  it('demo (npm start) runs the ResNet-50 layers on the best backend, says which, with errors vs float64', () => {
    const { status, stdout, stderr } = nova('demo', '--runs', '1');
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^NOVA demo on (cpu|cuda|hip)\b.*auto chose/m);
    const rows = stdout.split('\n').filter((line) => line.startsWith('ResNet-50 ') && !line.includes('compensated'));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [, algorithm, error] = /\)\s+(\S+)\s+(\S+)/.exec(row)!;
      expect(algorithm).toMatch(/^(winograd-f[2468]|direct)$/);
      expect(Number(error)).toBeGreaterThan(0);
      expect(Number(error)).toBeLessThan(2e-2);
    }
    const [, compensated, plain] = /compensated storage \(fp16 hi \+ lo\): error (\S+) \(plain fp16 (\S+)\)/.exec(stdout) ?? [];
    expect(Number(compensated)).toBeLessThan(Number(plain) / 4); // the hi + lo residual recovers most of the rounding
    expect(stderr).toMatch(/nova demo: done in/);
  });

  describe('bad command lines exit with code 2 and say why on stderr', () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['conv', '--bogus'], /unknown flag --bogus for 'nova conv'/],
      [['conv', '--n', '0'], /--n must be between 1 and 4096, got 0/],
      [['conv', '--n', 'abc'], /--n must be an integer, got 'abc'/],
      [['conv', '--hw', '2.5'], /--hw must be an integer, got '2.5'/],
      [['conv', '--algo', 'winograd-f5'], /--algo must be one of auto, winograd-f6, .*got 'winograd-f5'/],
      [['conv', '--c'], /--c needs a value/],
      [['conv', '--relu=maybe'], /--relu takes no value or true\/false/],
      [['conv', 'extra'], /unexpected argument 'extra'/],
      [['gen', '--json', '--target', 'miopen'], /--json and --target miopen exclude each other/],
    ];
    it.each(cases)('nova %j', (args, message) => {
      const { status, stdout, stderr } = nova(...args);
      expect(status).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
    });
  });

  it('asking for a backend that is not here fails with its reason (exit 1)', async () => {
    const { backends } = await import('../../src-ts/index.js');
    const missing = (await backends()).find((b) => !b.available);
    if (!missing) return; // every backend present: nothing to refuse
    const { status, stderr } = nova('conv', '--backend', missing.kind, '--c', '4', '--k', '4', '--hw', '8');
    expect(status).toBe(1);
    expect(stderr).toMatch(new RegExp(`^nova conv: E_BACKEND_UNAVAILABLE: backend '${missing.kind}' is not available: \\S`, 'm'));
  });
});
