#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for the memory-module trainer (DESIGN 4.2), from PyTorch autograd.

Writes tests/fixtures/train-tiny.safetensors: a tiny module (C=3 classes, N=5
slots, f of 4x2x3), a batch of 6 images (one without labels), the five loss
terms, the gradient of every trained tensor, and the parameters after three
torch.optim.Adam steps on that batch. The reference runs in float64 on
float32-rounded inputs, so the C trainer (float32) should agree to ~1e-6.

Run: /usr/bin/python3 tools/make_train_fixtures.py [OUT]
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

NAMES = ["S", "K", "V", "G0_w", "G0_b", "G2_w", "G2_b", "fc_w", "fc_b"]


def addr(x, M, s):
    """Eq. (1): softmax_i(s * cos(x, M_i)), cos = a.b / max(|a||b|, 1e-8)."""
    x = x.reshape(x.shape[0], -1)
    M = M.reshape(M.shape[0], -1)
    dot = x @ M.t()
    den = torch.clamp(x.norm(dim=1, keepdim=True) * M.norm(dim=1)[None, :], min=1e-8)
    logits = s * dot / den
    return torch.softmax(logits, dim=1), torch.log_softmax(logits, dim=1)


def bce(z, y):
    return torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none").mean(1)


def losses(P, f, y, s):
    c = P["K"].shape[1]
    q = f.mean(dim=(2, 3))
    vp = torch.relu(y @ P["G0_w"].t() + P["G0_b"]) @ P["G2_w"].t() + P["G2_b"]
    p, lp = addr(q, P["K"], s)
    pv, lpv = addr(vp, P["V"], s)
    ps, lps = addr(f, P["S"], s)
    v = p @ P["V"]
    vt = pv @ P["V"]
    z = torch.cat([v, q], 1) @ P["fc_w"].t() + P["fc_b"]
    zt = torch.cat([vt, q], 1) @ P["fc_w"].t() + P["fc_b"]
    terms = [
        bce(zt, y).mean(),
        bce(z, y).mean(),
        ((v - vt) ** 2).mean(1).mean(),
        (pv * (lpv - lps)).sum(1).mean(),
        (pv * (lpv - lp)).sum(1).mean(),
    ]
    assert c == q.shape[1]
    return sum(terms), terms


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
        "train-tiny.safetensors")
    rng = np.random.default_rng(20211)
    C, N, c, h, w, B, s = 3, 5, 4, 2, 3, 6, 4.0

    def r32(a):
        return np.asarray(a, dtype=np.float32)

    f = r32(np.maximum(rng.normal(0.3, 1.0, (B, c, h, w)), 0.0))
    y = r32(rng.random((B, C)) < 0.5)
    y[0] = 0.0                      # an image without labels
    y[1] = [1.0, 0.0, 1.0]
    params = {
        "S": r32(rng.normal(0.2, 0.5, (N, c, h, w))),
        "K": r32(rng.normal(0.2, 0.5, (N, c))),
        "V": r32(rng.normal(0.0, 0.5, (N, c))),
        "G0_w": r32(rng.normal(0.0, 0.6, (c, C))),
        "G0_b": r32(rng.normal(0.0, 0.3, (c,))),
        "G2_w": r32(rng.normal(0.0, 0.6, (c, c))),
        "G2_b": r32(rng.normal(0.0, 0.3, (c,))),
        "fc_w": r32(rng.normal(0.0, 0.6, (C, 2 * c))),
        "fc_b": r32(rng.normal(0.0, 0.3, (C,))),
    }

    tensors = {"f": f, "y": y}
    for k, a in params.items():
        tensors["param." + k] = a

    P = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in params.items()}
    ft = torch.tensor(f, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    total, terms = losses(P, ft, yt, s)
    total.backward()
    tensors["losses"] = r32([total.item()] + [t.item() for t in terms])
    for k in NAMES:
        tensors["grad." + k] = r32(P[k].grad.numpy())

    # Three Adam steps on the same batch (float64, PyTorch's own optimiser).
    P = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in params.items()}
    opt = torch.optim.Adam([P[k] for k in NAMES], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    for _ in range(3):
        opt.zero_grad()
        total, _ = losses(P, ft, yt, s)
        total.backward()
        opt.step()
    for k in NAMES:
        tensors["adam3." + k] = r32(P[k].detach().numpy())

    meta = {"scale": str(s), "adam_lr": "0.01", "adam_steps": "3",
            "made_by": "tools/make_train_fixtures.py", "torch": torch.__version__}
    st_io.save(out, tensors, meta, dtype=np.float32)
    print("wrote", out, "loss", tensors["losses"])


if __name__ == "__main__":
    main()
