// The bench harness on the CPU: a fake native stands in for the GPU addon (it answers with exact outputs, rounded to
// fp16, at the sampled positions), so the orchestration, the JSON schema, the markdown and the SVG writers are
// checked on real numbers without a GPU.
import { describe, expect, it } from 'vitest';

import { bench } from '../../src-ts/bench/run.js';
import { concatReports, reportJson, validateReport } from '../../src-ts/bench/report-json.js';
import { reportMarkdown } from '../../src-ts/bench/report-markdown.js';
import { reportSvg } from '../../src-ts/bench/report-svg.js';
import { mergePeer } from '../../src-ts/bench/peer.js';
import { summarize } from '../../src-ts/bench/summary.js';
import type { BenchConvArgs, BenchNative, BenchTargetResult } from '../../src-ts/bench/native.js';
import type { EndToEnd } from '../../src-ts/bench/e2e.js';
import { referenceAt } from '../../src-ts/bench/data.js';
import { toHalfBits } from '../../src-ts/util/fp16.js';

/** GPU times in µs a fake card would give: vendor 10, F6 5, F4 6, F2 8, direct 20; F8 "not built". */
const FAKE_US: Record<string, number> = { vendor: 10, 'winograd-f6': 5, 'winograd-f4': 6, 'winograd-f2': 8, direct: 20 };

function fakeNative(calls: BenchConvArgs[], l2Bytes = 1000): BenchNative {
  return {
    platform: 'cuda',
    deviceInfo: () => ({ name: 'Fake H100', driverVersion: '13.0', runtimeVersion: '13.0' }),
    vendorInfo: () => ({ library: 'cudnn', available: true, version: '9.19.0' }),
    async benchConv(args) {
      calls.push(args);
      const ref = referenceAt({ ...args }, args.samples);
      const exact = Uint16Array.from(ref, (v) => toHalfBits(v));
      const results: BenchTargetResult[] = args.targets.map((label) => {
        const us = FAKE_US[label];
        if (us === undefined) {
          return { label, ok: false, unsupported: true, reason: 'F(8,3) is not built', algorithm: '', mode: '', callsPerReplay: 0, timesUs: new Float64Array(), prepareUs: 0, workspaceBytes: 0, nonFinite: 0, samples: new Uint16Array() };
        }
        const timesUs = Float64Array.from({ length: args.reps }, (_, i) => us * (1 + 0.01 * (i % 5)));
        const vendor = label === 'vendor';
        const selection = vendor ? '3 candidates; finalists, fastest of 3 rounds of 10 calls: IMPLICIT_PRECOMP_GEMM tensor-op 9.9 us' : undefined;
        return { label, ok: true, unsupported: false, algorithm: vendor ? 'IMPLICIT_PRECOMP_GEMM tensor-op' : `fused ${label}`, selection, mode: 'graph', callsPerReplay: 20, timesUs, prepareUs: label === 'vendor' ? 0 : 3, workspaceBytes: 0, nonFinite: 0, samples: exact };
      });
      return { rotation: 4, bytesPerSet: 1000, l2Bytes, results };
    },
  };
}

const fakeE2e: EndToEnd = {
  async measure(_d, algorithm, reps) {
    return { timesUs: Array.from({ length: reps }, () => 40), algorithm: algorithm === 'auto' ? 'winograd-f4' : algorithm, path: 'fake', reason: 'fake heuristic' };
  },
  dispose() {},
};

