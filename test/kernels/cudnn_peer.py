"""cuDNN's GPU time per layer through PyTorch, measured in the same device call as kernel_test --bench.

Same method as ../shared/reference/h100-anchors.md: benchmark mode, channels_last fp16, stride 1, padding 1,
no bias; 20 calls captured in one CUDA graph (inputs rotated over 4 buffers), median over 20 replays of the time
per call. Prints one line per layer: `peer <name> <N> <µs>`.
"""
import statistics
import torch

LAYERS = [("resnet50 64x56", 1, 64, 56, 64), ("resnet50 256x14", 1, 256, 14, 256), ("vgg16 256x56", 1, 256, 56, 256),
          ("sd15 320x64", 1, 320, 64, 320), ("sd15 640x32", 1, 640, 32, 640), ("sd15 1280x16", 1, 1280, 16, 1280),
          ("resnet50 64x56", 32, 64, 56, 64), ("resnet50 256x14", 32, 256, 14, 256), ("vgg16 256x56", 32, 256, 56, 256),
          ("sd15 320x64", 32, 320, 64, 320), ("sd15 640x32", 32, 640, 32, 640), ("sd15 1280x16", 32, 1280, 16, 1280)]

torch.backends.cudnn.benchmark = True
print("peer device", torch.cuda.get_device_name(), "cudnn", torch.backends.cudnn.version(), flush=True)
for name, n, c, hw, k in LAYERS:
    xs = [torch.randn(n, c, hw, hw, device="cuda", dtype=torch.half).to(memory_format=torch.channels_last)
          for _ in range(4)]
    w = (torch.randn(k, c, 3, 3, device="cuda", dtype=torch.half) * 0.05).to(memory_format=torch.channels_last)
    with torch.no_grad():
        for x in xs * 3:
            torch.nn.functional.conv2d(x, w, padding=1)
        torch.cuda.synchronize()
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.stream(stream):
            with torch.cuda.graph(graph):
                for i in range(20):
                    torch.nn.functional.conv2d(xs[i % 4], w, padding=1)
        torch.cuda.synchronize()
        times = []
        for _ in range(22):
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            graph.replay()
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop) * 1000 / 20)
    print(f"peer {name:18s} {n:3d} {statistics.median(times[2:]):10.1f}", flush=True)
