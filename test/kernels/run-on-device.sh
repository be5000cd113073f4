#!/bin/bash
# On the device machine: SASS check, correctness of the native build (with the > 2^31-element check) and of the
# scalar-mma build and of the 64 KB-tile build, timing of the native build, then cuDNN's time for the same layers through PyTorch.
# Usage: test/kernels/run-on-device.sh [--no-bench]
set -o pipefail
cd "$(dirname "$0")/../.."
bin=.carry/kernels/kernel_test
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv,noheader
echo "HMMA instructions in kernel_test: $(cuobjdump -sass "$bin" | grep -c HMMA), LDSM: $(cuobjdump -sass "$bin" | grep -c LDSM)"
"$bin" --large 2>&1 | tee "$out/kernel_test.log"
.carry/kernels/kernel_test_scalar 2>&1 | tee "$out/kernel_test_scalar.log"
.carry/kernels/kernel_test_small 2>&1 | tee "$out/kernel_test_small.log"
[ "$1" = "--no-bench" ] && exit
"$bin" --bench --seed 7 2>&1 | sed -n '/^TIMING/,$p' | tee "$out/timing.log"
PYTHONUNBUFFERED=1 python3 test/kernels/cudnn_peer.py 2>&1 | tee "$out/peer.log"
echo; echo "== correctness =="
grep -hE "^(FAIL|ERROR)|CORRECTNESS|large|mma:" "$out/kernel_test.log" "$out/kernel_test_scalar.log" "$out/kernel_test_small.log"
echo "== timing (µs) =="; cat "$out/timing.log"; grep "^peer" "$out/peer.log"