describe('bench() with a fake GPU native', async () => {
  const calls: BenchConvArgs[] = [];
  const report = await bench({
    suites: ['resnet50', 'esrgan'],
    layers: ['512x7', '64-32x128'],
    batches: [1, 2],
    algorithms: ['winograd-f6', 'winograd-f4', 'winograd-f8', 'direct', 'auto'],
    reps: 7,
    samples: 256,
    e2eReps: 5,
    progress: false,
    native: fakeNative(calls),
    endToEnd: fakeE2e,
  });

  it('produces one row per layer × batch × algorithm, with the vendor in the same call', () => {
    expect(report.rows).toHaveLength(2 * 2 * 5);
    expect(calls).toHaveLength(4);
    for (const c of calls) expect(c.targets).toEqual(expect.arrayContaining(['vendor', 'winograd-f6', 'winograd-f4', 'direct']));
    expect(calls[0]!.input.length).toBe(1 * 512 * 7 * 7);
    expect(calls[0]!.filter.length).toBe(512 * 9 * 512);
  });

  it('fills times, speedup, TFLOP/s, bandwidth and accuracy from what the native returned', () => {
    const row = report.rows.find((r) => r.suite === 'resnet50' && r.batch === 2 && r.algo === 'winograd-f6')!;
    expect(row.status).toBe('ok');
    expect(row.ours_us).toBeCloseTo(5 * 1.01, 6); // median of 5·{1,1.01,1.02,1.03,1.04,1,1.01}
    expect(row.vendor_us).toBeCloseTo(10 * 1.01, 6);
    expect(row.speedup).toBeCloseTo(2, 6);
    expect(row.tflops).toBeCloseTo((2 * 2 * 512 * 512 * 7 * 7 * 9) / (5.05 * 1e6), 6);
    expect(row.bandwidth_gbs).toBeCloseTo((2 * (2 * 512 * 49 * 2 + 512 * 512 * 9)) / (5.05 * 1e3), 6);
    // exact outputs rounded to fp16: relative error of fp16 rounding, far below 1e-3, and never zero
    expect(row.rel_err).toBeGreaterThan(0);
    expect(row.rel_err).toBeLessThan(5e-4);
    expect(row.vendor_rel_err).toBe(row.rel_err);
    expect(row.vendor_algo).toBe('IMPLICIT_PRECOMP_GEMM tensor-op');
    expect(row.vendor_selection).toContain('finalists, fastest of 3 rounds');
    expect(row.timing).toBe('graph×20');
    expect(row.e2e_us).toBe(40);
    expect(row.prepare_us).toBe(3);
    expect(row.rotation_bytes).toBe(4 * 1000); // the sets the calls cycle through × bytes of a set
    expect(row.note ?? '').not.toContain('3× L2');
  });

  it('says so on every row where the rotation is less than 3× L2', async () => {
    const small = await bench({
      suites: ['resnet50'],
      layers: ['512x7'],
      batches: [1],
      algorithms: ['winograd-f6'],
      reps: 3,
      samples: 16,
      e2eReps: 0,
      progress: false,
      native: fakeNative([], 2000), // 4 sets × 1000 bytes against 3 × 2000
      endToEnd: fakeE2e,
    });
    expect(small.rows).toHaveLength(1);
    expect(small.rows[0]!.note).toContain('less than 3× L2');
  });

  it("reports what 'auto' chose and what cannot run, with the reason", () => {
    const auto = report.rows.find((r) => r.algo === 'auto')!;
    expect(auto.algo_ran).toBe('winograd-f4');
    expect(auto.speedup).toBeCloseTo(10 / 6, 6);
    const f8 = report.rows.find((r) => r.algo === 'winograd-f8')!;
    expect(f8.status).toBe('unsupported');
    expect(f8.note).toContain('F(8,3) is not built');
    expect(f8.ours_us).toBeNull();
  });

  it('writes JSON that validates against the nova-bench/1 schema, with the header facts', () => {
    const doc = JSON.parse(reportJson(report));
    expect(validateReport(doc)).toEqual([]);
    expect(doc.header.card).toBe('Fake H100');
    expect(doc.header.vendor).toEqual({ library: 'cudnn', available: true, version: '9.19.0' });
    expect(doc.header.schema).toBe('nova-bench/1');
    // vendor_selection is optional (reports before it validate) but typed where present
    delete doc.rows[0].vendor_selection;
    expect(validateReport(doc)).toEqual([]);
    doc.rows[1].vendor_selection = 7.5;
    expect(validateReport(doc)).toEqual(['rows[1].vendor_selection should be string or null but is number']);
    expect(doc.header.suites.map((s: { suite: string }) => s.suite)).toEqual(['resnet50', 'esrgan']);
    expect(doc.header.git_commit === null || /^[0-9a-f]{40}$/.test(doc.header.git_commit)).toBe(true);
  });

  it('the schema check names what is wrong', () => {
    const doc = JSON.parse(reportJson(report));
    delete doc.rows[0].vendor_us;
    doc.rows[1].speedup = 'fast';
    doc.rows[2].status = 'great';
    doc.header.schema = 'other';
    const errors = validateReport(doc);
    expect(errors).toContain('rows[0].vendor_us is missing');
    expect(errors).toContain('rows[1].speedup should be number or null but is string');
    expect(errors).toContain('rows[2].status is "great", not one of ok, unsupported, error, no-gpu');
    expect(errors).toContain('header.schema is not "nova-bench/1"');
    expect(validateReport(null)).toEqual(['report is not an object']);
  });

  it('summarizes geomean speedups per suite and batch', () => {
    const s = summarize(report.rows);
    expect(s).toHaveLength(4);
    for (const x of s) {
      expect(x.auto_speedup).toBeCloseTo(10 / 6, 6);
      expect(x.best_speedup).toBeCloseTo(2, 6);
      expect(x.auto_losses).toEqual([]);
    }
  });

  it('renders markdown with the header, the summary and one table per suite × batch', () => {
    const md = reportMarkdown(report);
    expect(md).toContain('# NOVA bench: ours vs cuDNN');
    expect(md).toContain('card: Fake H100');
    expect(md).toContain('| resnet50 | 1 | 1 | 1.67× | 2.00× | – |');
    expect(md).toContain('## esrgan · batch 2');
    expect(md).toMatch(/\| 512x7 \| 512→512 \| 7×7 \| winograd-f6 \| 5\.0 \| 5\.0–5\.2 \| 10\.1 \| IMPLICIT_PRECOMP_GEMM tensor-op \| 2\.00× \|/);
    expect(md).toContain('auto → winograd-f4');
    expect(md).toContain('unsupported: F(8,3) is not built');
    // every table row has as many cells as its header
    for (const block of md.split('\n\n').filter((b) => b.startsWith('| layer'))) {
      const [head, , ...body] = block.split('\n');
      for (const line of body) expect(line.split(' | ').length).toBe(head!.split(' | ').length);
    }
  });

  it('draws an SVG bar chart with one bar per layer × batch and the 1× rule', () => {
    const svg = reportSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4);
    expect(svg).toContain('resnet50 512x7 batch 2: 1.67×');
    expect(svg).toContain('stroke="#000"');
    expect(svg).toContain('Speedup over cuDNN 9.19.0 (auto)');
    // well-formed enough for a browser: balanced tags
    const opens = (svg.match(/<(rect|text|line|title|svg)\b[^>]*?(?<!\/)>/g) ?? []).length;
    const closes = (svg.match(/<\/(rect|text|line|title|svg)>/g) ?? []).length;
    expect(opens).toBe(closes);
  });

  it('merges the PyTorch peer by suite, layer and batch', () => {
    const merged = mergePeer(report, {
      header: { torch: '2.11.0', cudnn: '91900', device: 'Fake H100' },
      rows: [{ suite: 'resnet50', layer: '512x7', batch: 1, eager_us: 41, graph_us: 12, compile_us: 13 }],
    });
    const r = merged.rows.find((x) => x.suite === 'resnet50' && x.batch === 1)!;
    expect([r.peer_torch_eager_us, r.peer_torch_graph_us, r.peer_torch_compile_us]).toEqual([41, 12, 13]);
    expect(merged.rows.find((x) => x.suite === 'esrgan')!.peer_torch_eager_us).toBeNull();
    expect(validateReport(JSON.parse(reportJson(merged)))).toEqual([]);
    expect(reportMarkdown(merged)).toContain('torch.compile');
  });

  it('concatenates per-suite runs of one card and refuses to mix cards', () => {
    const a = { header: report.header, rows: report.rows.filter((r) => r.suite === 'resnet50') };
    const b = { header: { ...report.header, suites: [report.header.suites[1]!] }, rows: report.rows.filter((r) => r.suite === 'esrgan') };
    const both = concatReports([a, b]);
    expect(both.rows).toHaveLength(report.rows.length);
    expect(both.header.suites.map((s) => s.suite)).toEqual(['resnet50', 'esrgan']);
    // One process per batch (run-on-device.sh): the header names every batch, not the first run's.
    const byBatch = (batch: number) => ({
      header: { ...report.header, options: { ...report.header.options, batches: [batch] } },
      rows: report.rows.filter((r) => r.batch === batch),
    });
    expect(concatReports([byBatch(2), byBatch(1)]).header.options.batches).toEqual([1, 2]);
    expect(reportMarkdown(concatReports([byBatch(2), byBatch(1)]))).toContain('batches 1, 2;');
    expect(() => concatReports([a, { ...b, header: { ...b.header, card: 'Other GPU' } }])).toThrow(/one card and commit/);
  });
});
