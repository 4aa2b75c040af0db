#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference fits of the re-fit head (issue 12) for tests/core/test-head.c.

Writes tests/fixtures/head-reference.safetensors: small seeded problems
(pooled features X [n, c] >= 0 like post-ReLU GAP features, labels Y [n, C])
and the minimum of the objective of include/mcam/mcam-head.h found by
PyTorch's LBFGS (float64, strong-Wolfe line search, run to a gradient of
1e-12), independent of our C solver:

  multi-label  L = 1/(nC) sum_ik [a_k y softplus(-z) + b_k (1-y) softplus(z)] + l2/2 |W|^2
               a_k = n / (2 n_k+), b_k = n / (2 n_k-)
  softmax      L = 1/n sum_i sum_k t_ik w_k (-log softmax(z_i)_k) + l2/2 |W|^2
               t_i = y_i / sum_k y_ik, w_k = n_lab / (C n_k)

Tensors: <case>.X, <case>.Y, <case>.W, <case>.b, <case>.loss (scalar as [1]),
<case>.l2 ([1]); cases "ml" (multi-label, 80 x 12, 5 classes, l2 1e-2),
"ml0" (same data, l2 1e-3) and "sm" (single-label softmax, 90 x 10, 4
classes, l2 1e-2).

Usage: /usr/bin/python3 tools/make_head_fixtures.py
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st_io  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "fixtures", "head-reference.safetensors")


def objective(W, b, X, Y, l2, multilabel):
    z = X @ W.T + b
    n, C = Y.shape
    if multilabel:
        pos = Y.sum(0)
        a = torch.where(pos > 0, n / (2 * pos), torch.ones_like(pos))
        bn = torch.where(n - pos > 0, n / (2 * (n - pos)), torch.ones_like(pos))
        loss = (a * Y * torch.nn.functional.softplus(-z)
                + bn * (1 - Y) * torch.nn.functional.softplus(z)).sum() / (n * C)
    else:
        s = Y.sum(1, keepdim=True)
        lab = (s[:, 0] > 0)
        t = torch.where(s > 0, Y / s.clamp(min=1e-30), torch.zeros_like(Y))
        share = t.sum(0)
        w = torch.where(share > 0, lab.sum() / (C * share), torch.zeros_like(share))
        loss = -(t * w * torch.log_softmax(z, 1)).sum() / n
    return loss + 0.5 * l2 * (W * W).sum()


def fit(X, Y, l2, multilabel):
    X = torch.tensor(X, dtype=torch.float64)
    Y = torch.tensor(Y, dtype=torch.float64)
    W = torch.zeros(Y.shape[1], X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(Y.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=5000, tolerance_grad=1e-12,
                            tolerance_change=1e-16, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = objective(W, b, X, Y, l2, multilabel)
        loss.backward()
        return loss
    for _ in range(5):
        opt.step(closure)
    loss = objective(W, b, X, Y, l2, multilabel)
    loss.backward()
    g = max(W.grad.abs().max().item(), b.grad.abs().max().item())
    print("l2 %g multilabel %s: loss %.10f, max |grad| %.2e" % (l2, multilabel, loss.item(), g))
    return W.detach().numpy(), b.detach().numpy(), loss.item()


def main():
    rng = np.random.default_rng(12)
    tensors = {}

    # Multi-label: labels from a hidden linear rule on the features plus noise.
    n, c, C = 80, 12, 5
    X = np.maximum(rng.normal(0.5, 1.0, (n, c)), 0).astype(np.float32)
    T = rng.normal(0, 1, (C, c))
    Y = ((X @ T.T + rng.normal(0, 1.0, (n, C))) > 0.8).astype(np.float32)
    Y[:, 4] = 0
    Y[:6, 4] = 1                      # a rare class: 6 of 80
    for name, l2 in (("ml", 1e-2), ("ml0", 1e-3)):
        W, b, loss = fit(X, Y, l2, True)
        tensors.update({name + ".X": X, name + ".Y": Y, name + ".W": W, name + ".b": b,
                        name + ".loss": np.array([loss]), name + ".l2": np.array([l2])})

    # Single-label softmax, unbalanced classes (40/30/15/5).
    n, c, C = 90, 10, 4
    cls = np.repeat(np.arange(C), [40, 30, 15, 5])
    centres = np.maximum(rng.normal(0.5, 1.0, (C, c)), 0)
    X = np.maximum(centres[cls] + rng.normal(0, 0.7, (n, c)), 0).astype(np.float32)
    Y = np.zeros((n, C), dtype=np.float32)
    Y[np.arange(n), cls] = 1
    W, b, loss = fit(X, Y, 1e-2, False)
    tensors.update({"sm.X": X, "sm.Y": Y, "sm.W": W, "sm.b": b,
                    "sm.loss": np.array([loss]), "sm.l2": np.array([1e-2])})

    st_io.save(OUT, tensors, {"generator": "tools/make_head_fixtures.py"}, dtype=np.float32)
    print("wrote %s (%d bytes)" % (OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
