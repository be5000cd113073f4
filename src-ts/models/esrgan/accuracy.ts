/**
 * Per-layer accuracy: runs an image through an executor and through the float64 forward with every node's
 * output captured, and reports each node's relative error, the activation ranges (does any stored fp16 stage come
 * near 65504?) and the end-to-end PSNR. Used by `nova upscale --check` and bench/esrgan/bench-esrgan.mjs.
 */
import type { GraphExecutor } from '../../graph/executor.js';
import type { Graph } from '../../graph/graph.js';
import { CpuExecutor } from '../../graph/cpu-executor.js';
import { ReferenceExecutor } from '../../graph/reference-executor.js';
import { psnr, rangeOf, relativeError } from '../../graph/stats.js';
import type { RgbImage } from './image.js';

export const FP16_MAX = 65504;

export interface LayerAccuracy {
  readonly name: string;
  readonly op: string;
  /** ‖ours − float64‖ / ‖float64‖ of this node's output (errors of earlier nodes included). */
  readonly relErr: number;
  readonly minRef: number;
  readonly maxRef: number;
  readonly maxAbsOurs: number;
  readonly nonFinite: number;
}

export interface AccuracyReport {
  readonly reference: string;
  readonly layers: readonly LayerAccuracy[];
  readonly psnrDb: number;
  readonly relErr: number;
  readonly nonFinite: number;
  /** Largest |activation| of any node in the float64 forward, and where; compare with FP16_MAX. */
  readonly maxAbsActivation: number;
  readonly maxAbsActivationNode: string;
}

/** The float64 forward: the CPU addon when built (fast, multi-threaded), else the TypeScript reference. */
export function float64Executor(graph: Graph): GraphExecutor {
  try {
    return new CpuExecutor(graph, { dtype: 'float64' });
  } catch {
    return new ReferenceExecutor(graph, 'float64');
  }
}

export async function compareLayers(graph: Graph, executor: GraphExecutor, image: RgbImage): Promise<AccuracyReport> {
  const reference = float64Executor(graph);
  const refOutputs = new Map<string, Float64Array>();
  const refRun = await reference.run(image.data, image.height, image.width, {
    onNode: ({ node, data }) => refOutputs.set(node.name, Float64Array.from(data)),
  });
  const layers: LayerAccuracy[] = [];
  const run = await executor.run(image.data, image.height, image.width, {
    onNode: ({ node, data }) => {
      const ref = refOutputs.get(node.name)!;
      const exact = rangeOf(ref);
      const ours = rangeOf(data);
      layers.push({
        name: node.name,
        op: node.op,
        relErr: relativeError(data, ref),
        minRef: exact.min,
        maxRef: exact.max,
        maxAbsOurs: ours.maxAbs,
        nonFinite: ours.nan + ours.inf,
      });
    },
  });
  let maxAbsActivation = 0;
  let maxAbsActivationNode = '';
  for (const [name, data] of refOutputs) {
    const { maxAbs } = rangeOf(data);
    if (maxAbs > maxAbsActivation) {
      maxAbsActivation = maxAbs;
      maxAbsActivationNode = name;
    }
  }
  const range = rangeOf(run.output);
  return {
    reference: reference.description,
    layers,
    psnrDb: psnr(run.output, refRun.output),
    relErr: relativeError(run.output, refRun.output),
    nonFinite: range.nan + range.inf,
    maxAbsActivation,
    maxAbsActivationNode,
  };
}

/** A short text table: the worst layers, the activation range and the end-to-end figures. */
export function formatAccuracy(report: AccuracyReport, worst = 8): string {
  const lines = [
    `float64 reference: ${report.reference}`,
    `end to end: PSNR ${report.psnrDb.toFixed(2)} dB, relative L2 ${report.relErr.toExponential(3)}, ${report.nonFinite} NaN/Inf`,
    `largest |activation| (float64): ${report.maxAbsActivation.toFixed(3)} at ${report.maxAbsActivationNode} (fp16 max ${FP16_MAX}: ${(FP16_MAX / report.maxAbsActivation).toFixed(0)}× headroom)`,
    `worst ${worst} of ${report.layers.length} nodes by relative error:`,
  ];
  for (const layer of [...report.layers].sort((a, b) => b.relErr - a.relErr).slice(0, worst)) {
    lines.push(`  ${layer.relErr.toExponential(2)}  ${layer.op.padEnd(14)} ${layer.name}  range [${layer.minRef.toFixed(2)}, ${layer.maxRef.toFixed(2)}]${layer.nonFinite ? `  ${layer.nonFinite} non-finite` : ''}`);
  }
  return lines.join('\n');
}
