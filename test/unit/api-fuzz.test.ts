/**
 * "Never crashes": seeded random garbage and near-miss arguments for every async API method on the real CPU
 * backend. Every call must return a promise (no synchronous throw) that settles; a rejection must be a TypeError,
 * RangeError or NovaError carrying one of the documented codes. Anything that passes validation reaches the addon.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevice, type Device, NovaError, type Tensor } from '../../src-ts/index.js';
import { Rng } from '../../src-ts/numerics/data.js';

const CODES = ['E_ARG', 'E_SHAPE', 'E_DTYPE', 'E_DISPOSED', 'E_UNSUPPORTED', 'E_BACKEND_UNAVAILABLE', 'E_OOM', 'E_DEVICE'];

let device: Device;
let other: Device;
const tensors: Tensor[] = [];

beforeAll(async () => {
  device = await createDevice({ backend: 'cpu' });
  other = await createDevice({ backend: 'cpu' });
  const make = (d: Device, data: Float32Array | Uint16Array, shape: number[], layout?: 'nhwc' | 'nchw' | 'krsc' | 'kcrs') =>
    d.tensor(data, layout ? { shape, layout } : { shape });
  tensors.push(
    await make(device, new Float32Array(1 * 5 * 5 * 2).fill(0.5), [1, 5, 5, 2], 'nhwc'),
    await make(device, new Float32Array(2 * 2 * 5 * 5).fill(0.25), [2, 2, 5, 5], 'nchw'),
    await make(device, new Float32Array(3 * 3 * 3 * 2).fill(0.1), [3, 3, 3, 2], 'krsc'),
    await make(device, new Float32Array(3 * 2 * 3 * 3).fill(0.1), [3, 2, 3, 3], 'kcrs'),
    await make(device, new Float32Array(3 * 1 * 1 * 2).fill(0.1), [3, 1, 1, 2], 'krsc'),
    await make(device, new Float32Array(3).fill(1), [3]),
    await make(device, new Uint16Array(1 * 5 * 5 * 2).fill(0x3800), [1, 5, 5, 2], 'nhwc'),
    await make(device, new Uint16Array(3 * 3 * 3 * 2).fill(0x2e66), [3, 3, 3, 2], 'krsc'),
    await make(other, new Float32Array(1 * 5 * 5 * 2), [1, 5, 5, 2], 'nhwc'),
  );
  const gone = await make(device, new Float32Array(3 * 3 * 3 * 2), [3, 3, 3, 2], 'krsc');
  gone.dispose();
  tensors.push(gone);
});

afterAll(() => {
  device.dispose();
  other.dispose();
});

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.below(items.length)]!;
}

function garbage(rng: Rng, depth = 0): unknown {
  const scalars = [undefined, null, 0, -1, 1, 2, 3, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1e12, -0, '3', '', 'nhwc', 'auto',
    'winograd-f6', 'float16', true, false, 1n, Symbol('s'), () => 1];
  const roll = rng.below(10);
  if (roll < 4) return pick(rng, scalars);
  if (roll < 6) return pick(rng, tensors);
  if (roll === 6) return pick(rng, [new Float32Array(4), new Uint16Array(9), new Float64Array(2), new Int32Array(1), new ArrayBuffer(8)]);
  if (roll === 7 || depth > 1) return Array.from({ length: rng.below(6) }, () => pick(rng, [0, 1, 2, 3, 5, -1, 1.5, Number.NaN, '2']));
  return options(rng, depth + 1);
}

function options(rng: Rng, depth: number): Record<string, unknown> {
  const keys = ['bias', 'padding', 'stride', 'dilation', 'relu', 'algorithm', 'precision', 'layout', 'shape', 'dtype', 'backend', 'pad'];
  const good: Record<string, unknown[]> = {
    padding: [0, 1, 2, [1, 0]],
    stride: [1, 2, [2, 1]],
    dilation: [1, 2],
    relu: [true, false],
    algorithm: ['auto', 'direct', 'winograd-f2', 'winograd-f4', 'winograd-f6', 'winograd-f8'],
    precision: ['fp16', 'compensated'],
    layout: ['nhwc', 'nchw', 'krsc', 'kcrs', 'vector'],
    shape: [[3], [1, 5, 5, 2], [3, 3, 3, 2]],
    dtype: ['float32', 'float16'],
    bias: [null, tensors[5]],
  };
  const result: Record<string, unknown> = {};
  for (let i = rng.below(4); i > 0; i--) {
    const key = rng.below(5) ? pick(rng, keys.slice(0, 7)) : pick(rng, keys);
    result[key] = good[key] && rng.below(4) > 0 ? pick(rng, good[key]) : garbage(rng, depth);
  }
  return result;
}

const codesSeen = new Map<string, number>();

async function settle(call: () => Promise<unknown>): Promise<'resolved' | 'rejected'> {
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = call();
  }).not.toThrow();
  expect(promise).toBeInstanceOf(Promise);
  try {
    const value = (await promise) as { output?: Tensor; dispose?: () => void } | undefined;
    value?.output?.dispose();
    return 'resolved';
  } catch (error) {
    const ok = error instanceof TypeError || error instanceof RangeError || error instanceof NovaError;
    expect(ok, String(error)).toBe(true);
    expect(CODES, String(error)).toContain((error as { code?: string }).code);
    expect((error as Error).message.length).toBeGreaterThan(10);
    const code = (error as { code: string }).code;
    codesSeen.set(code, (codesSeen.get(code) ?? 0) + 1);
    return 'rejected';
  }
}

describe('random arguments never crash and never throw synchronously', () => {
  it('1000 seeded calls over tensor(), conv2d(), prepareConv() and plan.run()', async () => {
    const rng = new Rng(2024);
    const outcomes = { resolved: 0, rejected: 0 };
    const plan = await device.prepareConv(tensors[2]!, { padding: 1 });
    for (let i = 0; i < 1000; i++) {
      const method = rng.below(4);
      // Mostly near misses (real tensors, plausible options), so that many calls get past validation.
      const a = rng.below(3) ? pick(rng, tensors) : garbage(rng);
      const b = rng.below(3) ? pick(rng, tensors) : garbage(rng);
      const c = rng.below(4) ? options(rng, 0) : garbage(rng);
      const outcome =
        method === 0
          ? await settle(() => device.tensor(a as never, c as never))
          : method === 1
            ? await settle(() => device.conv2d(a as never, b as never, c as never))
            : method === 2
              ? await settle(async () => (await device.prepareConv(a as never, c as never)).dispose())
              : await settle(() => plan.run(a as never, c as never));
      outcomes[outcome]++;
    }
    plan.dispose();
    // Both paths are exercised: many calls are valid and really run on the addon.
    console.log(`fuzz: ${outcomes.resolved} resolved, ${outcomes.rejected} rejected`, Object.fromEntries(codesSeen));
    // Validation catches everything: the addon never sees an argument it has to refuse.
    expect(codesSeen.get('E_DEVICE')).toBeUndefined();
    expect(outcomes.rejected).toBeGreaterThan(300);
    expect(outcomes.resolved).toBeGreaterThan(25);
  });
});
