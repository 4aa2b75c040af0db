#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for the baseline CAM methods (DESIGN 5), computed
independently of the C code with PyTorch autograd (float64), for
tests/core/test-baselines.c.

Two heads on one random feature map f [c,h,w] (after a ReLU):
- the target network's head: logits = W GAP(f) + b;
- a memory classifier: q = GAP(f), p = softmax(s cos(q, K_i)), v = pV,
  z = fc([v ; q]) (DESIGN 4.3).
For every class of each head: dlogit/df by autograd, and the maps (before the
ReLU, and after) of Grad-CAM, Grad-CAM++ (Eq. 19 of Chattopadhay et al., no
constant in the denominator), HiResCAM, XGrad-CAM, LayerCAM, EigenGradCAM,
and EigenCAM (SVD of the centred f, sign: positive correlation with the mean
activation). Writes tests/fixtures/baselines-reference.safetensors.
Run: /usr/bin/python3 tools/make_baseline_fixtures.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "baselines-reference.safetensors")

c, h, w, C, N = 12, 5, 6, 4, 6
SCALE = 10.0

g = torch.Generator().manual_seed(20211122)
dt = torch.float64
# Sparse, non-negative features like a ReLU output, with some structure.
f = torch.relu(torch.randn(c, h, w, generator=g, dtype=dt) + 0.3)
W = torch.randn(C, c, generator=g, dtype=dt)
b = torch.randn(C, generator=g, dtype=dt)
K = torch.randn(N, c, generator=g, dtype=dt)
V = torch.randn(N, c, generator=g, dtype=dt)
fc_w = 0.5 * torch.randn(C, 2 * c, generator=g, dtype=dt)
fc_b = torch.randn(C, generator=g, dtype=dt)


def target_head(x):
    return W @ x.mean(dim=(1, 2)) + b


def memory_head(x):
    q = x.mean(dim=(1, 2))
    cosv = (K @ q) / torch.clamp(K.norm(dim=1) * q.norm(), min=1e-8)
    p = torch.softmax(SCALE * cosv, dim=0)
    v = p @ V
    return fc_w @ torch.cat([v, q]) + fc_b


def eigen(x):
    """First principal component of x [c,h,w]: positions are the samples."""
    X = x.reshape(c, -1).T                     # [hw, c]
    Xc = X - X.mean(dim=0, keepdim=True)
    _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    proj = Xc @ Vh[0]
    mean_act = x.reshape(c, -1).mean(dim=0)
    if torch.dot(proj, mean_act - mean_act.mean()) < 0:
        proj = -proj
    return proj.reshape(h, w)


def maps_for(grad):
    A = f
    out = {}
    wg = grad.mean(dim=(1, 2))
    out["gradcam"] = (wg[:, None, None] * A).sum(0)
    g2, g3 = grad ** 2, grad ** 3
    S = A.sum(dim=(1, 2))
    den = 2 * g2 + S[:, None, None] * g3
    alpha = torch.where(den != 0, g2 / torch.where(den != 0, den, torch.ones_like(den)),
                        torch.zeros_like(den))
    wpp = (alpha * torch.relu(grad)).sum(dim=(1, 2))
    out["gradcampp"] = (wpp[:, None, None] * A).sum(0)
    out["hirescam"] = (grad * A).sum(0)
    wx = (A * grad).sum(dim=(1, 2)) / S
    out["xgradcam"] = (wx[:, None, None] * A).sum(0)
    out["layercam"] = (torch.relu(grad) * A).sum(0)
    out["eigengradcam"] = eigen(grad * A)
    return out, {"gradcam": wg, "gradcampp": wpp, "xgradcam": wx}


tensors = {"f": f, "W": W, "b": b, "K": K, "V": V, "fc_w": fc_w, "fc_b": fc_b,
           "eigencam": torch.relu(eigen(f))}
for head_name, head in (("target", target_head), ("memory", memory_head)):
    for k in range(C):
        x = f.clone().requires_grad_(True)
        head(x)[k].backward()
        grad = x.grad.detach()
        tensors[f"{head_name}.{k}.grad"] = grad
        maps, weights = maps_for(grad)
        for name, m in maps.items():
            tensors[f"{head_name}.{k}.{name}"] = torch.relu(m)
        for name, wv in weights.items():
            tensors[f"{head_name}.{k}.{name}.weights"] = wv
    # Ablation-CAM: the drop of the class logit when channel k is zeroed.
    for k in range(C):
        drops = []
        for ch in range(c):
            x = f.clone()
            x[ch] = 0
            drops.append(head(f)[k] - head(x)[k])
        tensors[f"{head_name}.{k}.ablationcam.weights"] = torch.stack(drops)

