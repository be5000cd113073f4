/** Markdown report: what was measured and how, a summary per suite × batch, then one table per suite × batch. */
import { writeFileSync } from 'node:fs';

import { summarize } from './summary.js';
import type { BenchReport, BenchRow } from './types.js';

export function fmtUs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v < 100 ? v.toFixed(1) : v.toFixed(0);
}
export function fmtRatio(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`;
}
function fmtErr(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : Number.isFinite(v) ? v.toExponential(1) : 'NaN';
}
function fmtNum(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function reportMarkdown(report: BenchReport): string {
  const h = report.header;
  const hasPeer = report.rows.some((r) => r.peer_torch_eager_us !== undefined);
  const vendorName = h.vendor.library === 'cudnn' ? 'cuDNN' : h.vendor.library === 'miopen' ? 'MIOpen' : 'vendor';
  const lines: string[] = [];
  lines.push(`# NOVA bench: ours vs ${vendorName}${hasPeer ? ' (and the PyTorch peer)' : ''}`, '');
  lines.push(`- card: ${h.card ?? 'none'}; driver ${h.driver ?? '?'}; runtime ${h.runtime ?? '?'}; platform ${h.platform ?? 'none'}`);
  lines.push(
    `- vendor: ${h.vendor.library} ${h.vendor.version ?? ''}${h.vendor.available ? '' : ` — unavailable: ${h.vendor.reason ?? ''}`}`,
  );
  lines.push(`- date ${h.date}; git ${h.git_commit ?? 'unknown'}; node ${h.node}`);
  const o = h.options;
  lines.push(
    `- ${o.layout.toUpperCase()} fp16, batches ${o.batches.join(', ')}; warm-up ${o.warmup}, ${o.reps} reps, graph ${o.graph ? 'on' : 'off'}, ` +
      `rotation ${o.rotate || 'auto (≥ 3× L2)'}, ${o.samples} sampled outputs, seed ${o.seed}, e2e reps ${o.e2e_reps}`,
  );
  if (h.peer) lines.push(`- peer: PyTorch ${h.peer.torch ?? '?'} (cuDNN ${h.peer.cudnn ?? '?'}) on ${h.peer.device ?? '?'} — a framework for context, not our code`);
  lines.push('', `Timing: ${h.timing_method}`, '', `Accuracy: ${h.accuracy_convention}`, '');
  lines.push('Times in µs (median; GPU time unless marked e2e). speedup = vendor / ours (> 1: ours faster).', '');

  lines.push('## Summary (geometric mean of speedup over layers)', '');
  lines.push('| suite | batch | layers | auto | best of ours | layers where auto loses |', '|---|---|---|---|---|---|');
  for (const s of summarize(report.rows)) {
    lines.push(`| ${s.suite} | ${s.batch} | ${s.layers} | ${fmtRatio(s.auto_speedup)} | ${fmtRatio(s.best_speedup)} | ${s.auto_losses.join(', ') || '–'} |`);
  }
  lines.push('');

  const groups = new Map<string, BenchRow[]>();
  for (const r of report.rows) groups.set(`${r.suite} · batch ${r.batch}`, [...(groups.get(`${r.suite} · batch ${r.batch}`) ?? []), r]);
  for (const [title, rows] of groups) {
    lines.push(`## ${title}`, '');
    const peerCols = hasPeer ? ' torch eager | torch GPU | torch.compile |' : '';
    lines.push(
      `| layer | C→K | H×W | algo | ours | p10–p90 | ${vendorName} | ${vendorName} algo | speedup | TFLOP/s | GB/s | rel err | ${vendorName} rel err | e2e |${peerCols} note |`,
    );
    lines.push(`|${'---|'.repeat(14 + (hasPeer ? 3 : 0) + 1)}`);
    for (const r of rows) {
      const algo = r.algo === 'auto' && r.algo_ran ? `auto → ${r.algo_ran}` : r.algo;
      const peer = hasPeer ? ` ${fmtUs(r.peer_torch_eager_us)} | ${fmtUs(r.peer_torch_graph_us)} | ${fmtUs(r.peer_torch_compile_us)} |` : '';
      lines.push(
        `| ${r.layer} | ${r.c}→${r.k} | ${r.h}×${r.w} | ${algo} | ${fmtUs(r.ours_us)} | ${r.ours_us === null ? '–' : `${fmtUs(r.ours_p10_us)}–${fmtUs(r.ours_p90_us)}`} | ` +
          `${fmtUs(r.vendor_us)} | ${esc(r.vendor_algo)} | ${fmtRatio(r.speedup)} | ${fmtNum(r.tflops)} | ${fmtNum(r.bandwidth_gbs)} | ` +
          `${fmtErr(r.rel_err)} | ${fmtErr(r.vendor_rel_err)} | ${fmtUs(r.e2e_us)} |${peer} ${esc(r.status === 'ok' ? r.note ?? '' : `${r.status}: ${r.note ?? ''}`)} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

export function writeMarkdown(report: BenchReport, path: string): void {
  writeFileSync(path, reportMarkdown(report));
}
