#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile but loadable models and memories for tests/cli/json.sh (numpy only).

Every value is finite, so the loaders accept them; the arithmetic overflows
float32. From the committed fixtures, into OUT_DIR:
  net-huge.safetensors       net-bottleneck with fc.weight scaled to 1e30
                             (finite features, logits +-inf, softmax NaN)
  net-huge-conv.safetensors  net-bottleneck with every conv weight x 1e30
                             (the features overflow before the classifier)
  memory-huge.safetensors    memory-bottleneck with S, K, V at 1e30 and 3.4e38
                             (the addresses and the maps overflow)
usage: make_hostile_fixtures.py FIXTURES_DIR OUT_DIR
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    net, meta = st_io.load(os.path.join(fixtures, "net-bottleneck.safetensors"))

    huge = dict(net)
    huge["fc.weight"] = (net["fc.weight"].astype(np.float64) * 1e30).astype(np.float32)
    st_io.save(os.path.join(out, "net-huge.safetensors"), huge, meta)

    conv = dict(net)
    for name, t in net.items():
        if name.endswith(".weight") and t.ndim == 4:
            conv[name] = (t.astype(np.float64) * 1e30).astype(np.float32)
    st_io.save(os.path.join(out, "net-huge-conv.safetensors"), conv, meta)

    mem, mmeta = st_io.load(os.path.join(fixtures, "memory-bottleneck.safetensors"))
    big = dict(mem)
    big["memory.S"] = np.full(mem["memory.S"].shape, 3.4e38, np.float32)
    big["memory.K"] = np.full(mem["memory.K"].shape, 1e30, np.float32)
    big["memory.V"] = np.where(np.arange(mem["memory.V"].size).reshape(mem["memory.V"].shape) % 2,
                               np.float32(3.4e38), np.float32(-1e30)).astype(np.float32)
    st_io.save(os.path.join(out, "memory-huge.safetensors"), big, mmeta)
    for t in list(huge.values()) + list(conv.values()) + list(big.values()):
        assert np.all(np.isfinite(t)), "a hostile fixture must still load (finite values)"


if __name__ == "__main__":
    main()
