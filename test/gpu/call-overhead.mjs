// Where the wall time of one conv2d through Node goes (test/gpu/run-on-device.sh prints it after the timing table;
// run it once more with NOVA_GPU_POOL=off to see the cost of hipMalloc/hipFree per call). Median of REPS calls,
// microseconds, for ResNet-50 64x56 at N=1 (or NOVA_LAYER) with the kernels' preferred Winograd tile and a prepared
// filter:
//   alloc+free     new DeviceBuffer(output bytes) + dispose(), both on the JS thread
//   dispose        output.dispose() after a plan.run (what the JS thread spends freeing a result)
//   worker hop     await synchronize(): an AsyncWorker round trip through the libuv pool on an idle stream
//   raw conv2d     native conv2d into a preallocated output, awaited as the backend does (settle: polled on the event
//                  loop): argument reading + launch on the JS thread + kernel + the polls that see it end
//   plan.run       await plan.run(x): the public API (validation, pins, output allocation) + raw conv2d
//   run() sync     the part of plan.run(x) before it returns its promise (JS thread blocked)
// Reads the compiled API from dist/.
import { createDevice, toHalf } from '../../dist/index.js';
import { settle } from '../../dist/backends/gpu-backend.js';

const REPS = 300;
// NOVA_LAYER=C,K,HW picks another batch-1 layer (e.g. 1280,1280,8 for SD1.5's).
const [c0, k0, hw0] = (process.env.NOVA_LAYER ?? '64,64,56').split(',').map(Number);
const LAYER = { n: 1, c: c0, k: k0, hw: hw0 };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function timeCalls(call) {
  for (let i = 0; i < 20; i++) await call();
  const times = [];
  for (let i = 0; i < REPS; i++) {
    const start = process.hrtime.bigint();
    await call();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return median(times);
}

const device = await createDevice({ backend: process.env.NOVA_BACKEND ?? 'cuda' });
const native = device.backend.native;
const { n, c, k, hw } = LAYER;
const problem = {
  n, c, h: hw, w: hw, k, r: 3, s: 3, padH: 1, padW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
  layout: 'nhwc', filterLayout: 'krsc', relu: false,
};
const m = native.preferredWinogradM({ ...problem, algorithm: 'direct' });
const wino = { ...problem, algorithm: 'winograd', m, compensated: false };
const outputBytes = n * hw * hw * k * 2;

const x = await device.tensor(toHalf(Float32Array.from({ length: n * hw * hw * c }, (_, i) => Math.sin(i))), {
  shape: [n, hw, hw, c],
  layout: 'nhwc',
});
const w = await device.tensor(toHalf(Float32Array.from({ length: k * 9 * c }, (_, i) => Math.cos(i) / 24)), {
  shape: [k, 3, 3, c],
  layout: 'krsc',
});
const plan = await device.prepareConv(w, { padding: 1, algorithm: `winograd-f${m}` });

const rows = [];
rows.push(['alloc+free', await timeCalls(async () => new native.DeviceBuffer(outputBytes).dispose())]);
const disposeTimes = [];
rows.push([
  'plan.run + dispose',
  await timeCalls(async () => {
    const result = await plan.run(x);
    const start = process.hrtime.bigint();
    result.output.dispose();
    disposeTimes.push(Number(process.hrtime.bigint() - start) / 1000);
  }),
]);
rows.push(['  of which dispose', median(disposeTimes)]);
rows.push(['worker hop', await timeCalls(() => native.synchronize())]);

const rawFilter = new native.DeviceBuffer(native.preparedFilterBytes(wino));
await native.prepareFilter({ ...wino, filter: w.storage.buffer, output: rawFilter });
const rawOutput = new native.DeviceBuffer(outputBytes);
const rawArgs = { ...wino, filterPrepared: true, input: x.storage.buffer, filter: rawFilter, bias: null, output: rawOutput };
rows.push(['raw conv2d', await timeCalls(() => settle(native.conv2d(rawArgs)))]);
const syncTimes = [];
rows.push([
  'plan.run',
  await timeCalls(async () => {
    const start = process.hrtime.bigint();
    const running = plan.run(x);
    syncTimes.push(Number(process.hrtime.bigint() - start) / 1000);
    (await running).output.dispose();
  }),
]);
rows.push(['  run() sync', median(syncTimes)]);
rawFilter.dispose();
rawOutput.dispose();
plan.dispose();
x.dispose();
w.dispose();
device.dispose();

const pool = process.env.NOVA_GPU_POOL === 'off' ? 'pool off' : 'pool on';
console.log(`${device.info.device}: ${c}->${k} ${hw}x${hw} N=1 F(${m},3), ${pool}, median of ${REPS} calls (µs)`);
for (const [name, micros] of rows) console.log(`${name.padEnd(20)} ${micros.toFixed(1).padStart(8)}`);
