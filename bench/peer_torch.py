#!/usr/bin/env python3
"""PyTorch peer for `nova bench`: the same suite layers through torch.nn.functional.conv2d (cuDNN, benchmark mode)
and torch.compile, on the same card. A framework users know, for context: it is NOT our code.

Columns (µs per call, median over --reps):
  eager_us    one F.conv2d call with CUDA events around it, as a PyTorch user sees it (framework overhead included)
  graph_us    the same call captured G times in a CUDA graph, time per call: cuDNN's own GPU time through PyTorch
  compile_us  torch.compile'd conv (default mode), events around each call, like eager
  rel_err     ||out - ref|| / ||ref|| against a float64 convolution of the same fp16 values

Data as in nova bench: i.i.d. uniform on j/1024, j = -1024..1024 (exact in fp16), NHWC (channels_last) fp16.
Inputs rotate over enough copies to exceed 3x the L2 cache, as ours do.

    python3 bench/peer_torch.py --suite all --batch 1,32 --json bench/results/peer.json
    node dist/cli/nova.js bench --from ours.json --peer bench/results/peer.json --md report.md
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.abspath(__file__))


def load_suites(names):
    folder = os.path.join(ROOT, "suites")
    available = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json"))
    if names == ["all"]:
        names = available
    for n in names:
        if n not in available:
            sys.exit(f"peer_torch.py: unknown suite {n!r} (have {', '.join(available)})")
    out = []
    for n in names:
        with open(os.path.join(folder, n + ".json")) as f:
            out.append(json.load(f))
    return out


def uniform(shape, gen):
    return (torch.randint(-1024, 1025, shape, generator=gen, device="cuda", dtype=torch.int32).to(torch.float32) / 1024).half()


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])


def time_events(fn, args_list, reps):
    """One event pair per call, cycling through the argument sets."""
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for i in range(reps):
        a = args_list[i % len(args_list)]
        starts[i].record()
        fn(*a)
        ends[i].record()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) * 1000.0 for s, e in zip(starts, ends)]


def time_graph(fn, args_list, reps, per_call_us):
    """G calls captured in one graph (G sized so a replay lasts >= ~200 us, then rounded up to a multiple of the
    argument sets so that every replay cycles through all of them), replayed `reps` times."""
    sets = len(args_list)
    calls = max(1, min(20, math.ceil(200.0 / max(per_call_us, 1.0))))
    calls = (calls + sets - 1) // sets * sets
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for i in range(3):
            fn(*args_list[i % len(args_list)])
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(calls):
            fn(*args_list[i % len(args_list)])
    graph.replay()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for i in range(reps):
        starts[i].record()
        graph.replay()
        ends[i].record()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) * 1000.0 / calls for s, e in zip(starts, ends)], calls


def conv(x, w):
    return F.conv2d(x, w, padding=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="all", help="comma list or 'all'")
    p.add_argument("--layer", default=None, help="only these layer names (comma list)")
    p.add_argument("--batch", default="1,32")
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile (it compiles once per shape)")
    p.add_argument("--json", default=None, help="write the peer report here (else stdout)")
    args = p.parse_args()

    if not torch.cuda.is_available():
        sys.exit("peer_torch.py: no CUDA device visible to PyTorch")
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    props = torch.cuda.get_device_properties(0)
    l2 = getattr(props, "L2_cache_size", 50 << 20)
    # One compiled function for every shape: raise the recompile limit so no shape silently falls back to eager.
    for limit in ("recompile_limit", "cache_size_limit"):
        if hasattr(torch._dynamo.config, limit):
            setattr(torch._dynamo.config, limit, 256)
    compiled = None if args.no_compile else torch.compile(conv)
    batches = [int(b) for b in args.batch.split(",")]
    layers_only = set(args.layer.split(",")) if args.layer else None
    gen = torch.Generator(device="cuda")
    gen.manual_seed(1)

    rows = []
    for suite in load_suites(args.suite.split(",")):
        for layer in suite["layers"]:
            if layers_only and layer["name"] not in layers_only:
                continue
            for n in batches:
                c, k, h, w = layer["c"], layer["k"], layer["h"], layer["w"]
                set_bytes = 2 * (n * c * h * w + k * c * 9 + n * k * h * w)
                sets = max(1, min(4096, math.ceil(3 * l2 / set_bytes)))  # as nova bench: >= 3x L2 on every layer
                xs = [uniform((n, c, h, w), gen).to(memory_format=torch.channels_last) for _ in range(sets)]
                ws = [uniform((k, c, 3, 3), gen).to(memory_format=torch.channels_last) for _ in range(sets)]
                args_list = list(zip(xs, ws))
                row = {"suite": suite["suite"], "layer": layer["name"], "batch": n, "n": n, "c": c, "k": k, "h": h, "w": w}
                try:
                    for i in range(args.warmup):
                        conv(*args_list[i % sets])
                    torch.cuda.synchronize()
                    eager = time_events(conv, args_list, args.reps)
                    row["eager_us"] = median(eager)
                    graph_times, calls = time_graph(conv, args_list, args.reps, row["eager_us"])
                    row["graph_us"] = median(graph_times)
                    row["graph_calls"] = calls
                    if compiled is not None:
                        t0 = time.time()
                        for i in range(max(3, args.warmup)):
                            compiled(*args_list[i % sets])
                        torch.cuda.synchronize()
                        row["compile_seconds"] = round(time.time() - t0, 2)
                        row["compile_us"] = median(time_events(compiled, args_list, args.reps))
                    else:
                        row["compile_us"] = None
                    out = conv(xs[0], ws[0]).double()
                    ref = F.conv2d(xs[0].double(), ws[0].double(), padding=1)
                    row["rel_err"] = (torch.linalg.vector_norm(out - ref) / torch.linalg.vector_norm(ref)).item()
                except torch.cuda.OutOfMemoryError as e:  # report, keep going
                    row.update(eager_us=None, graph_us=None, compile_us=None, rel_err=None, error=str(e).splitlines()[0])
                rows.append(row)
                print(f"{row['suite']} {row['layer']} N={n}: eager {row.get('eager_us')} graph {row.get('graph_us')} "
                      f"compile {row.get('compile_us')} rel_err {row.get('rel_err')}", file=sys.stderr, flush=True)
                del xs, ws, args_list
                torch.cuda.empty_cache()

    report = {
        "header": {
            "tool": "bench/peer_torch.py (PyTorch peer, not NOVA code)",
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "cudnn": str(torch.backends.cudnn.version()),
            "device": torch.cuda.get_device_name(0),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "reps": args.reps,
            "layout": "nhwc (channels_last) fp16",
        },
        "rows": rows,
    }
    text = json.dumps(report, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
