#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the fixtures of tests/core/test-preprocess.c into tests/fixtures/
(small, committed): what torchvision's transforms give on PIL images, for
each resize mode and interpolation of the mcam.* metadata (issue #17).

- pp-photo.png (300x240, landscape; its transpose is the portrait case) and
  pp-tiny.png (17x11, smaller than every crop);
- pp-torch.safetensors:
  "<image>|<mode>|<W>x<H>|<resize-size>|<interpolation>": the 8-bit pixels the
  network sees, H x W x 3 (uint8 values stored as F16, exact), after
  Resize + CenterCrop (center-crop; resize-size 0 = the default
  round(max(W,H) / 0.875)) or Resize((H, W)) (stretch), before ToTensor;
  "<model>|<image>|logits": the logits of a seeded tiny ResNet on the image
  preprocessed as that model's metadata says (to 1e-4 in the test);
- pp-resnet-<variant>.safetensors: the same tiny torchvision-style ResNet
  (no mcam.arch: the loader infers it) with only the keys of its variant:
  default (mcam.resize = center-crop and nothing else: Resize(256) +
  CenterCrop(224)), 232 (mcam.resize-size), bicubic, nearest,
  stretch-bicubic (224x192), and typo (mcam.resize_size: an unknown key,
  named in a warning, changing nothing). <image> "^T" means the image
  transposed.

Run: /usr/bin/python3 tools/make_preprocess_fixtures.py
"""
import os
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.transforms import InterpolationMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
INTERP = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC,
          "nearest": InterpolationMode.NEAREST}


def photo(width, height, seed):
    """Smooth shading with hard edges and a little texture; compresses well."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    img = np.stack([200 * u + 40 * np.sin(7 * v + 2 * u),
                    150 * v + 60 * np.cos(5 * u * v + 1),
                    120 + 90 * np.sin(9 * u) * np.cos(4 * v)], axis=-1)
    disc = (x - 0.62 * width) ** 2 + (y - 0.4 * height) ** 2 < (0.22 * height) ** 2
    img[disc] = [245, 220, 60]
    img[int(0.6 * height):int(0.85 * height), int(0.1 * width):int(0.35 * width)] = [20, 30, 90]
    img += 25 * (((x // 3 + y // 3) % 2) - 0.5)[..., None]      # a fine checker: aliasing
    img[::7, ::5] += rng.integers(-40, 41, img[::7, ::5].shape)   # sparse noise
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def default_resize_size(w, h):
    return int(np.floor(max(w, h) / 0.875 + 0.5))


def transform(mode, w, h, size, interp):
    """torchvision's steps for one metadata setting, before ToTensor."""
    if mode == "stretch":
        return transforms.Resize((h, w), interpolation=INTERP[interp])
    return transforms.Compose([transforms.Resize(size or default_resize_size(w, h),
                                                 interpolation=INTERP[interp]),
                               transforms.CenterCrop((h, w))])


def tiny_resnet(seed, n_classes):
    torch.manual_seed(seed)
    net = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=n_classes)
    # narrow stages (4, 8, 8, 8 channels) keep the file at a few KB
    widths = [4, 8, 8, 8]
    net.conv1 = torch.nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
    net.bn1 = torch.nn.BatchNorm2d(widths[0])
    in_c = widths[0]
    for s, layer in enumerate([net.layer1, net.layer2, net.layer3, net.layer4]):
        stride = 1 if s == 0 else 2
        down = None
        if stride != 1 or in_c != widths[s]:
            down = torch.nn.Sequential(torch.nn.Conv2d(in_c, widths[s], 1, stride, bias=False),
                                       torch.nn.BatchNorm2d(widths[s]))
        layer[0] = BasicBlock(in_c, widths[s], stride, down)
        in_c = widths[s]
    net.fc = torch.nn.Linear(in_c, n_classes)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return net.eval()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    fx = os.path.join(root, "tests", "fixtures")
    p = lambda n: os.path.join(fx, n)  # noqa: E731

    photo(300, 240, 11).save(p("pp-photo.png"), optimize=True)
    photo(17, 11, 12).save(p("pp-tiny.png"))
    images = {
        "pp-photo.png": Image.open(p("pp-photo.png")).convert("RGB"),
        "pp-photo.png^T": Image.open(p("pp-photo.png")).convert("RGB").transpose(
            Image.Transpose.TRANSPOSE),
        "pp-tiny.png": Image.open(p("pp-tiny.png")).convert("RGB"),
        "img-photo.png": Image.open(p("img-photo.png")).convert("RGB"),
    }

    out = {}
    settings = [("center-crop", 16, 16, 0), ("center-crop", 16, 16, 23),
                ("center-crop", 16, 12, 0), ("center-crop", 16, 12, 21),
                ("stretch", 16, 16, 0), ("stretch", 16, 12, 0)]
    for name, pil in images.items():
        for mode, w, h, size in settings:
            for interp in INTERP:
                px = np.asarray(transform(mode, w, h, size, interp)(pil))
                assert px.shape == (h, w, 3), (name, mode, w, h, px.shape)
                out["%s|%s|%dx%d|%d|%s" % (name, mode, w, h, size, interp)] = \
                    px.astype(np.float16)

    net = tiny_resnet(17, 10)
    params = {k: v for k, v in net.state_dict().items() if "num_batches_tracked" not in k}
    variants = {
        "default": ({"mcam.resize": "center-crop"}, ("center-crop", 224, 224, 256, "bilinear")),
        "232": ({"mcam.resize": "center-crop", "mcam.resize-size": "232"},
                ("center-crop", 224, 224, 232, "bilinear")),
        "bicubic": ({"mcam.resize": "center-crop", "mcam.interpolation": "bicubic"},
                    ("center-crop", 224, 224, 256, "bicubic")),
        "nearest": ({"mcam.resize": "center-crop", "mcam.interpolation": "nearest"},
                    ("center-crop", 224, 224, 256, "nearest")),
        "stretch-bicubic": ({"mcam.resize": "stretch", "mcam.interpolation": "bicubic",
                             "mcam.input": "224x192"}, ("stretch", 224, 192, 0, "bicubic")),
        # a typo: must be named in a warning and change nothing (default's logits)
        "typo": ({"mcam.resize": "center-crop", "mcam.resize_size": "232"},
                 ("center-crop", 224, 224, 256, "bilinear")),
    }
    norm = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    for variant, (meta, (mode, w, h, size, interp)) in variants.items():
        model = "pp-resnet-%s.safetensors" % variant
        st_io.save(p(model), params, metadata=meta, dtype=np.float32)
        for name in ("pp-photo.png", "pp-photo.png^T", "pp-tiny.png"):
            x = norm(transform(mode, w, h, size, interp)(images[name]))[None]
            with torch.no_grad():
                out["%s|%s|logits" % (model, name)] = net(x)
    st_io.save(p("pp-torch.safetensors"), out,
               metadata={"source": "tools/make_preprocess_fixtures.py, torchvision %s, PIL %s"
                         % (__import__("torchvision").__version__, Image.__version__)})

    total = 0
    for n in sorted(os.listdir(fx)):
        if n.startswith("pp-"):
            total += os.path.getsize(p(n))
            print("%8d  %s" % (os.path.getsize(p(n)), n))
    print("%8d  in all" % total)


if __name__ == "__main__":
    main()
