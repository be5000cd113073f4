#!/usr/bin/env bash
# Packs what bench/esrgan/run-on-device.sh needs into the git-ignored .carry/esrgan/ (the device has CUDA and
# PyTorch but no Node, no npm registry and no esrgan-thick package):
#   .carry/node.xz                 xz of this machine's node binary (shared with scripts/pack-device.sh)
#   .carry/esrgan/addons.tar       build/Release/nova_cpu.node (float64 reference) + the GPU addon (nvcc, sm_90a)
#   .carry/esrgan/dist.tar.xz      compiled TypeScript
#   .carry/esrgan/pngjs.tar.xz     the one runtime dependency the scripts need
#   .carry/esrgan/weights-x4.tar.xz  models/x4 + the package's fixture and its own x4 output (~27 MB)
#   .carry/esrgan/node_modules.tar.xz  a checked copy of scripts/pack-device.sh's (vitest), when present
# Usage: bash bench/esrgan/pack-device.sh <esrgan-thick package dir> [gpu addon path]
# Then carry [".carry/node.xz", ".carry/esrgan"] and run `bash bench/esrgan/run-on-device.sh` there.
set -euo pipefail
package=${1:?usage: pack-device.sh <esrgan-thick package dir> [nova_gpu.node]}
gpu_addon=${2:-build-gpu/Release/nova_gpu.node}
cd "$(dirname "$0")/../.."
out=.carry/esrgan
mkdir -p "$out"
for file in build/Release/nova_cpu.node "$gpu_addon" dist/cli/nova.js "$package/models/x4/model.json"; do
  [ -f "$file" ] || { echo "pack-device: $file is missing (npm run build; NOVA_GPU=cuda for the GPU addon)" >&2; exit 1; }
done
[ -f .carry/node.xz ] || xz -T2 -6 -c "$(command -v node)" >.carry/node.xz
staging=$(mktemp -d)
mkdir -p "$staging/build/Release" "$staging/build-gpu/Release"
cp build/Release/nova_cpu.node "$staging/build/Release/"
cp "$gpu_addon" "$staging/build-gpu/Release/nova_gpu.node"
tar -cf "$out/addons.tar" -C "$staging" build build-gpu
rm -rf "$staging"
tar -cJf "$out/dist.tar.xz" dist
tar -cJf "$out/pngjs.tar.xz" node_modules/pngjs
if [ ! -f "$out/weights-x4.tar.xz" ]; then
  tar -cf - -C "$package" models/x4 assets/fixture.png assets/samples/4x/result.png | xz -T2 -6 >"$out/weights-x4.tar.xz"
fi
if [ -f .carry/node_modules.tar.xz ] && xz -t .carry/node_modules.tar.xz; then
  cp .carry/node_modules.tar.xz "$out/node_modules.tar.xz"
fi
du -ch .carry/node.xz "$out"/* | sed 's/^/pack-device: /'
