#!/usr/bin/env bash
# The one command that produces a committed bench/results/ run on the device machine (which has a GPU, cuDNN and
# PyTorch but no Node): ours + cuDNN for every suite, then the PyTorch peer, then one merged JSON/markdown/SVG.
#
#   bash bench/run-on-device.sh <name> [batches] [suites]      e.g.  bash bench/run-on-device.sh 2026-11-26-h100 1,32
#
# Expects, carried with the working tree (git-ignored): dist/ (npx tsc), .carry/bench/node.xz (xz of a standalone
# node binary) and .carry/bench/nova_gpu.node (the addon built with nvcc for sm_90a). NOVA_GIT_COMMIT names the
# commit the tree was built from (the device copy has no .git). Writes into $OUT (or ./bench-out): <name>.json,
# <name>.md, <name>.svg, <name>-peer.json, bench.log, peer.log.
set -u -o pipefail
name=${1:?usage: run-on-device.sh <name> [batches] [suites]}
batches=${2:-1,32}
suites=${3:-resnet50 vgg16 densenet161 sd15 sdxl esrgan}
out=${OUT:-./bench-out}
mkdir -p "$out" /tmp/nova-bench
node=/tmp/nova-bench/node
xz -dc .carry/bench/node.xz > "$node" && chmod +x "$node" || { echo "no carried node"; exit 1; }
export NOVA_GPU_ADDON=$PWD/.carry/bench/nova_gpu.node
# cuDNN is loaded with dlopen("libcudnn.so.9"): if it is not on the loader path, use the copy PyTorch ships.
if ! ldconfig -p | grep -q 'libcudnn.so.9 '; then
  cudnn_lib=$(python3 -c 'import os, nvidia.cudnn as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2>/dev/null)
  [ -n "$cudnn_lib" ] && export LD_LIBRARY_PATH=$cudnn_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$out/bench.log"

# One process per suite: a crash in one suite cannot lose the others' rows.
jsons=()
for s in $suites; do
  if timeout 240 "$node" dist/cli/nova.js bench --suite "$s" --batch "$batches" --json "/tmp/nova-bench/$s.json" \
      --md "/tmp/nova-bench/$s.md" >>"$out/bench.log" 2>&1; then
    jsons+=("/tmp/nova-bench/$s.json")
  else
    echo "suite $s FAILED (exit $?)" | tee -a "$out/bench.log"
  fi
done

timeout 300 python3 bench/peer_torch.py --suite "$(echo $suites | tr ' ' ,)" --batch "$batches" \
  --json "$out/$name-peer.json" >"$out/peer.log" 2>&1 || echo "peer FAILED (exit $?)" | tee -a "$out/peer.log"

peer=()
[ -s "$out/$name-peer.json" ] && peer=(--peer "$out/$name-peer.json")
if [ ${#jsons[@]} -gt 0 ]; then
  from=$(IFS=,; echo "${jsons[*]}")
  "$node" dist/cli/nova.js bench --from "$from" "${peer[@]}" --json "$out/$name.json" --md "$out/$name.md" \
    --svg "$out/$name.svg" 2>&1 | tee -a "$out/bench.log"
  sed -n '/^## Summary/,/^## /p' "$out/$name.md" | head -30
fi
