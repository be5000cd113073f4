#!/usr/bin/env bash
# Checks src-hip/generated/winograd_constants.h from C++: builds and runs check_constants.cpp with g++
# (numerical Winograd identity), then compile-checks device use with nvcc and hipcc when they are installed, and
# with nvcc runs the host check of the input transform's fp16 exactness (which routes it to the matrix units).
# Usage: test/cpp/run.sh   (from anywhere; writes objects under build/cpp-test/)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/cpp-test
mkdir -p "$out"

g++ -std=c++17 -O1 -Wall -Wextra -Werror test/cpp/check_constants.cpp -o "$out/check_constants"
"$out/check_constants"

if command -v nvcc >/dev/null 2>&1; then
  nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a -c test/cpp/device_usage.cu -o "$out/device_usage_nvcc.o"
  echo "nvcc: device use of the constants compiles (sm_90a)"
  nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a test/cpp/input_transform_exactness.cu \
    -o "$out/input_transform_exactness"
  "$out/input_transform_exactness"
else
  echo "nvcc not found: CUDA device compile check skipped"
fi

if command -v hipcc >/dev/null 2>&1; then
  HIP_PLATFORM=amd hipcc -std=c++17 -x hip --offload-arch=gfx90a --offload-arch=gfx940 \
    -c test/cpp/device_usage.cu -o "$out/device_usage_hip.o"
  echo "hipcc: device use of the constants compiles (gfx90a, gfx940)"
else
  echo "hipcc not found: HIP device compile check skipped"
fi
