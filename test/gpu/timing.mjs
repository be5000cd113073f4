// A short timing table for test/gpu/run-on-device.sh: median wall time of one `plan.run()` through the public API
// (output allocation, launches, stream synchronization and promise settlement included) for a few ResNet-50
// layers and two few-channel layers, every algorithm the backend can run and what 'auto' picks. Not kernel time: the bench (device events, cuDNN in the same run)
// measures that. Reads the compiled API from dist/.
import { createDevice, toHalf } from '../../dist/index.js';

const LAYERS = [
  { name: 'resnet50 64x56', n: 1, c: 64, k: 64, hw: 56 },
  { name: 'resnet50 256x14', n: 1, c: 256, k: 256, hw: 14 },
  { name: 'resnet50 512x7', n: 1, c: 512, k: 512, hw: 7 },
  { name: 'resnet50 64x56', n: 32, c: 64, k: 64, hw: 56 },
  { name: 'resnet50 256x14', n: 32, c: 256, k: 256, hw: 14 },
  { name: 'vgg16 3->64 x224', n: 1, c: 3, k: 64, hw: 224 },
  { name: 'esrgan 64->3 x128', n: 1, c: 64, k: 3, hw: 128 },
];
const ALGORITHMS = ['auto', 'direct', 'winograd-f2', 'winograd-f4', 'winograd-f6', 'winograd-f8'];
const REPS = 50;

function normal(count, seed) {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next()));
}

const device = await createDevice({ backend: process.env.NOVA_BACKEND ?? 'cuda' });
console.log(`${device.info.device} (${device.info.arch}), ${device.kind} runtime ${device.info.runtimeVersion}, driver ${device.info.driverVersion}`);
const rows = [['layer', 'N', ...ALGORITHMS.map((a) => a.replace('winograd-', ''))]];
for (const layer of LAYERS) {
  const x = await device.tensor(toHalf(normal(layer.n * layer.hw * layer.hw * layer.c, 1)), {
    shape: [layer.n, layer.hw, layer.hw, layer.c],
    layout: 'nhwc',
  });
  const w = await device.tensor(toHalf(normal(layer.k * 9 * layer.c, 2).map((v) => v / Math.sqrt(9 * layer.c))), {
    shape: [layer.k, 3, 3, layer.c],
    layout: 'krsc',
  });
  const row = [layer.name, String(layer.n)];
  for (const algorithm of ALGORITHMS) {
    let plan;
    try {
      plan = await device.prepareConv(w, { padding: 1, algorithm });
      for (let i = 0; i < 5; i++) (await plan.run(x)).output.dispose();
      const times = [];
      for (let i = 0; i < REPS; i++) {
        const start = process.hrtime.bigint();
        const result = await plan.run(x);
        times.push(Number(process.hrtime.bigint() - start) / 1000);
        result.output.dispose();
      }
      times.sort((a, b) => a - b);
      const median = `${times[REPS >> 1].toFixed(0)} µs`;
      if (algorithm === 'auto') {
        const chosen = await plan.run(x);
        chosen.output.dispose();
        row.push(`${median} ${chosen.algorithm.replace('winograd-', '')}`);
      } else {
        row.push(median);
      }
    } catch (error) {
      row.push(error.code === 'E_UNSUPPORTED' ? 'n/a' : `error ${error.code ?? error.message}`);
    } finally {
      plan?.dispose();
    }
  }
  x.dispose();
  w.dispose();
  rows.push(row);
}
device.dispose();
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((cell, i) => cell.padStart(widths[i])).join('  '));
console.log(`median of ${REPS} calls after 5 warm-up calls, fp16 NHWC, padding 1, prepared filters (a plan: U)`);
