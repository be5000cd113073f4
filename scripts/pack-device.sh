#!/usr/bin/env bash
# Packs what the GPU device machine needs into the git-ignored .carry/ (it has CUDA but no Node):
#   .carry/node.xz               xz of this machine's node binary
#   .carry/addons.tar            build/Release/nova_cpu.node (float64 reference) + build-gpu/Release/nova_gpu.node
#   .carry/dist.tar.xz           the compiled TypeScript (dist/)
#   .carry/node_modules.tar.xz   the runtime dependencies and vitest's closure only (no typescript, node-gyp, cmake-js)
# Then name these four files in the run tool's `carry` and run `bash test/gpu/run-on-device.sh` there.
# Builds nothing: run `npm run build` first (the GPU addon with NOVA_GPU=cuda, i.e. nvcc, for the H100/H200).
# NOVA_PACK_GPU_ADDON=<path> packs another nova_gpu.node instead (e.g. one built from a clean `git archive HEAD`
# while kernel work in progress sits in this tree).
set -euo pipefail
cd "$(dirname "$0")/.."
carry=.carry
mkdir -p "$carry"

gpu_addon="${NOVA_PACK_GPU_ADDON:-build-gpu/Release/nova_gpu.node}"
for file in build/Release/nova_cpu.node "$gpu_addon" dist/index.js; do
  [ -f "$file" ] || { echo "pack-device: $file is missing; run \`npm run build\` (NOVA_GPU=cuda) first" >&2; exit 1; }
done

node_bin=$(command -v node)
if [ ! -f "$carry/node.xz" ] || [ "$node_bin" -nt "$carry/node.xz" ]; then
  echo "pack-device: compressing $node_bin ($(node --version))"
  xz -T2 -6 -c "$node_bin" >"$carry/node.xz"
fi

tar -cf "$carry/addons.tar" build/Release/nova_cpu.node \
  --transform "s|^${gpu_addon#/}\$|build-gpu/Release/nova_gpu.node|" "$gpu_addon"
tar -cJf "$carry/dist.tar.xz" dist

# The package folders needed at run time: the production dependencies and everything vitest pulls in (with the
# optional native bindings present for this platform), found by walking package.json files through node_modules.
node --input-type=module >"$carry/node_modules.list" <<'EOF'
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
const root = process.cwd();
const seen = new Set();
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}
function visit(dir) {
  if (seen.has(dir)) return;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
  for (const name of Object.keys(deps)) {
    const found = resolvePackage(name, dir);
    if (found) visit(found); // absent optional / peer dependencies are for other platforms or unused
  }
}
const top = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const name of [...Object.keys(top.dependencies ?? {}), 'vitest']) visit(resolvePackage(name, root));
seen.delete(root);
for (const dir of [...seen].sort()) console.log(relative(root, dir));
EOF
# vitest's optional peers (typescript for type tests, happy-dom, …) are not needed to run tests.
grep -vE '^node_modules/(typescript|node-gyp|cmake-js|@types/.*)$' "$carry/node_modules.list" >"$carry/node_modules.keep"
tar -cJf "$carry/node_modules.tar.xz" -T "$carry/node_modules.keep" node_modules/.bin/vitest
rm -f "$carry/node_modules.list" "$carry/node_modules.keep"

# Other tools may keep their own things in .carry/ too: name these four files in the run tool's `carry`.
files=("$carry/node.xz" "$carry/addons.tar" "$carry/dist.tar.xz" "$carry/node_modules.tar.xz")
du -ch "${files[@]}" | sed 's/^/pack-device: /'
total=$(du -cb "${files[@]}" | tail -1 | cut -f1)
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
limit=$((64 * 1024 * 1024))
echo "pack-device: carried $((total / 1048576)) MiB + working tree $((tree / 1048576)) MiB of the 64 MiB limit"
[ $((total + tree)) -lt "$limit" ] || { echo "pack-device: too large for the device's 64 MiB tree limit" >&2; exit 1; }
