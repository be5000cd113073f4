// Without a GPU (this CI machine) or without the vendor library, bench() still resolves to a valid report whose rows
// say what was unavailable and why; nothing crashes and no number is invented.
import { describe, expect, it } from 'vitest';

import { bench } from '../../src-ts/bench/run.js';
import { loadBenchNative } from '../../src-ts/bench/native.js';
import { reportJson, validateReport } from '../../src-ts/bench/report-json.js';
import { reportMarkdown } from '../../src-ts/bench/report-markdown.js';
import { reportSvg } from '../../src-ts/bench/report-svg.js';

describe('bench without a GPU', () => {
  it('reports every row as no-gpu with the reason, and a valid, number-free report', async () => {
    const report = await bench({ suites: ['sd15'], layers: ['1280x8'], batches: [1, 8], progress: false, native: null });
    expect(report.rows).toHaveLength(2 * 5);
    for (const row of report.rows) {
      expect(row.status).toBe('no-gpu');
      expect(row.note).toBe('no GPU addon (disabled by the caller)');
      expect(row.vendor_algo).toBe('unavailable: no GPU addon (disabled by the caller)');
      for (const v of [row.ours_us, row.vendor_us, row.speedup, row.rel_err, row.vendor_rel_err, row.e2e_us, row.tflops]) expect(v).toBeNull();
    }
    expect(report.header.vendor.available).toBe(false);
    expect(report.header.card).toBeNull();
    expect(validateReport(JSON.parse(reportJson(report)))).toEqual([]);
    expect(reportMarkdown(report)).toContain('no-gpu: no GPU addon');
    expect(reportSvg(report)).toContain('batch 8: not measured');
  });

  it('with the real loader on this machine: a reason instead of a crash', async () => {
    const loaded = loadBenchNative();
    if (!loaded.ok) expect(loaded.reason).toMatch(/\S/);
    const report = await bench({ suites: ['resnet50'], layers: ['512x7'], batches: [1], e2eReps: 0, reps: 3, progress: false });
    expect(validateReport(JSON.parse(reportJson(report)))).toEqual([]);
    if (!report.header.vendor.available) expect(report.header.vendor.reason).toMatch(/\S/);
    for (const row of report.rows) {
      if (row.status !== 'ok') expect(row.note).toMatch(/\S/);
      if (row.vendor_us === null) expect(row.vendor_algo).toMatch(/^(unavailable|failed|not run): \S/);
    }
  });

  it('the vendor missing while our kernels run: vendor columns empty with the loader message', async () => {
    const report = await bench({
      suites: ['resnet50'],
      layers: ['512x7'],
      batches: [1],
      algorithms: ['winograd-f6'],
      reps: 3,
      samples: 64,
      progress: false,
      endToEnd: null,
      native: {
        platform: 'cuda',
        deviceInfo: () => ({ name: 'Fake GPU' }),
        vendorInfo: () => ({ library: 'cudnn', available: false, reason: 'dlopen("libcudnn.so.9") failed: libcudnn.so.9: cannot open shared object file' }),
        async benchConv(args) {
          return {
            rotation: 1,
            bytesPerSet: 0,
            l2Bytes: 0,
            results: args.targets.map((label) =>
              label === 'vendor'
                ? { label, ok: false, unsupported: false, reason: 'dlopen("libcudnn.so.9") failed', algorithm: '', mode: '' as const, callsPerReplay: 0, timesUs: new Float64Array(), prepareUs: 0, workspaceBytes: 0, nonFinite: 0, samples: new Uint16Array() }
                : { label, ok: true, unsupported: false, algorithm: 'fused', mode: 'events' as const, callsPerReplay: 1, timesUs: Float64Array.of(3, 4, 5), prepareUs: 1, workspaceBytes: 0, nonFinite: 2, samples: new Uint16Array(args.samples.length).fill(0x7e00) },
            ),
          };
        },
      },
    });
    const row = report.rows[0]!;
    expect(row.ours_us).toBe(4);
    expect(row.vendor_us).toBeNull();
    expect(row.speedup).toBeNull();
    expect(row.vendor_algo).toBe('unavailable: dlopen("libcudnn.so.9") failed: libcudnn.so.9: cannot open shared object file');
    // NaN outputs never pass: the relative error is NaN (null in JSON) and the note counts them
    expect(Number.isNaN(row.rel_err)).toBe(true);
    expect(row.note).toContain('2 non-finite outputs');
    expect(JSON.parse(reportJson(report)).rows[0].rel_err).toBeNull();
  });
});
