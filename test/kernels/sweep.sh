#!/bin/bash
# On the device: F(2,3) timing (kernel_test --timing-only F2) with the launcher's own choice (twice, for the noise)
# against every forced channel split, each forced block and tile order, and no persistent blocks, in one table; the
# fastest of each row is starred. Checks that the launch rules still pick the fastest configuration after a kernel
# change (bench/NOTES.md v26). Needs .carry/kernels/kernel_test (test/kernels/build.sh); ~6 minutes on an H200.
# kernel_test's times include the host's launches and at batch 1 can rank configurations differently from the bench
# (NOTES v36: the 4 × 4 blocks' splits): confirm a rule change with bench/ab-on-device.sh.
# LAYER=<part of a layer name> times only the matching layers (kernel_test --layer), e.g. LAYER="densenet 192-48x7".
# Logs go to $OUT/sweep.tgz.
set -u
K=.carry/kernels/kernel_test
out=${OUT:-/tmp}/sweep; mkdir -p "$out"
nvidia-smi --query-gpu=name --format=csv,noheader
run() {
  local name=$1; shift
  timeout 60 $K --timing-only F2 --seed 7 ${LAYER:+--layer "$LAYER"} "$@" > "$out/$name.log" 2>&1 || echo "$name failed"
}
run auto
for s in 1 2 3 4 6 8; do run split$s --split $s; done
run block32 --f2-block 32; run block64 --f2-block 64
run consecutive --tile-order 1; run rectangles --tile-order 2; run pairs --tile-order 3; run wide --tile-order 4
run sixteen --tile-order 5; for s in 2 4; do run sixteen_s$s --tile-order 5 --split $s; done
run nopersist --no-persistent
run auto_again
python3 - "$out" <<'PY'
import os, re, sys
d = sys.argv[1]
names = ['auto', 'auto_again', 'split1', 'split2', 'split3', 'split4', 'split6', 'split8', 'block32', 'block64',
         'consecutive', 'rectangles', 'pairs', 'wide', 'sixteen', 'sixteen_s2', 'sixteen_s4', 'nopersist']
def rows(path):
    found = {}
    for line in open(path):
        m = re.match(r'^(\S+ \S+)\s+(\d+)\s+([\d. ]+)$', line.rstrip())
        if m: found[(m.group(1), m.group(2))] = float(m.group(3).split()[0])
    return found
times = {n: rows(f'{d}/{n}.log') for n in names if os.path.exists(f'{d}/{n}.log')}
print(f"{'layer':18s} {'N':>3s}" + ''.join(f'{n[:10]:>11s}' for n in times))
for key in times['auto']:
    best = min(t.get(key, float('inf')) for t in times.values())
    print(f'{key[0]:18s} {key[1]:>3s}' + ''.join(f"{t.get(key, 0):10.1f}{'*' if t.get(key) == best else ' '}" for t in times.values()))
PY
tar -czf "${OUT:-/tmp}/sweep.tgz" -C "$(dirname "$out")" sweep && rm -rf "$out"
