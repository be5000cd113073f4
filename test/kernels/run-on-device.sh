#!/bin/bash
# On the device machine: SASS check, correctness + timing of the carried kernel_test, then cuDNN's time for the
# same layers through PyTorch. Usage: test/kernels/run-on-device.sh [--no-bench]
set -o pipefail
cd "$(dirname "$0")/../.."
bin=.carry/kernels/kernel_test
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv,noheader
echo "HMMA instructions in kernel_test: $(cuobjdump -sass "$bin" | grep -c HMMA)"
if [ "$1" = "--no-bench" ]; then
  "$bin" 2>&1 | tee "$out/kernel_test.log"
  exit
fi
"$bin" --bench 2>&1 | tee "$out/kernel_test.log"
PYTHONUNBUFFERED=1 python3 test/kernels/cudnn_peer.py 2>&1 | tee "$out/peer.log"
echo; echo "== correctness =="; grep -E "^(FAIL|ERROR)|CORRECTNESS" "$out/kernel_test.log"
echo "== timing (µs) =="; sed -n '/^TIMING/,$p' "$out/kernel_test.log"; grep "^peer" "$out/peer.log"
