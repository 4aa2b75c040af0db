#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed corpora of the fuzz targets added for issue 13 (preprocess, explain,
metadata, csv-special), written into tests/fuzz/corpus/<name>/. Standard
library only; run from the source root. Small by design: a few inputs each,
chosen to start the fuzzer near the edges (extreme aspect ratios, huge
values, raw NaN bit patterns, every mcam.* key, every special file)."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def preprocess():
    # header (16 bytes): iw16 ih16 shift_w shift_h ow16 oh16 mode interp rs_flag rs/2 mh mw,
    # then the pixels (fuzz-preprocess.c)
    def head(iw, ih, sw, sh, ow, oh, mode, interp, rs=None, mh=3, mw=3):
        return struct.pack("<HHBBHHBBBBBB", iw, ih, sw, sh, ow, oh, mode, interp,
                           1 if rs is not None else 0, rs or 0, mh, mw)
    pix = bytes(range(0, 256, 7))
    put("preprocess", "square-crop", head(63, 47, 0, 0, 31, 31, 1, 0, 1) + pix)
    put("preprocess", "wide-stretch", head(65535, 0, 0, 0, 23, 17, 0, 1) + pix)      # 65536 x 1
    put("preprocess", "tall-crop-bicubic", head(0, 65535, 0, 0, 15, 29, 1, 1, 20) + pix)
    put("preprocess", "tiny-nearest", head(0, 0, 0, 0, 319, 1, 1, 2) + b"\xff")
    put("preprocess", "upsample", head(3, 2, 0, 0, 223, 223, 1, 0, None, 6, 6) + pix)


def explain():
    # cls/method, f exponent (|0x80: raw bits), memory exponent, tensor mask, seed, slot
    vals = bytes((i * 37) & 0xff for i in range(97))
    put("explain", "plain", bytes([0x04, 0, 0, 0x00, 0, 0]) + vals)
    put("explain", "huge-memory", bytes([0x00, 0, 38, 0x7f, 1, 0]) + vals)
    put("explain", "huge-features", bytes([0x09, 37, 0, 0x00, 2, 0x83]) + vals)
    nan = struct.pack("<4f", float("nan"), float("inf"), -0.0, 1e-45)
    put("explain", "raw-nan", bytes([0x0d, 0x80, 0, 0x01, 3, 0]) + nan)
    put("explain", "gradcam-big-fc", bytes([0x0e, 2, 30, 0x60, 4, 0x90]) + vals)


def metadata():
    base = {
        "mcam.format": "1", "mcam.arch": "resnet", "mcam.block": "bottleneck",
        "mcam.layers": "[1, 2, 1, 1]", "mcam.widths": "[8, 8, 16, 16]", "mcam.stem": "small",
        "mcam.input": "32x32", "mcam.resize": "stretch", "mcam.mean": "[0.485, 0.456, 0.406]",
        "mcam.std": "[0.229, 0.224, 0.225]", "mcam.classes": '["a", "b", "c", "d"]',
        "mcam.multilabel": "true",
    }
    text = lambda d: "".join("%s=%s\n" % kv for kv in d.items())
    put("metadata", "fixture", text(base))
    put("metadata", "crop-bicubic", text(dict(base, **{
        "mcam.resize": "center-crop", "mcam.resize-size": "40", "mcam.input": "36x32",
        "mcam.interpolation": "bicubic"})))
    put("metadata", "inferred", "mcam.format=1\nmcam.classes=[\"a\",\"b\",\"c\",\"d\"]\n")
    put("metadata", "edges", text(dict(base, **{
        "mcam.std": "[1e-38, 0.5, 3.4e38]", "mcam.mean": "[-3.4e38, 0, 1]",
        "mcam.input": "1x8192", "mcam.typo": "x"})))


def csv_special():
    names = ["a.png", "fifo.png", "loop.png", "dir.png", "null.png", "gone.png"]
    labels = "file,labels\n" + "".join("%s,cat\n" % n for n in names)
    boxes = "file,class,x0,y0,x1,y1\n" + "".join("%s,dog,0,0,4,4\n" % n for n in names)
    put("csv-special", "labels", b"\x00" + labels.encode())
    put("csv-special", "boxes", b"\x00" + boxes.encode())
    put("csv-special", "long-name", b"\x00" + ("file,labels\n%s.png,cat\n" % ("n" * 10000)).encode())
    put("csv-special", "quoted", b"\x00" + b'file,labels\n"fifo.png",cat;dog\n"a.png","hot dog"\n')
    for i in range(5):   # the CSV path itself is special (first byte >= 0xf0)
        put("csv-special", "special-%d" % i, bytes([0xf0 + i]))


if __name__ == "__main__":
    preprocess()
    explain()
    metadata()
    csv_special()
