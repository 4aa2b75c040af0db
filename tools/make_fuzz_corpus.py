#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the seed corpora of the libFuzzer targets (tests/fuzz/corpus/*).

Seeds are small valid files, so that the fuzzer starts from inputs that go
all the way through the parser and mutates from there:

  net/      two tiny custom ResNets (basic F32, bottleneck F16), a few KB each
  memory/   memory-tiny (a module on its own) and a one-slot F16 module that
            fits tests/fixtures/net-bottleneck.safetensors (f: 64x4x4, 4 classes)
  image/    the small image fixtures (every decoder, gray, alpha, EXIF)

Run from anywhere:  /usr/bin/python3 tools/make_fuzz_corpus.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
from torchvision.models.resnet import BasicBlock, Bottleneck

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st_io  # noqa: E402
from make_fixtures import CustomResNet  # noqa: E402

ROOT = os.path.join(HERE, "..")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def tiny_net(path, block, widths, stem, size, classes, dtype):
    torch.manual_seed(7)
    model = CustomResNet(block, [1, 1, 1, 1], widths, stem, len(classes)).eval()
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    meta = {
        "mcam.format": "1",
        "mcam.arch": "resnet",
        "mcam.block": "basic" if block is BasicBlock else "bottleneck",
        "mcam.layers": "[1,1,1,1]",
        "mcam.widths": json.dumps(widths),
        "mcam.stem": stem,
        "mcam.input": "%dx%d" % size,
        "mcam.resize": "center-crop",
        "mcam.mean": "[0.5,0.5,0.5]",
        "mcam.std": "[0.25,0.25,0.25]",
        "mcam.classes": json.dumps(classes),
        "mcam.multilabel": "false",
    }
    st_io.save(path, sd, meta, dtype=dtype)


def memory_for_bottleneck(path):
    c, h, w, C, N = 64, 4, 4, 4, 1
    g = np.random.default_rng(3)
    params = {
        "memory.S": np.abs(g.standard_normal((N, c, h, w))),
        "memory.K": g.standard_normal((N, c)),
        "memory.V": g.standard_normal((N, c)),
        "memory.G.0.weight": g.standard_normal((c, C)) * 0.5,
        "memory.G.0.bias": g.standard_normal(c) * 0.1,
        "memory.G.2.weight": g.standard_normal((c, c)) * 0.2,
        "memory.G.2.bias": g.standard_normal(c) * 0.1,
        "memory.fc.weight": g.standard_normal((C, 2 * c)) * 0.3,
        "memory.fc.bias": g.standard_normal(C) * 0.1,
    }
    st_io.save(path, params, {"mcam.format": "1", "mcam.memory.scale": "10",
                              "mcam.memory.init": "random"}, dtype=np.float16)


def main():
    for d in ("net", "memory", "image"):
        os.makedirs(os.path.join(CORPUS, d), exist_ok=True)
    tiny_net(os.path.join(CORPUS, "net", "basic-tiny.safetensors"), BasicBlock,
             [2, 2, 2, 2], "small", (8, 8), ["a", "b"], np.float32)
    tiny_net(os.path.join(CORPUS, "net", "bottleneck-tiny-f16.safetensors"), Bottleneck,
             [1, 1, 1, 1], "imagenet", (16, 12), ["x", "y", "z"], np.float16)
    shutil.copy(os.path.join(FIXTURES, "memory-tiny.safetensors"),
                os.path.join(CORPUS, "memory", "tiny.safetensors"))
    memory_for_bottleneck(os.path.join(CORPUS, "memory", "bottleneck-n1-f16.safetensors"))
    for name in ("img-pattern.png", "img-pattern.bmp", "img-pattern.gif", "img-pattern.tiff",
                 "img-pattern.webp", "img-gray.png", "img-rgba.png", "img-orient6.jpg"):
        shutil.copy(os.path.join(FIXTURES, name), os.path.join(CORPUS, "image", name))
    for d in ("net", "memory", "image"):
        total = sum(os.path.getsize(os.path.join(CORPUS, d, f))
                    for f in os.listdir(os.path.join(CORPUS, d)))
        print("%s: %d files, %d bytes" % (d, len(os.listdir(os.path.join(CORPUS, d))), total))


if __name__ == "__main__":
    main()
