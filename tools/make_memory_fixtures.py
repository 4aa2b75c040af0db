#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for the memory module's inference (DESIGN 4.3-4.6), written
independently of the C code with PyTorch (float64), for tests/core/test-memory.c.

Writes tests/fixtures/memory-tiny.safetensors (a tiny random memory module) and
tests/fixtures/memory-tiny-expected.safetensors (features and every expected
quantity). Run: /usr/bin/python3 tools/make_memory_fixtures.py
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures")

N, c, h, w, C = 5, 6, 3, 4, 4
B = 2
SCALE = 10.0
SLOT = 2          # the slot whose maps are checked
SEED = 1234       # slot search noise seed
DRAWS = 3


def cos(a, b):
    return (a * b).sum(-1) / torch.clamp(a.norm(dim=-1) * b.norm(dim=-1), min=1e-8)


def addr(x, M, s):
    """Eq. (1): softmax_i(s * cos(x, M_i)); x [..., d], M [N, d]."""
    return torch.softmax(s * cos(x.unsqueeze(-2), M), dim=-1)


# --- the generator of mcam-memory-math.c, in Python integers ---
MASK = (1 << 64) - 1


class Rng:
    def __init__(self, seed):
        x = seed & MASK
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            self.s.append(z ^ (z >> 31))
        self.spare = None

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log(u1))
        th = 2.0 * math.pi * u2
        self.spare = r * math.sin(th)
        return r * math.cos(th)


def main():
    g = torch.Generator().manual_seed(7)
    f32 = torch.float32
    S = torch.randn(N, c, h, w, generator=g, dtype=f32)
    K = torch.randn(N, c, generator=g, dtype=f32)
    V = torch.randn(N, c, generator=g, dtype=f32)
    G0w = torch.randn(c, C, generator=g, dtype=f32) * 0.5
    G0b = torch.randn(c, generator=g, dtype=f32) * 0.1
    G2w = torch.randn(c, c, generator=g, dtype=f32) * 0.5
    G2b = torch.randn(c, generator=g, dtype=f32) * 0.1
    fcw = torch.randn(C, 2 * c, generator=g, dtype=f32) * 0.5
    fcb = torch.randn(C, generator=g, dtype=f32) * 0.1
    feats = torch.relu(torch.randn(B, c, h, w, generator=g, dtype=f32) + 0.3)

    st_io.save(os.path.join(OUT, "memory-tiny.safetensors"), {
        "memory.S": S, "memory.K": K, "memory.V": V,
        "memory.G.0.weight": G0w, "memory.G.0.bias": G0b,
        "memory.G.2.weight": G2w, "memory.G.2.bias": G2b,
        "memory.fc.weight": fcw, "memory.fc.bias": fcb,
    }, metadata={"mcam.format": "1", "mcam.memory.scale": str(SCALE),
                 "mcam.memory.init": "random"}, dtype=np.float32)

    d = torch.float64
    S, K, V, G0w, G0b, G2w, G2b, fcw, fcb, f = (t.to(d) for t in (
        S, K, V, G0w, G0b, G2w, G2b, fcw, fcb, feats))

    q = f.mean(dim=(2, 3))                                  # GAP
    p = addr(q, K, SCALE)                                   # key address
    p_s = addr(f.reshape(B, -1), S.reshape(N, -1), SCALE)   # spatial address
    v = p @ V
    z = torch.cat([v, q], dim=1) @ fcw.T + fcb              # fc([v ; q])

    def G(y):
        return torch.relu(y @ G0w.T + G0b) @ G2w.T + G2b

    p_value = addr(G(torch.eye(C, dtype=d)), V, SCALE)      # [C, N]
    slot_class = p_value.argmax(dim=0)
    slot_peak = p_value.max(dim=0).values

    # per-position similarity with slot SLOT
    sim = cos(f.permute(0, 2, 3, 1), S[SLOT].permute(1, 2, 0))   # [B, h, w]

    # mcam: tau_k = cos(f_k, S_n,k) over positions, w = exp(tau)
    tau = cos(f.reshape(B, c, -1), S[SLOT].reshape(c, -1))      # [B, c]
    w_mcam = torch.exp(tau)
    map_mcam = torch.relu((w_mcam[:, :, None, None] * f).sum(1))
    # mcam-profile: torch's default (Bessel-corrected) std over the channels
    a = S.mean(dim=(2, 3))                                       # [N, c]
    dd = a[SLOT] - a.mean(0)
    zz = (dd - dd.mean()) / (dd.std() + 1e-8)
    w_prof = torch.exp(zz)
    map_prof = torch.relu((w_prof[None, :, None, None] * f).sum(1))

    # Algorithm 1 for every image and class, noise slot by slot then draw
    delta = torch.zeros(B, C, N, dtype=d)
    for b in range(B):
        for cls in range(C):
            rng = Rng(SEED)
            for i in range(N):
                acc = 0.0
                for _ in range(DRAWS):
                    wv = torch.tensor([rng.normal() for _ in range(c)], dtype=torch.float32).to(d)
                    Kt = K.clone()
                    Kt[i] = wv
                    pt = addr(q[b], Kt, SCALE)
                    zt = torch.cat([pt @ V, q[b]]) @ fcw.T + fcb
                    acc += float(z[b, cls] - zt[cls])
                delta[b, cls, i] = acc / DRAWS
    slot = delta.argmax(dim=2)

    f32 = np.float32
    st_io.save(os.path.join(OUT, "memory-tiny-expected.safetensors"), {
        "features": feats, "q": q, "p": p, "p_s": p_s, "v": v, "z": z,
        "p_value": p_value, "slot_class": slot_class.to(d), "slot_peak": slot_peak,
        "similarity": sim, "mcam_weights": w_mcam, "mcam_map": map_mcam,
        "profile_weights": w_prof, "profile_map": map_prof,
        "delta": delta, "slot": slot.to(d),
    }, metadata={"slot": str(SLOT), "seed": str(SEED), "draws": str(DRAWS)}, dtype=f32)
    print("slots chosen:", slot.tolist())


