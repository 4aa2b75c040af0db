#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the image fixtures of tests/core/test-image.c, test-map.c and
test-overlay.c into tests/fixtures/ (all small, committed).

- img-photo.png, img-photo.jpg, img-photo-large.jpg: photo-like synthetic
  images (smooth shading, edges, texture, noise) of odd sizes;
- img-preprocess.safetensors: for each of them, the pixels PIL decodes
  ("<file>|rgb", H×W×3 as float; not for the large one) and the tensors torchvision's transforms give
  (Resize + CenterCrop or Resize to a fixed size, ToTensor, Normalize with the
  ImageNet mean/std), named "<file>|<stretch|center-crop>|<W>x<H>";
- img-pattern.{png,bmp,tiff,gif,webp}: one 12×8 pattern of few colours in
  each lossless format, and img-pattern.rgb (the raw bytes they must decode to);
- img-rgba.png (alpha), img-gray.png (8-bit gray), img-orient1..8.jpg (each
  EXIF orientation on one 16×8 picture of flat areas);
- img-huge.png: a valid PNG header declaring 20000×20000 pixels (400 MP),
  followed by a few rows of data only: decoding it would need 1.6 GB;
- img-truncated.png: the first half of img-photo.png; img-garbage.png: noise;
- img-upsample.safetensors: torch F.interpolate(bilinear, align_corners=False)
  of random maps, "<h>x<w>-><H>x<W>|src" and "|dst".

