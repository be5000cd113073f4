/**
 * Minimal SVG charts for docs/numerics.md (no plotting dependency): log-scale y, lines or points per series,
 * optional reference lines. Output is deterministic text, so regenerated plots diff cleanly.
 */

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Draw points only (scatter) instead of a polyline with markers. */
  readonly scatter?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logX?: boolean;
  /** Horizontal reference lines (e.g. targets). */
  readonly hLines?: readonly { y: number; label: string }[];
  /** Lines y = factor·x (log-log scatter: agreement and 2× bands); listed in the legend unless the label is empty. */
  readonly diagonals?: readonly { factor: number; label: string }[];
  /** Fixed x ticks (linear axis). */
  readonly xTicks?: readonly number[];
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 170, top: 36, bottom: 48 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(x: number): string {
  return Number(x.toFixed(1)).toString();
}

function decadeLabel(e: number): string {
  return e === 0 ? '1' : `1e${e}`;
}

export function renderChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && y > 0);
  const ys = [...all.map(([, y]) => y), ...(spec.hLines ?? []).map((h) => h.y)];
  const xs = all.map(([x]) => x);
  const yLo = Math.floor(Math.log10(Math.min(...ys)));
  const yHi = Math.ceil(Math.log10(Math.max(...ys)));
  const tx = (x: number) => (spec.logX ? Math.log10(x) : x);
  let xLo = Math.min(...xs.map(tx));
  let xHi = Math.max(...xs.map(tx));
  if (spec.logX) {
    xLo = Math.min(Math.floor(xLo), yLo);
    xHi = Math.max(Math.ceil(xHi), yHi);
  } else {
    const pad = (xHi - xLo) * 0.08 || 1;
    xLo -= pad;
    xHi += pad;
  }
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((tx(x) - xLo) / (xHi - xLo)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - (Math.log10(y) - yLo) / (yHi - yLo)) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${WIDTH / 2 - MARGIN.right / 2}" y="20" text-anchor="middle" font-size="14">${esc(spec.title)}</text>`);
  // y grid: decades
  for (let e = yLo; e <= yHi; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y + 4)}" text-anchor="end">${decadeLabel(e)}</text>`);
  }
  const xTicks = spec.logX
    ? Array.from({ length: xHi - xLo + 1 }, (_, i) => 10 ** (xLo + i))
    : (spec.xTicks ?? []);
  for (const x of xTicks) {
    const X = px(x);
    out.push(`<line x1="${fmt(X)}" x2="${fmt(X)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    const label = spec.logX ? decadeLabel(Math.round(Math.log10(x))) : String(x);
    out.push(`<text x="${fmt(X)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  const clip = `<clipPath id="plot"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/></clipPath>`;
  out.push(clip);
  for (const d of spec.diagonals ?? []) {
    const a = 10 ** xLo;
    const b = 10 ** xHi;
    out.push(`<line clip-path="url(#plot)" x1="${fmt(px(a))}" y1="${fmt(py(a * d.factor))}" x2="${fmt(px(b))}" y2="${fmt(py(b * d.factor))}" stroke="#999" stroke-dasharray="${d.factor === 1 ? '' : '4 3'}"/>`);
  }
  for (const h of spec.hLines ?? []) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(py(h.y))}" y2="${fmt(py(h.y))}" stroke="#555" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${MARGIN.left + 4}" y="${fmt(py(h.y) - 4)}" fill="#555">${esc(h.label)}</text>`);
  }
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(y) && y > 0 && Number.isFinite(x));
    if (!s.scatter && pts.length > 1) {
      const path = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${fmt(px(x))} ${fmt(py(y))}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const [x, y] of pts) out.push(`<circle cx="${fmt(px(x))}" cy="${fmt(py(y))}" r="3.5" fill="${color}"/>`);
    const ly = MARGIN.top + 12 + i * 18;
    out.push(`<circle cx="${MARGIN.left + plotW + 14}" cy="${ly - 4}" r="4" fill="${color}"/>`);
    out.push(`<text x="${MARGIN.left + plotW + 24}" y="${ly}">${esc(s.name)}</text>`);
  });
  (spec.diagonals ?? []).filter((d) => d.label).forEach((d, i) => {
    const ly = MARGIN.top + 12 + (spec.series.length + i) * 18;
    const x = MARGIN.left + plotW + 8;
    out.push(`<line x1="${x}" x2="${x + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="#999" stroke-dasharray="${d.factor === 1 ? '' : '4 3'}"/>`);
    out.push(`<text x="${x + 16}" y="${ly}" fill="#555">${esc(d.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