def bottleneck():
    """A memory for tests/fixtures/net-bottleneck.safetensors (f: 64x4x4, 4
    classes), and the read-out of the features in net-bottleneck-expected
    (the C test runs the backbone itself on the same inputs)."""
    t, _ = st_io.load(os.path.join(OUT, "net-bottleneck-expected.safetensors"))
    net, _ = st_io.load(os.path.join(OUT, "net-bottleneck.safetensors"))
    feats = torch.from_numpy(t["features"]).to(torch.float64)
    Bn, cc, hh, ww = feats.shape
    NN, CC, s = 8, 4, 10.0
    g = torch.Generator().manual_seed(11)
    f32 = torch.float32
    # Slots drawn around the features so that addresses are not trivial.
    fmean = feats.mean(0).to(f32)
    S = torch.relu(fmean + 0.5 * torch.randn(NN, cc, hh, ww, generator=g, dtype=f32))
    K = S.mean(dim=(2, 3)) + 0.05 * torch.randn(NN, cc, generator=g, dtype=f32)
    V = torch.randn(NN, cc, generator=g, dtype=f32)
    params = {
        "memory.S": S, "memory.K": K, "memory.V": V,
        "memory.G.0.weight": torch.randn(cc, CC, generator=g, dtype=f32) * 0.5,
        "memory.G.0.bias": torch.randn(cc, generator=g, dtype=f32) * 0.1,
        "memory.G.2.weight": torch.randn(cc, cc, generator=g, dtype=f32) * 0.2,
        "memory.G.2.bias": torch.randn(cc, generator=g, dtype=f32) * 0.1,
        "memory.fc.weight": torch.randn(CC, 2 * cc, generator=g, dtype=f32) * 0.3,
        "memory.fc.bias": torch.randn(CC, generator=g, dtype=f32) * 0.1,
    }
    meta = {"mcam.format": "1", "mcam.memory.scale": str(s), "mcam.memory.init": "random"}
    st_io.save(os.path.join(OUT, "memory-bottleneck.safetensors"), params, metadata=meta,
               dtype=np.float32)
    st_io.save(os.path.join(OUT, "memory-bottleneck-otherfp.safetensors"), params,
               metadata=dict(meta, **{"mcam.memory.backbone": "0123456789abcdef"}),
               dtype=np.float32)

    d = torch.float64
    P = {k: v.to(d) for k, v in params.items()}
    q = feats.mean(dim=(2, 3))
    p = addr(q, P["memory.K"], s)
    p_s = addr(feats.reshape(Bn, -1), P["memory.S"].reshape(NN, -1), s)
    v = p @ P["memory.V"]
    z = torch.cat([v, q], 1) @ P["memory.fc.weight"].T + P["memory.fc.bias"]
    G = torch.relu(torch.eye(CC, dtype=d) @ P["memory.G.0.weight"].T + P["memory.G.0.bias"])
    G = G @ P["memory.G.2.weight"].T + P["memory.G.2.bias"]
    p_value = addr(G, P["memory.V"], s)

    # every slot's maps, so the C test can pick the slot it searched
    Sd = P["memory.S"]
    tau = cos(feats.reshape(Bn, 1, cc, -1), Sd.reshape(1, NN, cc, -1))      # [B, N, c]
    mcam_maps = torch.relu((torch.exp(tau)[..., None, None] * feats[:, None]).sum(2))
    a = Sd.mean(dim=(2, 3))
    dd = a - a.mean(0, keepdim=True)                                          # [N, c]
    zz = (dd - dd.mean(1, keepdim=True)) / (dd.std(1, keepdim=True) + 1e-8)
    prof_maps = torch.relu((torch.exp(zz)[None, :, :, None, None] * feats[:, None]).sum(2))
    W = torch.from_numpy(net["fc.weight"]).to(d)
    cam_maps = torch.relu(torch.einsum("kc,bchw->bkhw", W, feats))           # [B, C, h, w]
    st_io.save(os.path.join(OUT, "memory-bottleneck-expected.safetensors"), {
        "q": q, "p": p, "p_s": p_s, "v": v, "z": z, "p_value": p_value,
        "mcam_maps": mcam_maps, "profile_maps": prof_maps, "cam_maps": cam_maps,
    }, dtype=np.float32)


if __name__ == "__main__":
    main()
    bottleneck()
