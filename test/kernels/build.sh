#!/bin/sh
# Builds the standalone kernel test driver with nvcc into .carry/kernels/ (git-ignored; carried to the device).
set -e
cd "$(dirname "$0")/../.."
out=.carry/kernels
mkdir -p "$out"
flags="-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a ${NOVA_EXTRA_GENCODE--gencode=arch=compute_80,code=sm_80}"
nvcc $flags -x cu -c src-hip/winograd/launch.hip -o "$out/wino.o" -Xptxas -v 2> "$out/ptxas.log" || { cat "$out/ptxas.log"; exit 1; }
nvcc $flags -x cu -c src-hip/direct/direct.hip -o "$out/direct.o"
nvcc $flags -x cu -c test/kernels/kernel_test.cpp -o "$out/kernel_test.o"
nvcc $flags "$out/wino.o" "$out/direct.o" "$out/kernel_test.o" -o "$out/kernel_test"
grep -E "spill" "$out/ptxas.log" | sort | uniq -c