Run: /usr/bin/python3 tools/make_image_fixtures.py
"""
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def photo(width, height, seed):
    """A smooth, textured picture with edges: what a camera might give."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    r = 200 * u + 40 * np.sin(7 * v + 2 * u)
    g = 150 * v + 60 * np.cos(5 * u * v + 1)
    b = 120 + 90 * np.sin(9 * u) * np.cos(4 * v)
    img = np.stack([r, g, b], axis=-1)
    # a bright disc and a dark rectangle: hard edges
    disc = (x - 0.62 * width) ** 2 + (y - 0.4 * height) ** 2 < (0.22 * height) ** 2
    img[disc] = [245, 220, 60]
    img[int(0.6 * height):int(0.85 * height), int(0.1 * width):int(0.35 * width)] = [20, 30, 90]
    # fine texture and sensor noise
    img += 18 * np.sin(1.7 * x + 0.9 * y)[..., None]
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def preprocess_cases(out, name, path, cases, with_rgb=True):
    pil = Image.open(path).convert("RGB")
    if with_rgb:
        out[name + "|rgb"] = np.asarray(pil).astype(np.float32)
    w0, h0 = pil.size
    for mode, w, h in cases:
        if mode == "stretch":
            resize = transforms.Resize((h, w))
        elif w == h:
            resize = transforms.Resize(w)   # torchvision's own rule for the shorter side
        else:
            # non-square input: scale so the image covers it (our documented rule)
            if w * h0 >= h * w0:
                rw, rh = w, max(h, int(w * h0 / w0))
            else:
                rw, rh = max(w, int(h * w0 / h0)), h
            resize = transforms.Resize((rh, rw))
        steps = [resize]
        if mode == "center-crop":
            steps.append(transforms.CenterCrop((h, w)))
        steps += [transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
        t = transforms.Compose(steps)(pil)
        assert t.shape == (3, h, w), (t.shape, mode, w, h)
        out["%s|%s|%dx%d" % (name, mode, w, h)] = t.numpy().astype(np.float32)


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def huge_png(path, width, height):
    """A PNG whose header is valid and declares width × height RGB pixels,
    with only a few rows of image data."""
    rows = b"".join(b"\x00" + bytes(3 * width) for _ in range(4))
    data = b"\x89PNG\r\n\x1a\n"
    data += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += png_chunk(b"IDAT", zlib.compress(rows, 9))
    data += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    fx = os.path.join(root, "tests", "fixtures")
    os.makedirs(fx, exist_ok=True)
    p = lambda n: os.path.join(fx, n)  # noqa: E731

    # photo-like images for the torchvision comparison
    photo(61, 47, 1).save(p("img-photo.png"))
    photo(71, 53, 2).save(p("img-photo.jpg"), quality=90)
    photo(403, 301, 3).save(p("img-photo-large.jpg"), quality=85)

    tensors = {}
    cases = [
        ("stretch", 40, 30),        # downscale, both axes
        ("stretch", 72, 56),        # upscale
        ("stretch", 61, 25),        # one axis unchanged (for the PNG)
        ("center-crop", 32, 32),    # downscale, then crop the longer side
        ("center-crop", 21, 21),    # odd size
        ("center-crop", 64, 64),    # upscale
        ("center-crop", 40, 24),    # non-square input
    ]
    preprocess_cases(tensors, "img-photo.png", p("img-photo.png"), cases)
    preprocess_cases(tensors, "img-photo.jpg", p("img-photo.jpg"), cases)
    # strong downscaling (×12 to ×17): the filter spans many source pixels
    preprocess_cases(tensors, "img-photo-large.jpg", p("img-photo-large.jpg"),
                     [("stretch", 33, 18), ("center-crop", 24, 24)], with_rgb=False)
    st_io.save(p("img-preprocess.safetensors"), tensors, dtype=np.float32,
               metadata={"mean": MEAN, "std": STD,
                         "source": "tools/make_image_fixtures.py, torchvision %s, PIL %s"
                         % (__import__("torchvision").__version__, Image.__version__)})

    # one pattern of few colours in every lossless format
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255],
                        [0, 0, 0], [200, 120, 40]], np.uint8)
    idx = (np.arange(12)[None, :] // 3 + np.arange(8)[:, None] // 2) % len(palette)
    pattern = palette[idx]
    pattern[0, 0] = [10, 20, 30]
    pim = Image.fromarray(pattern, "RGB")
    pim.save(p("img-pattern.png"))
    pim.save(p("img-pattern.bmp"))
    pim.save(p("img-pattern.tiff"), compression="tiff_lzw")
    pim.quantize(colors=8, dither=Image.Dither.NONE).save(p("img-pattern.gif"))
    pim.save(p("img-pattern.webp"), lossless=True)
    with open(p("img-pattern.rgb"), "wb") as f:
        f.write(pattern.tobytes())

    # alpha: left column opaque red, then alpha 0, 128, 255 in thirds of a row
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = [[255, 0, 128, 255], [64, 192, 0, 255]]
    Image.fromarray(rgba, "RGBA").save(p("img-rgba.png"))
    Image.fromarray(np.array([[0, 77, 255], [128, 3, 200]], np.uint8), "L").save(p("img-gray.png"))

    # EXIF orientations 1..8 of one stored 16 wide × 8 high picture: left half
    # red with a green top-left quarter, right half blue. Where the green
    # quarter shows after the orientation is applied (the C test's table):
    q = np.zeros((8, 16, 3), np.uint8)
    q[:, :8] = [255, 0, 0]
    q[:, 8:] = [0, 0, 255]
    q[:4, :8] = [0, 255, 0]
    green_at = {1: "top-left", 2: "top-right", 3: "bottom-right", 4: "bottom-left",
                5: "top-left", 6: "top-right", 7: "bottom-right", 8: "bottom-left"}
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        Image.fromarray(q, "RGB").save(p("img-orient%d.jpg" % o), quality=95,
                                       exif=exif.tobytes())
        shown = np.asarray(ImageOps.exif_transpose(Image.open(p("img-orient%d.jpg" % o))))
        h, w = shown.shape[:2]
        assert (w, h) == ((16, 8) if o <= 4 else (8, 16)), (o, w, h)
        y = 1 if green_at[o].startswith("top") else h - 2
        x = 1 if green_at[o].endswith("left") else w - 2
        assert shown[y, x, 1] > 200 and shown[y, x, 0] < 60, (o, shown[y, x])

    huge_png(p("img-huge.png"), 20000, 20000)
    with open(p("img-photo.png"), "rb") as f:
        whole = f.read()
    with open(p("img-truncated.png"), "wb") as f:
        f.write(whole[:len(whole) // 2])
    with open(p("img-garbage.png"), "wb") as f:
        f.write(np.random.default_rng(5).integers(0, 256, 600, dtype=np.uint8).tobytes())

    # bilinear upsampling of maps, align_corners=False
    g = torch.Generator().manual_seed(7)
    maps = {}
    for (h, w, H, W) in [(7, 7, 50, 37), (3, 5, 17, 11), (1, 1, 4, 6), (14, 14, 9, 9),
                         (7, 7, 7, 7), (2, 3, 60, 45)]:
        src = torch.randn(1, 1, h, w, generator=g)
        dst = F.interpolate(src, size=(H, W), mode="bilinear", align_corners=False)
        maps["%dx%d->%dx%d|src" % (h, w, H, W)] = src[0, 0]
        maps["%dx%d->%dx%d|dst" % (h, w, H, W)] = dst[0, 0]
    st_io.save(p("img-upsample.safetensors"), maps, dtype=np.float32)

    for n in sorted(os.listdir(fx)):
        if n.startswith("img-"):
            print("%8d  %s" % (os.path.getsize(p(n)), n))


if __name__ == "__main__":
    main()
