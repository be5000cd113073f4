/** The float64 direct convolution of the CPU addon, as the yardstick for `nova conv` / `nova demo`. */
import { loadAddon } from '../binding/load.js';
import type { LayerSpec } from './layer.js';

/** The slice of the CPU addon's surface (docs/architecture.md § CPU addon) the reference needs. */
interface CpuNative {
  conv2d(args: Record<string, unknown>): Promise<unknown>;
}

export type ReferenceResult = { ok: true; output: Float64Array } | { ok: false; reason: string };

/** `input` in the spec's layout, `filter` in KCRS order, both float64; output in the spec's layout. */
export async function referenceConv(
  spec: LayerSpec,
  input: Float64Array,
  filter: Float64Array,
  bias: Float64Array | null,
): Promise<ReferenceResult> {
  const cpu = loadAddon<CpuNative>('nova_cpu');
  if (!cpu.ok) return { ok: false, reason: `CPU addon unavailable: ${cpu.reason}` };
  const outH = Math.floor((spec.h + 2 * spec.pad - spec.r) / spec.stride) + 1;
  const outW = Math.floor((spec.w + 2 * spec.pad - spec.r) / spec.stride) + 1;
  const output = new Float64Array(spec.n * spec.k * outH * outW).fill(Number.NaN);
  await cpu.addon.conv2d({
    input,
    filter,
    bias,
    output,
    n: spec.n,
    c: spec.c,
    h: spec.h,
    w: spec.w,
    k: spec.k,
    r: spec.r,
    s: spec.r,
    padH: spec.pad,
    padW: spec.pad,
    strideH: spec.stride,
    strideW: spec.stride,
    dilationH: 1,
    dilationW: 1,
    layout: spec.layout,
    relu: spec.relu,
    algorithm: 'direct',
    m: 6,
    storage: 'exact',
  });
  return { ok: true, output };
}
