#!/usr/bin/env bash
# CI part of the GPU work (called by .ci/run after `npm ci`): builds the GPU addon for both vendors on a machine
# with no GPU and checks that the code objects really hold matrix instructions.
#   AMD:    Debian's hipcc (ROCm 5.2), HIP_PLATFORM=amd, gfx90a + gfx940 → build-hip/; roc-obj-ls must list both
#           targets and the disassembly of each must contain v_mfma. Compile-checked only: nothing runs on AMD.
#   NVIDIA: nvcc, sm_90a + sm_80 (static CUDA runtime) → build-gpu/; SASS must contain HMMA or HGMMA. The SASS
#           check needs cuobjdump; where the toolkit lacks it, the PTX of the kernels must contain mma.sync or
#           wgmma instead (ptxas turns each into HMMA / HGMMA), and test/gpu/run-on-device.sh repeats the SASS
#           check on the device, which has cuobjdump.
set -euo pipefail
cd "$(dirname "$0")/.."
export NOVA_JOBS="${NOVA_JOBS:-2}"
fail() { echo "gpu-builds: FAIL: $*" >&2; exit 1; }

# ---- AMD -----------------------------------------------------------------------------------------------------------
if ! command -v hipcc >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hipcc >/dev/null
fi
NOVA_GPU=hip node scripts/build-gpu.mjs --out=build-hip
hip_addon=build-hip/Release/nova_gpu.node
[ -f "$hip_addon" ] || fail "$hip_addon was not built"

# The llvm-objdump of hipcc's own clang (Debian's default one may be older and not know gfx940).
clang_major=$(HIP_PLATFORM=amd hipcc --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
objdump=/usr/lib/llvm-${clang_major}/bin/llvm-objdump
[ -x "$objdump" ] || objdump=$(ls -d /usr/lib/llvm-*/bin/llvm-objdump | sort -V | tail -1)
bundles=$(roc-obj-ls "$hip_addon")
echo "$bundles"
objdir=$(mktemp -d)
trap 'rm -rf "$objdir"' EXIT
for arch in gfx90a gfx940; do
  grep -q -- "--$arch" <<<"$bundles" || fail "no $arch code object in $hip_addon"
  # roc-obj's own disassembly pipes through llvm-objdump on stdin, which crashes in ROCm 5.2: extract, then
  # disassemble each file. (ROCm 5.2's roc-obj exits 1 even when it extracted everything: judge by the files.)
  roc-obj -t "$arch" -o "$objdir" "$hip_addon" >/dev/null 2>&1 || true
  compgen -G "$objdir/*--$arch" >/dev/null || fail "roc-obj extracted no $arch code object from $hip_addon"
  mfma=0
  for object in "$objdir"/*"--$arch"; do
    count=$("$objdump" -d --mcpu="$arch" "$object" | grep -c 'v_mfma' || true)
    mfma=$((mfma + count))
  done
  [ "$mfma" -gt 0 ] || fail "no v_mfma instruction in the $arch code objects"
  echo "gpu-builds: $arch: $mfma v_mfma instructions"
done

# ---- NVIDIA --------------------------------------------------------------------------------------------------------
NOVA_GPU=cuda node scripts/build-gpu.mjs
cuda_addon=build-gpu/Release/nova_gpu.node
[ -f "$cuda_addon" ] || fail "$cuda_addon was not built"
if ldd "$cuda_addon" | grep -q libcudart; then fail "$cuda_addon links libcudart dynamically (expected the static runtime)"; fi

cuobjdump=$(command -v cuobjdump || true)
[ -z "$cuobjdump" ] && [ -x /usr/local/cuda/bin/cuobjdump ] && cuobjdump=/usr/local/cuda/bin/cuobjdump
if [ -n "$cuobjdump" ]; then
  for arch in sm_90a sm_80; do
    count=$("$cuobjdump" -sass -arch "$arch" "$cuda_addon" | grep -cE 'HGMMA|HMMA' || true)
    [ "$count" -gt 0 ] || fail "no HMMA/HGMMA instruction in the $arch SASS"
    echo "gpu-builds: $arch: $count HMMA/HGMMA instructions"
  done
else
  echo "gpu-builds: cuobjdump is not in this CUDA toolkit; checking the kernels' PTX for mma instructions instead"
  include_flags=(-I src-hip -I "$(node -p "require('node-addon-api').include_dir")")
  for arch in compute_90a compute_80; do
    count=0
    for source in src-hip/winograd/*.hip; do
      n=$(nvcc -x cu -std=c++17 --expt-relaxed-constexpr -arch="$arch" -ptx "${include_flags[@]}" "$source" -o - |
        grep -cE 'mma\.sync|wgmma\.mma_async' || true)
      count=$((count + n))
    done
    [ "$count" -gt 0 ] || fail "no mma.sync / wgmma in the $arch PTX of src-hip/winograd"
    echo "gpu-builds: $arch: $count mma.sync/wgmma instructions in the Winograd kernels' PTX"
  done
fi
# The microbenchmarks that bench/NOTES.md quotes: compiled so they do not rot (run only on the device).
for micro in bench/micro/*.cu; do
  nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -c "$micro" -o "$objdir/$(basename "$micro" .cu).o" 2>/dev/null ||
    fail "$micro does not compile"
done
echo "gpu-builds: OK (HIP gfx90a+gfx940 with MFMA, CUDA sm_90a+sm_80 with tensor-core MMA)"
