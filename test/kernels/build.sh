#!/bin/sh
# Builds the standalone kernel test driver with nvcc into .carry/kernels/ (git-ignored; carried to the device):
# kernel_test (native matrix instructions), kernel_test_scalar (the portable scalar mma fallback, forced) and
# kernel_test_small (the 64 KB-shared-memory tiles the AMD build uses, run on NVIDIA to test them).
# NOVA_EXTRA_GENCODE overrides the extra sm_80 target (" " for sm_90a only, faster).
set -e
cd "$(dirname "$0")/../.."
out=.carry/kernels
mkdir -p "$out"
flags="-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a ${NOVA_EXTRA_GENCODE--gencode=arch=compute_80,code=sm_80}"
nvcc $flags -x cu -c src-hip/winograd/launch.hip -o "$out/wino.o" -Xptxas -v 2> "$out/ptxas.log" || { cat "$out/ptxas.log"; exit 1; }
nvcc $flags -x cu -c src-hip/direct/direct.hip -o "$out/direct.o"
nvcc $flags -x cu -c test/kernels/kernel_test.cpp -o "$out/kernel_test.o"
nvcc $flags "$out/wino.o" "$out/direct.o" "$out/kernel_test.o" -o "$out/kernel_test"
nvcc $flags -DNOVA_MMA_FORCE_SCALAR -x cu -c src-hip/winograd/launch.hip -o "$out/wino_scalar.o"
nvcc $flags -DNOVA_KERNEL_TEST_MMA='"scalar fallback"' -x cu -c test/kernels/kernel_test.cpp -o "$out/kernel_test_scalar.o"
nvcc $flags "$out/wino_scalar.o" "$out/direct.o" "$out/kernel_test_scalar.o" -o "$out/kernel_test_scalar"
nvcc $flags -DNOVA_WINO_SMALL_SHARED -x cu -c src-hip/winograd/launch.hip -o "$out/wino_small.o"
nvcc $flags -DNOVA_KERNEL_TEST_MMA='"native, 64 KB tiles"' -x cu -c test/kernels/kernel_test.cpp -o "$out/kernel_test_small.o"
nvcc $flags "$out/wino_small.o" "$out/direct.o" "$out/kernel_test_small.o" -o "$out/kernel_test_small"
grep -E "spill" "$out/ptxas.log" | sort | uniq -c
