#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A random memory module (DESIGN 4.2 `random` init: K, V, S ~ N(0, 0.1^2);
G and fc uniform like PyTorch's Linear) for a backbone exported by
tools/bench_torch.py, to time `mcam explain` (docs/BENCHMARKS.md).

Usage: /usr/bin/python3 tools/make_bench_memory.py tools/out/resnet18.safetensors [N]
writes tools/out/resnet18-memory64.safetensors (not committed).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    t, meta = st_io.load(path)
    C, c = t["fc.weight"].shape
    size = meta.get("mcam.input", "224x224").split("x")
    h, w = (int(size[1]) + 31) // 32, (int(size[0]) + 31) // 32   # stride 32
    rng = np.random.default_rng(0)

    def lin(o, i):
        b = 1.0 / np.sqrt(i)
        return rng.uniform(-b, b, (o, i)).astype(np.float32), rng.uniform(-b, b, o).astype(np.float32)

    g0w, g0b = lin(c, C)
    g2w, g2b = lin(c, c)
    fcw, fcb = lin(C, 2 * c)
    params = {
        "memory.S": (rng.standard_normal((n, c, h, w)) * 0.1).astype(np.float32),
        "memory.K": (rng.standard_normal((n, c)) * 0.1).astype(np.float32),
        "memory.V": (rng.standard_normal((n, c)) * 0.1).astype(np.float32),
        "memory.G.0.weight": g0w, "memory.G.0.bias": g0b,
        "memory.G.2.weight": g2w, "memory.G.2.bias": g2b,
        "memory.fc.weight": fcw, "memory.fc.bias": fcb,
    }
    out = path.replace(".safetensors", "-memory%d.safetensors" % n)
    st_io.save(out, params, metadata={"mcam.format": "1", "mcam.memory.scale": "10",
                                      "mcam.memory.init": "random"})
    print(out, "N=%d c=%d h=%d w=%d C=%d" % (n, c, h, w, C))


if __name__ == "__main__":
    main()
