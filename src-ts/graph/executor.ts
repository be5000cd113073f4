/**
 * What every graph executor offers: one `run` per inference (one async call), NHWC float32 in and out,
 * batch 1, any height × width. Executors: reference (TypeScript, float64 or float32 storage — the accuracy
 * yardstick), cpu (convolutions through the CPU addon), gpu (the native graph executor: all nodes on the device
 * stream inside one native async call).
 */
import type { GraphNode } from './graph.js';
import type { HostArray } from './host-ops.js';

export type ExecutorKind = 'reference' | 'cpu' | 'cuda' | 'hip';

export interface NodeOutput {
  readonly node: GraphNode;
  /** The node's output, NHWC; valid only during the callback (its memory is reused by later nodes). */
  readonly data: HostArray;
  readonly height: number;
  readonly width: number;
}

export interface RunOptions {
  /**
   * Debug: called with every node's output in execution order. On the GPU this copies each node's output to the
   * host and keeps every intermediate alive, so it is slow; use it for per-layer error and activation ranges.
   */
  readonly onNode?: (output: NodeOutput) => void;
}

export interface GraphRunResult {
  readonly output: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Milliseconds per stage of this run, e.g. { upload, compute, download, total }. */
  readonly timings: Readonly<Record<string, number>>;
}

export interface GraphExecutor {
  readonly kind: ExecutorKind;
  /** One line for logs: what runs where, e.g. "cpu backend (nova_cpu.node, fp32 direct conv, 2 threads)". */
  readonly description: string;
  run(input: Float32Array, height: number, width: number, options?: RunOptions): Promise<GraphRunResult>;
  /** Device memory currently held by this executor's pool (0 on the host executors). */
  pooledBytes(): number;
  /** Free and total memory of the device, on GPU executors. */
  deviceMemory?(): { free: number; total: number } | null;
  /** Frees weights and pooled memory; idempotent. */
  dispose(): void;
}
