#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check `mcam explain --json` against an independent PyTorch implementation of
DESIGN 4 on a real image: torchvision's ResNet and preprocessing give f; from
it p, p_s, p' (of the class), z, Algorithm 1's Δ (same seeded generator, see
make_memory_fixtures.Rng) and the `mcam` / `mcam-profile` maps for the slot
mcam reports. Prints the largest relative error of each (normalised by the
reference's largest magnitude).

Usage (source root): /usr/bin/python3 tools/check_explain.py MCAM MODEL MEMORY IMAGE CLASS [SEED]
Only torchvision architectures (mcam.arch resnet18 ... resnet152).
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402
from make_memory_fixtures import Rng, addr, cos  # noqa: E402


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def main():
    mcam, model_path, mem_path, image, cls = sys.argv[1:6]
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    t, meta = st_io.load(model_path)
    arch = meta["mcam.arch"]
    C = t["fc.weight"].shape[0]
    net = getattr(torchvision.models, arch)(num_classes=C)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in t.items()})
    net.eval()
    W, H = (int(x) for x in meta.get("mcam.input", "224x224").split("x"))
    mean = json.loads(meta.get("mcam.mean", "[0.485, 0.456, 0.406]"))
    std = json.loads(meta.get("mcam.std", "[0.229, 0.224, 0.225]"))
    # mcam's reading of the keys (docs/MODEL-FORMAT.md): absent resize means
    # center-crop, absent resize-size round(max(W, H) / 0.875)
    interp = getattr(transforms.InterpolationMode, meta.get("mcam.interpolation", "bilinear").upper())
    if meta.get("mcam.resize", "center-crop") == "center-crop":
        size = int(meta.get("mcam.resize-size", int(max(W, H) / 0.875 + 0.5)))
        steps = [transforms.Resize(size, interpolation=interp), transforms.CenterCrop((H, W))]
    else:
        steps = [transforms.Resize((H, W), interpolation=interp)]
    x = transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(mean, std)])(
        Image.open(image).convert("RGB"))[None]
    feats = {}
    net.layer4.register_forward_hook(lambda m, i, o: feats.__setitem__("f", o))
    with torch.no_grad():
        net(x)
    d = torch.float64
    f = feats["f"][0].to(d)
    c, h, w = f.shape

    m, mmeta = st_io.load(mem_path)
    P = {k: torch.from_numpy(v).to(d) for k, v in m.items()}
    s = float(mmeta.get("mcam.memory.scale", "1"))
    S, K, V = P["memory.S"], P["memory.K"], P["memory.V"]
    N = K.shape[0]
    q = f.mean(dim=(1, 2))
    p = addr(q, K, s)
    p_s = addr(f.reshape(-1), S.reshape(N, -1), s)
    z = torch.cat([p @ V, q]) @ P["memory.fc.weight"].T + P["memory.fc.bias"]

    out = {}
    for method in ("mcam", "mcam-profile"):
        cmd = [mcam, "explain", "--model", model_path, "--memory", mem_path, "--class", cls,
               "--method", method, "--seed", str(seed), "--json", image]
        out[method] = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                                text=True).stdout)
    j = out["mcam"]
    k = j["class_index"]
    e = torch.zeros(C, dtype=d)
    e[k] = 1
    g = torch.relu(e @ P["memory.G.0.weight"].T + P["memory.G.0.bias"])
    g = g @ P["memory.G.2.weight"].T + P["memory.G.2.bias"]
    p_value = addr(g, V, s)

    rng = Rng(seed)
    delta = np.zeros(N)
    for i in range(N):
        wv = torch.tensor([rng.normal() for _ in range(c)], dtype=torch.float32).to(d)
        Kt = K.clone()
        Kt[i] = wv
        pt = addr(q, Kt, s)
        zt = torch.cat([pt @ V, q]) @ P["memory.fc.weight"].T + P["memory.fc.bias"]
        delta[i] = float(z[k] - zt[k])

    print("features %dx%dx%d, N=%d, C=%d, class %d, s=%g" % (c, h, w, N, C, k, s))
    print("p        %.2e" % rel(j["p"], p))
    print("p_s      %.2e" % rel(j["p_s"], p_s))
    print("p_value  %.2e" % rel(j["p_value"], p_value))
    print("z        %.2e" % rel(j["memory_logits"], z))
    print("delta    %.2e   slot %d, argmax delta %d, reference argmax %d" % (
        rel(j["delta"], delta), j["slot"], int(np.argmax(j["delta"])), int(np.argmax(delta))))
    for method in ("mcam", "mcam-profile"):
        n = out[method]["slot"]
        if method == "mcam":
            wk = torch.exp(cos(f.reshape(c, -1), S[n].reshape(c, -1)))
        else:
            a = S.mean(dim=(2, 3))
            dd = a[n] - a.mean(0)
            wk = torch.exp((dd - dd.mean()) / (dd.std() + 1e-8))
        ref = torch.relu((wk[:, None, None] * f).sum(0))
        print("%-13s map %.2e, weights %.2e (slot %d)" % (
            method, rel(out[method]["map"], ref), rel(out[method]["weights"], wk), n))


if __name__ == "__main__":
    main()
