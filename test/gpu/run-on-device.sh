#!/usr/bin/env bash
# Runs on the GPU device machine (CUDA, no Node), from the repository root, after `bash scripts/pack-device.sh`
# here and with .carry/{node.xz,addons.tar,dist.tar.xz,node_modules.tar.xz} carried: unpacks the carried Node,
# addons, dist/ and node_modules, prints the card, checks the addon's SASS for tensor-core instructions, runs the
# GPU test suite (test/gpu) and prints a short timing table last. Logs go to $OUT when it is set.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-/tmp/nova-gpu-out}"
mkdir -p "$out"
status=0

mkdir -p /tmp/nova-node
xz -dc .carry/node.xz >/tmp/nova-node/node && chmod +x /tmp/nova-node/node
export PATH="/tmp/nova-node:$PATH"
tar -xf .carry/addons.tar
tar -xJf .carry/dist.tar.xz
tar -xJf .carry/node_modules.tar.xz
echo "== node $(node --version); $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader)"

echo "== deviceInfo"
node -e 'const a = require("./build-gpu/Release/nova_gpu.node"); console.log(JSON.stringify(a.deviceInfo()))'

echo "== tensor-core instructions in the addon's SASS"
for arch in sm_90a sm_80; do
  count=$(cuobjdump -sass -arch "$arch" build-gpu/Release/nova_gpu.node 2>/dev/null | grep -cE 'HGMMA|HMMA' || true)
  echo "$arch: $count HMMA/HGMMA"
  [ "$count" -gt 0 ] || status=1
done

echo "== GPU test suite"
node node_modules/vitest/vitest.mjs run test/gpu --reporter=default --reporter=json \
  --outputFile.json="$out/vitest.json" 2>&1 | tee "$out/vitest.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== timing (wall time per call through Node, not kernel time; the bench measures kernels)"
node test/gpu/timing.mjs 2>&1 | tee "$out/timing.txt" || status=1
exit $status
