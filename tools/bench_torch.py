#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch's CPU forward time for torchvision ResNets, next to `mcam bench`.

1. Exports torchvision resnet18 and resnet50 with random weights (fixed seed,
   random BatchNorm statistics too) to tools/out/NAME.safetensors (not
   committed: 47 MB and 100 MB), so both programs time the SAME weights, plus
   NAME-expected.safetensors (an input batch, PyTorch's f and logits) that
   test-net's /mcam/net/torchvision checks when the files are present.
2. Times PyTorch (eval, no_grad, --threads threads, batch 1 and 8): warm-up
   passes, then --runs timed passes; median, min, max.
3. With --mcam PATH, runs `PATH bench --json` on the same file right after
   each PyTorch measurement, and prints a Markdown table with the ratio.

Usage (from the source root):
  /usr/bin/python3 tools/bench_torch.py --mcam BUILD/src/cli/mcam [--runs 10]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def build(name, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)()
    gen = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) * 0.5 + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean = torch.randn(n, generator=gen) * 0.1
            m.running_var = torch.rand(n, generator=gen) + 0.5
    return model.eval()


def export(name, model):
    path = os.path.join(OUT, name + ".safetensors")
    meta = {"mcam.format": "1", "mcam.arch": name, "mcam.input": "224x224",
            "mcam.resize": "center-crop", "mcam.multilabel": "false"}
    st_io.save(path, model.state_dict(), meta)
    # reference outputs for the engine's test on real torchvision networks
    feats = {}
    model.layer4.register_forward_hook(lambda m, i, o: feats.__setitem__("f", o))
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        logits = model(x)
    st_io.save(os.path.join(OUT, name + "-expected.safetensors"),
               {"input": x, "features": feats["f"], "logits": logits}, dtype="float32")
    return path


def time_torch(model, batch, runs, warmup):
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(42))
    times, cpu = [], []
    with torch.no_grad():
        for i in range(warmup + runs):
            t, c = time.perf_counter(), time.process_time()
            model(x)
            if i >= warmup:
                times.append((time.perf_counter() - t) * 1e3)
                cpu.append((time.process_time() - c) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "cpu_ms": statistics.median(cpu), "times_ms": times, "cpu_times_ms": cpu}


def time_mcam(mcam, path, batch, runs, warmup, threads):
    cmd = [mcam, "bench", "--model", path, "--batch", str(batch), "--runs", str(runs),
           "--warmup", str(warmup), "--threads", str(threads), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def print_pooled(rows):
    """One row per model and batch: every timed pass of every round pooled,
    so one unlucky round on a shared machine does not decide the ratio."""
    print("| model | batch | rounds × runs | PyTorch median (min–max) ms | mcam median (min–max) ms "
          "| PyTorch / mcam | mcam GFLOP/s | share of sgemm peak, per pass | CPU ms PyTorch / mcam |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    keys = []
    for name, batch, _, _, _ in rows:
        if (name, batch) not in keys:
            keys.append((name, batch))
    for name, batch in keys:
        sel = [(t, m) for n, b, _, t, m in rows if (n, b) == (name, batch)]
        tt = [x for t, _ in sel for x in t["times_ms"]]
        tc = [x for t, _ in sel for x in t["cpu_times_ms"]]
        line = "| %s | %d | %d × %d | %.1f (%.1f–%.1f) |" % (
            name, batch, len(sel), len(sel[0][0]["times_ms"]), statistics.median(tt), min(tt),
            max(tt))
        if sel[0][1]:
            mt = [x for _, m in sel for x in m["times_ms"]]
            mc = [x for _, m in sel for x in m["cpu_times_ms"]]
            med = statistics.median(mt)
            gflops = sel[0][1]["gflop_per_forward"] / (med * 1e-3)
            peak = max(m["sgemm_peak_gflops"] for _, m in sel)
            # share per pass, against the sgemm run right after that pass
            share = statistics.median([x for _, m in sel for x in m["peak_shares"]])
            line += " %.1f (%.1f–%.1f) | %.2f | %.0f | %.0f%% (best peak %.0f) | %.0f / %.0f |" % (
                med, min(mt), max(mt), statistics.median(tt) / med, gflops, 100 * share,
                peak, statistics.median(tc), statistics.median(mc))
        else:
            line += " – | – | – | – | %.0f / – |" % statistics.median(tc)
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mcam", help="path of the mcam binary (also time mcam bench)")
    ap.add_argument("--models", default="resnet18,resnet50")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat the whole PyTorch/mcam alternation (shared machines)")
    ap.add_argument("--no-export", action="store_true",
                    help="reuse tools/out/*.safetensors (same seed, same weights)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    print("torch %s, torchvision %s, %d threads, MKL-DNN %s" % (
        torch.__version__, torchvision.__version__, torch.get_num_threads(),
        torch.backends.mkldnn.is_available()), file=sys.stderr)

    rows = []
    for name in args.models.split(","):
        model = build(name, seed=0)
        path = os.path.join(OUT, name + ".safetensors")
        if not (args.no_export and os.path.exists(path)):
            path = export(name, model)
        print("load average %.2f %.2f %.2f" % os.getloadavg(), file=sys.stderr)
        for batch in [int(b) for b in args.batches.split(",")]:
            for rnd in range(args.rounds):
                t = time_torch(model, batch, args.runs, args.warmup)
                m = time_mcam(args.mcam, path, batch, args.runs, args.warmup,
                              args.threads) if args.mcam else None
                rows.append((name, batch, rnd, t, m))
                line = "%s batch %d: torch median %.1f ms (min %.1f, max %.1f)" % (
                    name, batch, t["median_ms"], t["min_ms"], t["max_ms"])
                if m:
                    line += "; mcam median %.1f ms (min %.1f, max %.1f), %.0f GFLOP/s, " \
                            "%.0f%% of sgemm peak %.0f; torch/mcam %.2f" % (
                                m["median_ms"], m["min_ms"], m["max_ms"], m["gflops"],
                                100 * m["peak_share"], m["sgemm_peak_gflops"],
                                t["median_ms"] / m["median_ms"])
                print(line, file=sys.stderr, flush=True)

    if args.rounds > 1:
        print_pooled(rows)
        return
    print("| model | batch | PyTorch median (min–max) ms | mcam median (min–max) ms "
          "| PyTorch / mcam | mcam GFLOP/s | share of sgemm peak | CPU ms PyTorch / mcam |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, batch, rnd, t, m in rows:
        tc = "%.1f (%.1f–%.1f)" % (t["median_ms"], t["min_ms"], t["max_ms"])
        if m:
            mc = "%.1f (%.1f–%.1f)" % (m["median_ms"], m["min_ms"], m["max_ms"])
            print("| %s | %d | %s | %s | %.2f | %.0f | %.0f%% of %.0f | %.0f / %.0f |" % (
                name, batch, tc, mc, t["median_ms"] / m["median_ms"], m["gflops"],
                100 * m["peak_share"], m["sgemm_peak_gflops"], t["cpu_ms"], m["cpu_ms"]))
        else:
            print("| %s | %d | %s | – | – | – | – | %.0f / – |" % (name, batch, tc, t["cpu_ms"]))


if __name__ == "__main__":
    main()
