#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Frozen PyTorch's side of tools/bench_ort --torch: times one forward pass.

  /usr/bin/python3 tools/bench_torch_frozen.py NAME BATCH THREADS RUNS WARMUP

NAME is a torchvision classifier; its weights are export_model.build_torchvision
(NAME, seed=0), the same ones bench_ort exports to tools/out/NAME.onnx, so the
three engines time the same network. The model is traced, frozen
(torch.jit.freeze) and optimised for inference (torch.jit.optimize_for_inference:
oneDNN convolutions, BN folded) — the strongest CPU setting PyTorch offers,
not eager mode. intra-op threads = THREADS, one inter-op thread; the input is
a fixed pseudo-random [BATCH, 3, 224, 224]. Prints one JSON object like
bench_ort.js: wall and CPU times (all threads of the process) in ms.
"""
import json
import os
import statistics
import sys
import time


def main():
    name, batch, threads, runs, warmup = sys.argv[1], *map(int, sys.argv[2:6])
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import export_model
    model, _ = export_model.build_torchvision(name, seed=0)
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(42))
    with torch.no_grad():
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
        times, cpu = [], []
        for i in range(warmup + runs):
            t0, c0 = time.perf_counter(), time.process_time()
            frozen(x)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            if i >= warmup:
                times.append(dt * 1e3)
                cpu.append(dc * 1e3)
    print(json.dumps({"torch_version": torch.__version__, "median_ms": statistics.median(times),
                      "times_ms": times, "cpu_times_ms": cpu}))


if __name__ == "__main__":
    main()
