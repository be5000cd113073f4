#!/usr/bin/env bash
# The one command that produces a committed bench/results/ run on the device machine (which has a GPU, cuDNN and
# PyTorch but no Node): ours + cuDNN for every suite and batch, then the PyTorch peer, then one merged
# JSON/markdown/SVG.
#
#   bash bench/run-on-device.sh <name> [batches] [suites] [budget_s]     e.g.  bash bench/run-on-device.sh 2026-11-26-h100 1,32
#
# Expects, carried with the working tree (git-ignored): dist/ (npx tsc), .carry/bench/node.xz (xz of a standalone
# node binary) and .carry/bench/nova_gpu.node (the addon built with nvcc for sm_90a). NOVA_GIT_COMMIT names the
# commit the tree was built from (the device copy has no .git). Writes into $OUT (or ./bench-out): <name>.json.gz,
# <name>.md, <name>.svg, <name>-peer.json.gz, bench.log, peer.log. Within budget_s (default 480) seconds: suites
# not started by then are skipped and say so; the merged report is rewritten after every suite, so a kill at the
# command's limit still leaves everything measured so far.
set -u -o pipefail
name=${1:?usage: run-on-device.sh <name> [batches] [suites] [budget_s]}
batches=${2:-1,32}
suites=${3:-resnet50 sd15 sdxl vgg16 esrgan densenet161}
budget=${4:-480}
out=${OUT:-./bench-out}
pkg=${NOVA_BENCH_PKG:-.}
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

merge() {  # ours so far (+ the peer when there) → $out/<name>.{json,md,svg}
  [ ${#jsons[@]} -gt 0 ] || return 0
  local peer=()
  [ -s "$out/$name-peer.json" ] && peer=(--peer "$out/$name-peer.json")
  "$node" "$pkg/dist/cli/nova.js" bench --from "$(IFS=,; echo "${jsons[*]}")" "${peer[@]}" --json "$out/$name.json.gz" \
    --md "$out/$name.md" --svg "$out/$name.svg" >>"$out/bench.log" 2>&1
}

# One process per suite and batch: a crash or a timeout loses only that part.
jsons=()
for s in $suites; do
  for b in ${batches//,/ }; do
    if [ "$SECONDS" -gt "$budget" ]; then
      echo "suite $s batch $b SKIPPED: time budget of ${budget}s used" | tee -a "$out/bench.log"
      continue
    fi
    t0=$SECONDS
    if timeout 200 "$node" "$pkg/dist/cli/nova.js" bench --suite "$s" --batch "$b" --json "/tmp/nova-bench/$s-$b.json" \
        --md "/tmp/nova-bench/$s-$b.md" >>"$out/bench.log" 2>&1; then
      jsons+=("/tmp/nova-bench/$s-$b.json")
      echo "suite $s batch $b: $((SECONDS - t0)) s" | tee -a "$out/bench.log"
    else
      echo "suite $s batch $b FAILED (exit $?) after $((SECONDS - t0)) s" | tee -a "$out/bench.log"
    fi
    merge
  done
done

# The PyTorch peer with what time is left (torch.compile only when there is room for its compilations).
left=$((budget + 90 - SECONDS))
compile=()
[ "$left" -lt 150 ] && compile=(--no-compile)
if [ "$left" -gt 20 ]; then
  timeout "$left" python3 bench/peer_torch.py --suite "$(echo $suites | tr ' ' ,)" --batch "$batches" "${compile[@]}" \
    --json "$out/$name-peer.json" >"$out/peer.log" 2>&1 || echo "peer FAILED or cut (exit $?)" | tee -a "$out/peer.log"
else
  echo "peer SKIPPED: no time left" | tee -a "$out/peer.log"
fi
merge
[ -s "$out/$name-peer.json" ] && gzip -9nf "$out/$name-peer.json"  # committed runs keep their JSON gzipped
[ -s "$out/$name.md" ] && sed -n '/^## Summary/,/^## [a-z]/p' "$out/$name.md" | head -30
