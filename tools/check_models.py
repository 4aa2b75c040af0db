#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Full-size networks through mcam against PyTorch (dev time, not CI).

Exports seeded random-weight torchvision networks (random BatchNorm
statistics too) with tools/export_model.py into tools/out/ (git-ignored):
DenseNet-121, MobileNetV3-Large, EfficientNet-B0, ConvNeXt-Tiny,
RegNetY-400MF and ResNeXt-50 as ONNX, ResNeXt-50 and Wide ResNet-50 as
safetensors. The files say `mcam.resize` = stretch and the test images are
224 x 224, so the comparison is about the network, not the resize. Then, on
a few generated images:

- `mcam classify --json`: logits vs PyTorch, max |diff| / max |logit| <= 1e-4;
- `mcam explain --json --method gradcam --class <PyTorch's top class>`: the
  map at feature resolution vs PyTorch autograd's Grad-CAM at the default
  target layer (ReLU(sum_k mean(dy_c/dA_k) A_k)), max |diff| / max <= 1e-3.

Prints one line per model and a Markdown table; exit status 1 if any fails.

Usage (from the source root):
  /usr/bin/python3 tools/check_models.py --mcam BUILD/src/cli/mcam [--models a,b] [--images 3]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
sys.path.insert(0, HERE)
import export_model  # noqa: E402

# name, format, the module whose output is the default target (None: DenseNet's
# functional ReLU after `features`)
MODELS = [
    ("densenet121", "onnx", None),
    ("mobilenet_v3_large", "onnx", "features"),
    ("efficientnet_b0", "onnx", "features"),
    ("convnext_tiny", "onnx", "features"),
    ("regnet_y_400mf", "onnx", "trunk_output"),
    ("resnext50_32x4d", "onnx", "layer4"),
    ("resnext50_32x4d", "safetensors", "layer4"),
    ("wide_resnet50_2", "safetensors", "layer4"),
    ("resnet50", "safetensors", "layer4"),
    ("resnet18", "safetensors", "layer4"),
]


def forward_with_target(model, target, x):
    """logits and the target tensor A of one forward pass (with grad)."""
    if target is None:   # DenseNet: the tensor its pooling sees
        a = F.relu(model.features(x))
        logits = model.classifier(torch.flatten(F.adaptive_avg_pool2d(a, 1), 1))
        return logits, a
    cap = {}
    h = getattr(model, target).register_forward_hook(lambda m, i, o: cap.__setitem__("a", o))
    logits = model(x)
    h.remove()
    return logits, cap["a"]


def torch_gradcam(model, target, x, c):
    logits, a = forward_with_target(model, target, x)
    (g,) = torch.autograd.grad(logits[0, c], a)
    w = g.mean(dim=(2, 3), keepdim=True)
    return F.relu((w * a).sum(1))[0].detach().numpy()


def run_json(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else \
            "exit %d" % out.returncode, time.perf_counter() - t
    return json.loads(out.stdout), None, time.perf_counter() - t


def export(name, fmt, no_export):
    model, _ = export_model.build_torchvision(name, seed=0)
    meta = export_model.metadata(None, 224, 224, "stretch", None, "bilinear")
    path = os.path.join(OUT, "check-%s.%s" % (name, fmt))
    if not (no_export and os.path.exists(path)):
        if fmt == "onnx":
            export_model.export_onnx(model, path, 224, 224, meta, 13)
        else:
            export_model.export_safetensors(model, path, name, meta)
    return model, path


def check(mcam, name, fmt, target, images, no_export):
    model, path = export(name, fmt, no_export)
    mean, std = export_model.IMAGENET_MEAN, export_model.IMAGENET_STD
    res = {"model": name, "format": fmt, "logits": None, "gradcam": None, "error": None}

    got, err, secs = run_json([mcam, "classify", "--model", path, "--json"] + [p for p, _ in images])
    if err:
        res["error"] = "classify: " + err
        return res
    res["classify_s"] = secs
    worst = 0.0
    tops = []
    for (p, rgb), img in zip(images, got["images"]):
        with torch.no_grad():
            want = model(export_model.normalise(rgb, mean, std)).numpy()[0]
        worst = max(worst, export_model.max_rel(img["logits"], want))
        tops.append(int(np.argmax(want)))
    res["logits"] = worst

    worst = 0.0
    for (p, rgb), c in zip(images, tops):
        got, err, secs = run_json([mcam, "explain", "--model", path, "--method", "gradcam",
                                   "--class", str(c), "--json", p])
        if err:
            res["error"] = "explain: " + err
            return res
        res["explain_s"] = secs
        want = torch_gradcam(model, target, export_model.normalise(rgb, mean, std), c)
        m = np.asarray(got["map"], np.float64).reshape(want.shape)
        worst = max(worst, export_model.max_rel(m, want))
    res["gradcam"] = worst
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mcam", help="path of the mcam binary")
    ap.add_argument("--export-only", action="store_true", help="write tools/out/check-* and stop")
    ap.add_argument("--models", help="comma-separated names (default: all ten)")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--no-export", action="store_true", help="reuse tools/out/check-* files")
    args = ap.parse_args()

    os.makedirs(os.path.join(OUT, "check-images"), exist_ok=True)
    images = []
    for i in range(args.images):
        rgb = export_model.test_image(224, 224, seed=10 + i)
        p = os.path.join(OUT, "check-images", "image-%d.png" % i)
        export_model.write_png(p, rgb)
        images.append((p, rgb))

    wanted = set(args.models.split(",")) if args.models else None
    rows = []
    for name, fmt, target in MODELS:
        if wanted and name not in wanted and "%s.%s" % (name, fmt) not in wanted:
            continue
        if args.export_only or not args.mcam:
            print("wrote %s" % export(name, fmt, args.no_export)[1], file=sys.stderr)
            continue
        r = check(args.mcam, name, fmt, target, images, args.no_export)
        ok = r["error"] is None and r["logits"] <= 1e-4 and r["gradcam"] <= 1e-3
        r["ok"] = ok
        rows.append(r)
        print("%-20s %-11s %s" % (name, fmt, "PASS" if ok else "FAIL"), (
            "logits %.1e, Grad-CAM %.1e" % (r["logits"], r["gradcam"]) if r["error"] is None
            else r["error"]), file=sys.stderr, flush=True)

    if not rows:
        return
    print("| model | file | logits: max \\|Δ\\| / max \\|logit\\| | Grad-CAM: max \\|Δ\\| / max | result |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        fmt = lambda v: "–" if v is None else "%.1e" % v  # noqa: E731
        print("| %s | %s | %s | %s | %s |" % (r["model"], r["format"], fmt(r["logits"]),
                                            fmt(r["gradcam"]),
                                            "pass" if r["ok"] else "FAIL: " + (r["error"] or "tolerance")))
    sys.exit(0 if all(r["ok"] for r in rows) else 1)


if __name__ == "__main__":
    main()
