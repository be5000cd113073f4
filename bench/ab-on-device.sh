#!/usr/bin/env bash
# A/B of GPU addons on the device machine: `nova bench` (ours and cuDNN, same method as run-on-device.sh) once per
# addon per round, the addons' order reversed every other round, then per cell the median over rounds of our time,
# its change against the first addon, cuDNN's time (median over every run) and each addon's cuDNN / ours, and the
# geomeans: the same card, the same call, cuDNN timed in every run. The twenty-first session's A/B tables in
# bench/results/ came from this form (first run on an H100, 2026-11-27); the twentieth session's from a scratch form of
# it (the same runs; cuDNN's column there the median of each addon's medians).
#
#   bash bench/ab-on-device.sh base=path/to/nova_gpu.node new=other/nova_gpu.node [...]
#
# env: BATCHES (1,32), SUITES (every suite), LAYERS (every layer of those; e.g. 64x56,256x14), ALGO (auto), ROUNDS
# (2), OUT (./ab-out: per-run JSON and logs, ab.txt).
# Expects what run-on-device.sh expects (dist/, .carry/bench/node.xz) and the CPU addon (build/Release/nova_cpu.node,
# the float64 reference of the accuracy column).
set -u -o pipefail
[ $# -ge 2 ] || { echo "usage: ab-on-device.sh name=addon.node name=addon.node [...]" >&2; exit 2; }
out=${OUT:-./ab-out}
pkg=${NOVA_BENCH_PKG:-.}
mkdir -p "$out" /tmp/nova-ab
node=/tmp/nova-ab/node
xz -dc .carry/bench/node.xz > "$node" && chmod +x "$node" || { echo "no carried node"; exit 1; }
names=(); addons=()
for pair in "$@"; do names+=("${pair%%=*}"); addons+=("$(realpath "${pair#*=}")"); done
rounds=${ROUNDS:-2}
for r in $(seq 1 "$rounds"); do
  order=("${!names[@]}")
  [ $((r % 2)) = 0 ] && order=($(printf '%s\n' "${!names[@]}" | tac))
  for i in "${order[@]}"; do
    t0=$SECONDS
    NOVA_GPU_ADDON=${addons[$i]} timeout 600 "$node" "$pkg/dist/cli/nova.js" bench \
      --suite "${SUITES:-resnet50,sd15,sdxl,vgg16,esrgan,densenet161}" --batch "${BATCHES:-1,32}" \
      --algo "${ALGO:-auto}" ${LAYERS:+--layer "$LAYERS"} --e2e-reps 5 --json "$out/${names[$i]}_r$r.json.gz" \
      > "$out/${names[$i]}_r$r.log" 2>&1 ||
      echo "${names[$i]} round $r FAILED: see $out/${names[$i]}_r$r.log"
    echo "${names[$i]} round $r: $((SECONDS - t0)) s"
  done
done
python3 - "$out" "$rounds" "${ALGO:-auto}" "${names[@]}" <<'PY' | tee "$out/ab.txt"
import gzip, json, math, sys
out, rounds, algo, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(',')[0], sys.argv[4:]
def load(path):
    try:
        rows = json.load(gzip.open(path, 'rt'))['rows']
    except (OSError, ValueError, KeyError) as e:
        print(f'cannot read {path}: {e}')
        return {}
    return {(r['suite'], r['layer'], r['batch']): r for r in rows if r['status'] == 'ok' and r['algo'] == algo}
runs = {n: [load(f'{out}/{n}_r{r}.json.gz') for r in range(1, rounds + 1)] for n in names}
def median(values):
    v = sorted(values)
    return float('nan') if not v else v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
def ours(n, key): return median([run[key]['ours_us'] for run in runs[n] if key in run])
def vendor(key): return median([run[key]['vendor_us'] for n in names for run in runs[n] if run.get(key, {}).get('vendor_us')])
keys = [k for k in runs[names[0]][0] if all(any(k in run for run in runs[n]) for n in names)]
print(f"{algo}: µs, median of {rounds} rounds; % against {names[0]}; cuDNN / ours per addon")
print(f"{'suite':12s} {'layer':11s} {'N':>2s}" + ''.join(f'{n[:9]:>10s}' for n in names) +
      ''.join(f'{n[:8] + " %":>10s}' for n in names[1:]) + f"{'cuDNN':>10s}" + ''.join(f'{"x " + n[:7]:>10s}' for n in names))
logs = {n: [] for n in names[1:]}
suites = {n: {} for n in names}
for k in keys:
    base, v = ours(names[0], k), vendor(k)
    row = f'{k[0]:12s} {k[1]:11s} {k[2]:>2d}' + ''.join(f'{ours(n, k):10.2f}' for n in names)
    for n in names[1:]:
        logs[n].append(math.log(ours(n, k) / base))
        row += f'{100 * (ours(n, k) / base - 1):+9.1f}%'
    row += f'{v:10.2f}'
    for n in names:
        row += f'{v / ours(n, k):10.3f}'
        suites[n].setdefault(f'{k[0]}/{k[2]}', []).append(math.log(v / ours(n, k)))
    print(row)
for n in names[1:]:
    print(f'geomean of ours, {n} against {names[0]}: {100 * (math.exp(sum(logs[n]) / len(logs[n])) - 1):+.2f} % over {len(logs[n])} cells')
for n in names:
    print(f'{n} cuDNN / ours per suite / batch: ' + ' '.join(f'{s} {math.exp(sum(v) / len(v)):.3f}' for s, v in suites[n].items()))
PY
