/**
 * SVG chart of speedup over the vendor per layer and batch (horizontal bars, log₂ axis, a rule at 1×), drawn by
 * our own code: no plotting dependency. Bars are the 'auto' rows (what users get), or the best of our explicit
 * algorithms when 'auto' did not run.
 */
import { writeFileSync } from 'node:fs';

import type { BenchReport, BenchRow } from './types.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Bar {
  readonly label: string;
  readonly batch: number;
  readonly speedup: number | null;
}

export function chartBars(rows: readonly BenchRow[]): { bars: Bar[]; measure: 'auto' | 'best of ours' } {
  const useAuto = rows.some((r) => r.algo === 'auto' && r.speedup !== null);
  const keys = [...new Set(rows.map((r) => `${r.suite}\u0000${r.layer}\u0000${r.batch}`))];
  const bars = keys.map((key) => {
    const [suite, layer, batch] = key.split('\u0000') as [string, string, string];
    const group = rows.filter((r) => r.suite === suite && r.layer === layer && r.batch === Number(batch));
    const candidates = group.filter((r) => (useAuto ? r.algo === 'auto' : r.algo !== 'auto') && r.speedup !== null);
    const speedup = candidates.length ? Math.max(...candidates.map((r) => r.speedup!)) : null;
    return { label: `${suite} ${layer}`, batch: Number(batch), speedup };
  });
  return { bars, measure: useAuto ? 'auto' : 'best of ours' };
}

export function reportSvg(report: BenchReport): string {
  const { bars, measure } = chartBars(report.rows);
  const labels = [...new Set(bars.map((b) => b.label))];
  const batches = [...new Set(bars.map((b) => b.batch))].sort((a, b) => a - b);
  const values = bars.map((b) => b.speedup).filter((v): v is number => v !== null && v > 0);
  const lo = Math.floor(Math.log2(Math.min(0.5, ...values)));
  const hi = Math.ceil(Math.log2(Math.max(2, ...values)));
  const barH = 12;
  const groupH = batches.length * barH + 8;
  const left = 170;
  const plotW = 560;
  const top = 58;
  const width = left + plotW + 30;
  const height = top + labels.length * groupH + 40;
  const x = (v: number) => left + ((Math.log2(v) - lo) / (hi - lo)) * plotW;
  const h = report.header;
  const vendor = h.vendor.library === 'cudnn' ? 'cuDNN' : h.vendor.library === 'miopen' ? 'MIOpen' : 'vendor';
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${xml(`Speedup over ${vendor} ${h.vendor.version ?? ''} (${measure}), GPU time`)}</text>`,
    `<text x="${left}" y="34" fill="#555">${xml(`${h.card ?? 'no GPU'} · ${h.options.layout.toUpperCase()} fp16 · ${h.date.slice(0, 10)} · git ${(h.git_commit ?? '?').slice(0, 8)}`)}</text>`,
  );
  batches.forEach((b, i) => {
    const lx = left + i * 90;
    out.push(`<rect x="${lx}" y="42" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`, `<text x="${lx + 14}" y="51">batch ${b}</text>`);
  });
  for (let e = lo; e <= hi; e++) {
    const gx = x(2 ** e).toFixed(1);
    const label = e >= 0 ? `${2 ** e}×` : `1/${2 ** -e}×`;
    out.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="${e === 0 ? '#000' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${height - 16}" text-anchor="middle">${label}</text>`,
    );
  }
  labels.forEach((label, li) => {
    const gy = top + li * groupH;
    out.push(`<text x="${left - 6}" y="${gy + (batches.length * barH) / 2 + 4}" text-anchor="end">${xml(label)}</text>`);
    batches.forEach((b, bi) => {
      const bar = bars.find((v) => v.label === label && v.batch === b);
      const y = gy + bi * barH;
      if (!bar || bar.speedup === null) {
        out.push(`<text x="${x(1) + 4}" y="${y + barH - 3}" fill="#999">batch ${b}: not measured</text>`);
        return;
      }
      const x0 = x(1);
      const x1 = x(bar.speedup);
      out.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 1}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${barH - 2}" fill="${COLORS[bi % COLORS.length]}"><title>${xml(`${label} batch ${b}: ${bar.speedup.toFixed(2)}×`)}</title></rect>`,
        `<text x="${(Math.max(x0, x1) + 3).toFixed(1)}" y="${y + barH - 3}" fill="#333">${bar.speedup.toFixed(2)}×</text>`,
      );
    });
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 2}" text-anchor="middle" fill="#555">${xml(`${vendor} time / our time (log scale; right of the black rule: ours faster)`)}</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

export function writeSvg(report: BenchReport, path: string): void {
  writeFileSync(path, reportSvg(report));
}
