/**
 * `nova points` and `nova numerics` from the built CLI (dist/cli/nova.js, built by `npm test`'s ensure-built
 * step): JSON on stdout, exact points, a measured error next to the model's.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'nova.js');

function nova(...args: string[]) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('nova points / nova numerics', () => {
  it('points --json: a seeded search reports the best sets with measured and modelled error', () => {
    const run = nova('points', '--m', '4', '--budget', '60', '--max-den', '4', '--keep', '2', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.evaluations).toBeLessThanOrEqual(60);
    expect(result.best).toHaveLength(2);
    const best = result.best[0];
    expect(best.points).toHaveLength(5);
    expect(best.measured).toBeGreaterThan(1e-4);
    expect(best.measured).toBeLessThan(4e-3);
    expect(best.measured / best.modelled).toBeGreaterThan(0.5);
    expect(best.measured / best.modelled).toBeLessThan(2);
    expect(nova('points', '--m', '4', '--budget', '60', '--max-den', '4', '--keep', '2', '--json').stdout).toBe(run.stdout);
  });

  it('numerics --json: the default F(6,3) on N(0,1) data, with per-stage counts and no Inf/NaN', () => {
    const run = nova('numerics', '--m', '6', '--channels', '32', '--size', '12', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.points).toEqual(['0', '1', '-1', '2', '-2', '1/2', '-1/2']);
    expect(result.measured.relError).toBeGreaterThan(3e-3);
    expect(result.measured.relError).toBeLessThan(9e-3);
    for (const stage of Object.values(result.measured.stages) as { counts: { count: number; inf: number; nan: number } }[]) {
      expect(stage.counts.count).toBeGreaterThan(0);
      expect(stage.counts.inf + stage.counts.nan).toBe(0);
    }
  });

  it('numerics rejects repeated points with a clear error and exit code 1', () => {
    const run = nova('numerics', '--m', '4', '--points', '0,1,1,2,-2');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/distinct points/);
  });
});
