/**
 * `nova upscale` and `nova serve` as built commands (dist/cli/nova.js): usage errors, the install hint without the
 * weights, and — with @upscalerjs/esrgan-thick installed or NOVA_ESRGAN_PATH set — a real ×4 run on the CPU
 * backend and a served request, with the CPU saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { esrganAvailable } from '../../src-ts/models/esrgan/esrgan.js';
import { decodePng, encodePng } from '../../src-ts/models/esrgan/image.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'nova.js');
const work = mkdtempSync(join(tmpdir(), 'nova-upscale-'));

function nova(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function writeImage(name: string, width: number, height: number): string {
  const path = join(work, name);
  writeFileSync(path, encodePng({ width, height, data: Float32Array.from({ length: width * height * 3 }, (_, i) => ((i * 29) % 256) / 255) }));
  return path;
}

describe('nova upscale / serve: command line', () => {
  it('usage errors exit 2 with a hint', () => {
    expect(nova(['upscale', 'only-one.png']).status).toBe(2);
    const scale = nova(['upscale', 'a.png', 'b.png', '--scale', '5']);
    expect(scale.status).toBe(2);
    expect(scale.stderr).toMatch(/--scale must be 2, 3, 4 or 8/);
  });

  it('without the weights, says how to install them (exit 1)', () => {
    const input = writeImage('in.png', 4, 4);
    const empty = mkdtempSync(join(tmpdir(), 'nova-no-weights-'));
    const run = nova(['upscale', input, join(work, 'out.png'), '--model', empty]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/E_BACKEND_UNAVAILABLE: ESRGAN x4 weights not found; install the weights with `npm install @upscalerjs\/esrgan-thick`/);
  });

  it('a bad input image is a clear error (exit 1), not a crash', () => {
    writeFileSync(join(work, 'bad.png'), 'not a png');
    const run = nova(['upscale', join(work, 'bad.png'), join(work, 'out.png')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/E_ARG: not a valid PNG image/);
  });
});

describe.skipIf(!esrganAvailable(4))(
  `nova upscale / serve with the published weights${esrganAvailable(4) ? '' : ' — skipped: `npm install @upscalerjs/esrgan-thick` or set NOVA_ESRGAN_PATH'}`,
  () => {
    it('upscales ×4 on the CPU backend and says so, with stage times', () => {
      const input = writeImage('small.png', 10, 7);
      const output = join(work, 'small-x4.png');
      const run = nova(['upscale', input, output, '--backend', 'cpu', '--json']);
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/cpu backend \(nova_cpu\.node.*no GPU, this is slow/);
      const report = JSON.parse(run.stdout);
      expect(report).toMatchObject({ backend: 'cpu', output: { width: 40, height: 28 }, tiles: 1 });
      expect(Object.keys(report.stagesMs)).toEqual(['decode', 'load', 'inference', 'encode', 'write']);
      const image = decodePng(readFileSync(output));
      expect([image.width, image.height]).toEqual([40, 28]);
    });

    it('serves a request and shuts down cleanly on SIGTERM', async () => {
      const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--backend', 'cpu', '--quiet'], { cwd: work });
      try {
        const url = await new Promise<string>((resolveUrl, reject) => {
          let text = '';
          child.stdout.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            const match = /listening on (http:\/\/\S+) /.exec(text);
            if (match) resolveUrl(match[1]);
          });
          child.once('exit', (code) => reject(new Error(`nova serve exited early with ${code}`)));
        });
        const res = await fetch(`${url}/upscale`, { method: 'POST', body: readFileSync(writeImage('req.png', 6, 5)) });
        expect(res.status).toBe(200);
        expect(res.headers.get('x-nova-backend')).toBe('cpu');
        const image = decodePng(new Uint8Array(await res.arrayBuffer()));
        expect([image.width, image.height]).toEqual([24, 20]);
      } finally {
        const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    });
  },
);