# A larger map, positions < channels (the solver's Gram-matrix path), with a
# flat-ish spectrum: EigenCAM of f2 [96, 7, 7].
f2 = torch.relu(torch.randn(96, 7, 7, generator=g, dtype=dt))
X2 = f2.reshape(96, -1).T
X2c = X2 - X2.mean(dim=0, keepdim=True)
_, _, Vh2 = torch.linalg.svd(X2c, full_matrices=False)
p2 = X2c @ Vh2[0]
m2 = f2.reshape(96, -1).mean(dim=0)
if torch.dot(p2, m2 - m2.mean()) < 0:
    p2 = -p2
tensors["f2"] = f2
tensors["eigencam2"] = torch.relu(p2.reshape(7, 7))

# Through a real backbone: the fixture ResNet of tests/test-net (net-bottleneck,
# its torchvision features for three inputs in net-bottleneck-expected) and
# its memory module. The C test runs the network on the same inputs and
# explains through mcam_explain(); we compute the maps here from PyTorch's
# own features and autograd through the heads.
FIX = os.path.join(ROOT, "tests", "fixtures")
exp, _ = st_io.load(os.path.join(FIX, "net-bottleneck-expected.safetensors"))
net, _ = st_io.load(os.path.join(FIX, "net-bottleneck.safetensors"))
mem, mem_meta = st_io.load(os.path.join(FIX, "memory-bottleneck.safetensors"))
Wn = torch.tensor(net["fc.weight"], dtype=dt)
bn = torch.tensor(net["fc.bias"], dtype=dt)
Km = torch.tensor(mem["memory.K"], dtype=dt)
Vm = torch.tensor(mem["memory.V"], dtype=dt)
fcw = torch.tensor(mem["memory.fc.weight"], dtype=dt)
fcb = torch.tensor(mem["memory.fc.bias"], dtype=dt)
sm = float(mem_meta.get("mcam.memory.scale", "1"))
feats = torch.tensor(exp["features"], dtype=dt)
n_img, cn, hn, wn = feats.shape


def net_head(x):
    return Wn @ x.mean(dim=(1, 2)) + bn


def net_memory_head(x):
    q = x.mean(dim=(1, 2))
    cosv = (Km @ q) / torch.clamp(Km.norm(dim=1) * q.norm(), min=1e-8)
    p = torch.softmax(sm * cosv, dim=0)
    return fcw @ torch.cat([p @ Vm, q]) + fcb


def eigen_of(x):
    cc = x.shape[0]
    X = x.reshape(cc, -1).T
    Xc = X - X.mean(dim=0, keepdim=True)
    _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    proj = Xc @ Vh[0]
    mean_act = x.reshape(cc, -1).mean(dim=0)
    if torch.dot(proj, mean_act - mean_act.mean()) < 0:
        proj = -proj
    return proj.reshape(x.shape[1:])


for i in range(n_img):
    A = feats[i]
    tensors[f"net.{i}.eigencam"] = torch.relu(eigen_of(A))
    for head_name, head in (("target", net_head), ("memory", net_memory_head)):
        for k in range(Wn.shape[0]):
            x = A.clone().requires_grad_(True)
            head(x)[k].backward()
            gr = x.grad.detach()
            wg = gr.mean(dim=(1, 2))
            tensors[f"net.{i}.{head_name}.{k}.gradcam"] = torch.relu((wg[:, None, None] * A).sum(0))
            S = A.sum(dim=(1, 2))
            den = 2 * gr ** 2 + S[:, None, None] * gr ** 3
            alpha = torch.where(den != 0, gr ** 2 / torch.where(den != 0, den, torch.ones_like(den)),
                                torch.zeros_like(den))
            wpp = (alpha * torch.relu(gr)).sum(dim=(1, 2))
            tensors[f"net.{i}.{head_name}.{k}.gradcampp"] = torch.relu((wpp[:, None, None] * A).sum(0))
            tensors[f"net.{i}.{head_name}.{k}.eigengradcam"] = torch.relu(eigen_of(gr * A))

st_io.save(OUT, {k: v.to(torch.float32) for k, v in tensors.items()},
           metadata={"mcam.memory.scale": str(SCALE), "generator": "tools/make_baseline_fixtures.py"})
print("wrote", OUT, len(tensors), "tensors")
