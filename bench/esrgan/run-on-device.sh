#!/usr/bin/env bash
# The one ESRGAN device command: GPU accuracy + speed (bench-esrgan.mjs), `nova upscale --check` on the GPU, the
# bounded localhost load test, and the PyTorch peer on the same weights and card. Expects .carry/node.xz and
# .carry/esrgan/ from bench/esrgan/pack-device.sh; when that holds node_modules.tar.xz (vitest), it first runs
# test/gpu/graph-gpu.test.ts. Writes into $OUT (or ./esrgan-out).
# STEPS (default "test bench cli load peer") picks the parts, e.g. STEPS=load for the load test alone.
set -u -o pipefail
out=${OUT:-./esrgan-out}
steps=" ${STEPS:-test bench cli load peer} "
step() { [[ "$steps" == *" $1 "* ]]; }
work=/tmp/nova-esrgan
mkdir -p "$out" "$work/esrgan-thick" node_modules
xz -dc .carry/node.xz >"$work/node" && chmod +x "$work/node" || { echo "no carried node"; exit 1; }
tar -xf .carry/esrgan/addons.tar -C "$work"
[ -f .carry/esrgan/node_modules.tar.xz ] && tar -xJf .carry/esrgan/node_modules.tar.xz
tar -xJf .carry/esrgan/dist.tar.xz
tar -xJf .carry/esrgan/pngjs.tar.xz
xz -dc .carry/esrgan/weights-x4.tar.xz | tar -xf - -C "$work/esrgan-thick"
export NOVA_CPU_ADDON=$work/build/Release/nova_cpu.node NOVA_GPU_ADDON=$work/build-gpu/Release/nova_gpu.node
export NOVA_ESRGAN_PATH=$work/esrgan-thick
node=$work/node
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$out/device.txt"
nproc | sed 's/^/cpu cores: /' | tee -a "$out/device.txt"

if step test && [ -f node_modules/vitest/vitest.mjs ]; then
  timeout 90 "$node" node_modules/vitest/vitest.mjs run test/gpu/graph-gpu.test.ts >"$out/vitest.log" 2>&1 \
    || echo "graph GPU test FAILED (exit $?)" | tee -a "$out/vitest.log"
fi
if step bench; then
  timeout 170 "$node" bench/esrgan/bench-esrgan.mjs --write-ref "$work/ref64.f32" --json "$out/ours.json" \
    --save-png "$out/fixture-x4-gpu.png" --policies "${POLICIES:-default,eager,tuned,f6,direct}" --reps "${REPS:-10}" >"$out/bench.log" 2>&1 \
    || echo "bench FAILED (exit $?)" | tee -a "$out/bench.log"
fi
if step cli; then
  timeout 45 "$node" dist/cli/nova.js upscale "$work/esrgan-thick/assets/fixture.png" "$out/cli-x4.png" --check 32 \
    >"$out/cli.log" 2>&1 || echo "cli FAILED (exit $?)" | tee -a "$out/cli.log"
fi
if step load; then
  timeout 75 "$node" bench/esrgan/loadtest.mjs --requests 60 --concurrency 4 --size 128 --duration 60 \
    --json "$out/load.json" >"$out/load.log" 2>&1 || echo "load test FAILED (exit $?)" | tee -a "$out/load.log"
fi
if step peer; then
  timeout 120 python3 bench/esrgan/peer_torch_esrgan.py --model "$work/esrgan-thick/models/x4/model.json" \
    --fixture "$work/esrgan-thick/assets/fixture.png" --ref "$work/ref64.f32" --json "$out/peer.json" \
    >"$out/peer.log" 2>&1 || echo "peer FAILED (exit $?)" | tee -a "$out/peer.log"
fi

step test && { echo "== vitest"; grep -E '✓|×|FAIL|Tests|AssertionError|expected' "$out/vitest.log" 2>/dev/null | head -20; }
step bench && { echo "== bench"; grep -vE '^\s' "$out/bench.log" | cut -c1-400 | tail -25; }
step cli && { echo "== cli"; tail -16 "$out/cli.log"; }
step load && { echo "== load"; grep -E 'throughput|p50|p99' "$out/load.log"; tail -1 "$out/load.log"; }
step peer && { echo "== peer"; tail -6 "$out/peer.log"; }
true
