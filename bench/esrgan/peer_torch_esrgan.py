#!/usr/bin/env python3
"""PyTorch peer for the ESRGAN bench: the same esrgan-thick network with the same published weights, read from
the same model.json + shards (parsed here with numpy, no TensorFlow), run through PyTorch + cuDNN in fp16 with
channels_last tensors on the same card. It is NOT our code; it gives the number a PyTorch user would get.

Modes (ms per image, median over --reps after --warmup):
  eager   one forward, CUDA events around it (PyTorch's per-op launch overhead included)
  graph   the forward captured once in a CUDA graph and replayed: cuDNN's GPU time without launch gaps

The network is interpreted from the Keras topology exactly as src-ts/models/esrgan/tfjs-layers.ts does:
Conv2D 3x3 'same' (+relu), Activation relu, Concatenate (channels), Add, MultiplyBeta (x * beta), and
PixelShuffle<N>x = TensorFlow depth_to_space (DCR channel order; torch.nn.functional.pixel_shuffle is CRD and
would scramble the colours). Input RGB in [0, 1]; output clipped to [0, 1] when saved.

    python3 bench/esrgan/peer_torch_esrgan.py --model /path/esrgan-thick/models/x4/model.json \
        --sizes 128,256,512 --json peer.json [--fixture fixture.png --ref ref64.f32]
"""
import argparse
import json
import math
import os
import statistics
import sys

import numpy as np
import torch
import torch.nn.functional as F


def read_layers_model(path):
    with open(path) as f:
        model = json.load(f)
    weights = {}
    for group in model["weightsManifest"]:
        blob = b"".join(open(os.path.join(os.path.dirname(path), p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            if w["dtype"] != "float32" or "quantization" in w:
                sys.exit(f"peer: weight {w['name']} is not plain float32")
            count = int(np.prod(w["shape"]))
            weights[w["name"]] = np.frombuffer(blob, dtype="<f4", count=count, offset=offset).reshape(w["shape"])
            offset += count * 4
    config = model["modelTopology"]["model_config"]["config"]
    return config, weights


class Esrgan(torch.nn.Module):
    """Runs the Keras layer list in order; conv weights HWIO -> OIHW."""

    def __init__(self, config, weights, dtype):
        super().__init__()
        self.layers = config["layers"]
        self.output = config["output_layers"][0][0]
        self.kernels = torch.nn.ParameterDict()
        self.biases = torch.nn.ParameterDict()
        for layer in self.layers:
            if layer["class_name"] == "Conv2D":
                name = layer["name"]
                kernel = torch.from_numpy(weights[f"{name}/kernel"].copy()).permute(3, 2, 0, 1).contiguous()
                key = name.replace(".", "_")
                self.kernels[key] = torch.nn.Parameter(kernel.to(dtype), requires_grad=False)
                self.biases[key] = torch.nn.Parameter(torch.from_numpy(weights[f"{name}/bias"].copy()).to(dtype), requires_grad=False)

    def forward(self, x):
        values = {}
        for layer in self.layers:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            sources = [values[src[0]] for src in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if kind == "InputLayer":
                y = x
            elif kind == "Conv2D":
                key = name.replace(".", "_")
                y = F.conv2d(sources[0], self.kernels[key], self.biases[key], padding=1)
                if cfg.get("activation") == "relu":
                    y = F.relu(y)
            elif kind == "Activation":
                y = F.relu(sources[0]) if cfg["activation"] == "relu" else sources[0]
            elif kind == "Concatenate":
                y = torch.cat(sources, dim=1)
            elif kind == "Add":
                y = sources[0]
                for s in sources[1:]:
                    y = y + s
            elif kind == "MultiplyBeta":
                y = sources[0] * cfg["beta"]
            elif kind.startswith("PixelShuffle"):
                b = cfg["scale"]
                n, c, h, w = sources[0].shape
                # TF depth_to_space (DCR): channel (i*b + j)*C' + c goes to pixel (y*b + i, x*b + j), channel c.
                y = sources[0].reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // (b * b), h * b, w * b)
                y = y.contiguous(memory_format=torch.channels_last)
            else:
                raise SystemExit(f"peer: unsupported layer {kind} ({name})")
            values[name] = y
        return values[self.output]


def read_png_rgb(path):
    # pngjs is not here; decode with the Python standard library (zlib) for 8-bit RGB/RGBA non-interlaced PNGs.
    import struct
    import zlib

    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and color in (2, 6) and interlace == 0, "peer: only 8-bit RGB(A) non-interlaced PNG"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 0:
                p = 0
            elif filt == 1:
                p = a
            elif filt == 2:
                p = b
            elif filt == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (line[i] + p) & 255
        out[y] = cur
        prev = cur
    return (out.reshape(height, width, channels)[:, :, :3].astype(np.float32) / 255.0)


def time_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--sizes", default="128,256,512")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--fixture", help="PNG to upscale for the accuracy check")
    parser.add_argument("--ref", help="float64-forward output of the fixture (float32 NHWC raw file)")
    parser.add_argument("--json")
    args = parser.parse_args()

    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    config, weights = read_layers_model(args.model)
    net = Esrgan(config, weights, torch.float16).cuda().eval()
    device = torch.cuda.get_device_name()
    result = {"device": device, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "sizes": []}

    with torch.inference_mode():
        if args.fixture:
            image = read_png_rgb(args.fixture)
            x = torch.from_numpy(image).permute(2, 0, 1)[None].cuda().half().contiguous(memory_format=torch.channels_last)
            y = net(x).float().permute(0, 2, 3, 1)[0].cpu().numpy()
            accuracy = {"nan": int(np.isnan(y).sum()), "inf": int(np.isinf(y).sum()), "min": float(np.nanmin(y)), "max": float(np.nanmax(y))}
            if args.ref:
                ref = np.fromfile(args.ref, dtype="<f4").reshape(y.shape)
                mse = float(np.mean((np.clip(y, 0, 1) - np.clip(ref, 0, 1)) ** 2))
                accuracy["psnr_vs_float64_db"] = 10 * math.log10(1 / mse) if mse > 0 else float("inf")
            result["fixture"] = accuracy
            print(f"peer fixture: {accuracy}", flush=True)

        for size in [int(s) for s in args.sizes.split(",")]:
            x = torch.rand(1, 3, size, size, device="cuda", dtype=torch.float16).contiguous(memory_format=torch.channels_last)
            eager_ms, _ = time_ms(lambda: net(x), args.warmup, args.reps)
            row = {"size": size, "eager_ms": eager_ms}
            try:
                static_in = x.clone()
                stream = torch.cuda.Stream()
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    for _ in range(2):
                        net(static_in)
                torch.cuda.current_stream().wait_stream(stream)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    static_out = net(static_in)
                graph_ms, _ = time_ms(graph.replay, args.warmup, args.reps)
                row["graph_ms"] = graph_ms
                del graph, static_out
            except Exception as error:  # capture can fail (memory); report it, keep eager
                row["graph_error"] = str(error).split("\n")[0]
            row["images_per_s_eager"] = 1000 / eager_ms
            if "graph_ms" in row:
                row["images_per_s_graph"] = 1000 / row["graph_ms"]
            result["sizes"].append(row)
            print(f"peer {size}x{size}: {row}", flush=True)
            torch.cuda.empty_cache()

    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
