/**
 * End-to-end time of one convolution as a user's script sees it: `await plan.run(x)` through the public API
 * (argument checks, binding, the launch from the JS thread, the kernel, the polls that see it end, promise
 * settlement, output allocation), wall clock.
 */
import { performance } from 'node:perf_hooks';

import { createDevice } from '../api/device.js';
import type { Device } from '../api/device.js';
import type { BenchAlgorithm } from './types.js';
import type { ConvData } from './data.js';

export interface EndToEndResult {
  readonly timesUs: number[];
  /** What ran: for 'auto', the algorithm the library chose, and why. */
  readonly algorithm: string;
  readonly path: string;
  readonly reason: string;
}

export interface EndToEnd {
  measure(data: ConvData, algorithm: BenchAlgorithm, reps: number): Promise<EndToEndResult>;
  dispose(): void;
}

/** Runs through a device of the given backend ('cuda' or 'hip'). */
export async function publicApiEndToEnd(backend: 'cuda' | 'hip'): Promise<EndToEnd> {
  const device: Device = await createDevice({ backend });
  return {
    async measure(d, algorithm, reps) {
      const nhwc = d.layout === 'nhwc';
      const x = await device.tensor(d.input, { shape: nhwc ? [d.n, d.h, d.w, d.c] : [d.n, d.c, d.h, d.w], layout: d.layout });
      const w = await device.tensor(d.filter, { shape: nhwc ? [d.k, 3, 3, d.c] : [d.k, d.c, 3, 3], layout: nhwc ? 'krsc' : 'kcrs' });
      const plan = await device.prepareConv(w, { padding: 1, algorithm, layout: d.layout });
      try {
        let last = await plan.run(x); // warm-up: prepares the filter, loads the kernel
        last.output.dispose();
        for (let i = 0; i < 3; i++) (await plan.run(x)).output.dispose();
        // `reps` calls, but stop after ~2 s once 10 are in: a slow path (direct at batch 32) must not dominate the run.
        const timesUs: number[] = [];
        const start = performance.now();
        for (let i = 0; i < reps && (i < 10 || performance.now() - start < 2000); i++) {
          const t0 = performance.now();
          last = await plan.run(x);
          timesUs.push((performance.now() - t0) * 1000);
          last.output.dispose();
        }
        return { timesUs, algorithm: last.algorithm, path: last.path, reason: last.reason };
      } finally {
        plan.dispose();
        w.dispose();
        x.dispose();
      }
    },
    dispose() {
      device.dispose();
    },
  };
}
