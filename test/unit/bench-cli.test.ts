// `nova bench` as a command: re-rendering saved reports (--from, several concatenated), merging the PyTorch peer,
// writing the three outputs, and usage errors. No GPU needed: the reports come from bench() with no native.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import benchCommand from '../../src-ts/cli/commands/bench.js';
import { parseFlags, UsageError } from '../../src-ts/cli/command.js';
import { bench } from '../../src-ts/bench/run.js';
import { reportJson, validateReport } from '../../src-ts/bench/report-json.js';

async function runCli(argv: string[]): Promise<{ out: string[]; progress: string[]; code: number | void }> {
  const out: string[] = [];
  const progress: string[] = [];
  const { flags, positionals } = parseFlags(benchCommand, argv);
  const code = await benchCommand.run(flags, positionals, { out: (t) => out.push(t), progress: (t) => progress.push(t) });
  return { out, progress, code };
}

describe('nova bench (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-bench-cli-'));

  it('renders saved reports, concatenated, with the peer merged, into JSON, markdown and SVG', async () => {
    const a = await bench({ suites: ['resnet50'], layers: ['512x7'], batches: [1], progress: false, native: null });
    const b = await bench({ suites: ['sdxl'], layers: ['1280x32'], batches: [1], progress: false, native: null });
    writeFileSync(join(dir, 'a.json'), reportJson(a));
    writeFileSync(join(dir, 'b.json'), reportJson({ ...b, header: { ...b.header, git_commit: a.header.git_commit, date: a.header.date } }));
    writeFileSync(
      join(dir, 'peer.json'),
      JSON.stringify({ header: { torch: '2.11.0', cudnn: '91900', device: 'X' }, rows: [{ suite: 'sdxl', layer: '1280x32', batch: 1, eager_us: 77, graph_us: 49, compile_us: 80 }] }),
    );
    const files = ['out.json', 'out.md', 'out.svg'].map((f) => join(dir, f));
    const { out, code } = await runCli(['--from', `${join(dir, 'a.json')},${join(dir, 'b.json')}`, '--peer', join(dir, 'peer.json'), '--json', files[0]!, '--md', files[1]!, '--svg', files[2]!]);
    expect(code).toBe(0);
    expect(out.at(-1)).toBe(`wrote ${files.join(', ')}`);
    const doc = JSON.parse(readFileSync(files[0]!, 'utf8'));
    expect(validateReport(doc)).toEqual([]);
    expect(doc.rows.map((r: { suite: string }) => r.suite)).toEqual([...Array(5).fill('resnet50'), ...Array(5).fill('sdxl')]);
    expect(doc.rows.find((r: { suite: string }) => r.suite === 'sdxl').peer_torch_graph_us).toBe(49);
    expect(readFileSync(files[1]!, 'utf8')).toContain('## sdxl · batch 1');
    expect(readFileSync(files[2]!, 'utf8')).toContain('<svg');
  });

  it('writes and reads gzipped reports where the file name ends in .gz', async () => {
    const a = await bench({ suites: ['resnet50'], layers: ['256x14'], batches: [1], progress: false, native: null });
    writeFileSync(join(dir, 'g.json'), reportJson(a));
    const gz = join(dir, 'g.json.gz');
    await runCli(['--from', join(dir, 'g.json'), '--json', gz]);
    const bytes = readFileSync(gz);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(JSON.parse(gunzipSync(bytes).toString('utf8'))).toEqual(JSON.parse(reportJson(a)));
    const { out } = await runCli(['--from', gz]);
    expect(out.join('\n')).toContain('## resnet50 · batch 1');
  });

  it('prints markdown on stdout when no output file is named', async () => {
    const a = await bench({ suites: ['esrgan'], batches: [8], progress: false, native: null });
    writeFileSync(join(dir, 'e.json'), reportJson(a));
    const { out } = await runCli(['--from', join(dir, 'e.json')]);
    expect(out.join('\n')).toContain('## esrgan · batch 8');
  });

  it('rejects bad values as usage errors', async () => {
    await expect(runCli(['--suite', 'alexnet'])).rejects.toThrow(UsageError);
    await expect(runCli(['--batch', '1,x'])).rejects.toThrow(/--batch takes positive integers/);
    await expect(runCli(['--algo', 'winograd-f5'])).rejects.toThrow(/--algo takes/);
    writeFileSync(join(dir, 'bad.json'), '{"header":{},"rows":[]}');
    await expect(runCli(['--from', join(dir, 'bad.json')])).rejects.toThrow(/is not a nova-bench\/1 report/);
    expect(() => parseFlags(benchCommand, ['--layout', 'nchwc'])).toThrow(UsageError);
  });
});
