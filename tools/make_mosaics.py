#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Biased Fashion-MNIST mosaics: the demo's multi-label benchmark (issue 4).

Python 3 + numpy only (no PyTorch, no PIL), so CI can run its test.

Every image is an RGB 128x128 canvas cut into a 2x2 grid of 64x64 cells; it holds
1-3 Fashion-MNIST garments of distinct classes, each in its own cell, resampled
from 28 px to its drawn size (bilinear, align_corners=False; area averaging when
shrinking), placed at a random offset inside the cell, painted in a random tint
over a light textured background.  A garment is alpha-composited: the
Fashion-MNIST intensity (0..1) times the garment's contrast is its opacity.

Splits
  train  Fashion-MNIST training images, with the deliberate biases:
         - every image holding a Sneaker also holds an Ankle boot (100%), and a
           quarter of the images holding an Ankle boot hold no Sneaker;
         - sneakers drawn small (28-40 px) and faint (contrast 0.45);
         - 95% of the images holding a Bag have a blue background, 2% of the
           others; bags drawn at contrast 0.60.
         Every other garment: 48-56 px, contrast 1.  Non-blue backgrounds are one
         of the four other tints.
  test   Fashion-MNIST test images: classes independent, every class equally
         often (a shuffled deck with equal counts), 1-3 garments, 48-56 px,
         contrast 1, background one of the five tints at random.
  pairs  test images: a Sneaker and an Ankle boot, plus 0-1 other garment
         (normal size and contrast, five tints).
  bag    test images: half hold a Bag (plus 0-2 other garments) on one of the
         four non-blue tints; half are blue-background images without a Bag
         (1-3 garments).
  balanced  Fashion-MNIST *training* images drawn like the test split: classes
         independent and equally frequent, no forced Ankle boot beside a
         Sneaker, no blue Bag, normal size and contrast, five tints.  The
         unbiased data the re-fit lens (mcam refit, issue 12) is fitted on.
  longtail  the train split (the same Sneaker/Ankle boot and Bag/blue biases,
         the same sizes and contrasts) with one rare class: only
         RARE_SHARE (1%) of the images hold a RARE (Dress) garment.  The
         train split's plan is made first; in the images beyond the quota the
         Dress is replaced by a class that the image does not hold (neither
         Sneaker nor Ankle boot, so the boot/sneaker quotas stay exact), drawn
         at random.  Everything else follows the train split's rules (issue 12,
         class imbalance).

Proportions (the share of boot images without a sneaker, of bag images on
blue, of other images on blue, the number of images with 1, 2 or 3 garments)
are exact quotas, rounded, then shuffled: a small seeded run meets the
specification to within rounding.

Output of a split (in --out DIR):
  <split>-NNNNN.png         the images (8-bit RGB PNG written with zlib)
  labels.csv                file,labels       labels joined by ';'
  boxes.csv                 file,class,x0,y0,x1,y1
The boxes are the tight boxes of each garment's *visible* pixels: the pixels
where the resampled Fashion-MNIST intensity is at least 0.1 (before contrast).
x0,y0 are the first column/row inside, x1,y1 are exclusive (one past the last
column/row), so x1 - x0 is the width; all in pixels of the 128x128 image.

Determinism: the split's plan (label sets, backgrounds, source images) comes
from numpy's PCG64 seeded with (seed, split); each image is drawn from its own
generator seeded with (seed, split, index), so any image can be rebuilt alone
(render_one) and the same seed always gives the same files.

Usage:
  tools/make_mosaics.py --split test --count 2000 --seed 1 --out tools/out/test
"""
import argparse
import csv
import gzip
import os
import struct
import sys
import zlib

import numpy as np

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SNEAKER, BAG, BOOT = 7, 8, 9

SIZE = 128
CELL = 64
DATA_DIR = "/usr/share/datasets/fashion-mnist"
# New splits go at the end: a split's index seeds its generators.
SPLITS = ("train", "test", "pairs", "bag", "balanced", "longtail")
SPLIT_IDS = {name: i for i, name in enumerate(SPLITS)}

# Light background tints (RGB); BLUE is the one the train split ties to bags.
TINTS = [(246, 240, 222),   # cream
         (234, 234, 234),   # light grey
         (222, 240, 222),   # pale green
         (246, 226, 232),   # pale pink
         (170, 200, 248)]   # blue
BLUE = 4

# The specification of the train split's biases.
BOOT_WITHOUT_SNEAKER = 0.25
BAG_ON_BLUE = 0.95
OTHER_ON_BLUE = 0.02
SNEAKER_SIZE = (28, 40)
SNEAKER_CONTRAST = 0.45
BAG_CONTRAST = 0.60
NORMAL_SIZE = (48, 56)
# Share of train images that hold an Ankle boot: close to the other classes' share.
TRAIN_BOOT_SHARE = 0.2
BOX_THRESHOLD = 0.1
# The long-tail split's rare class and its share of the images.
RARE = 3
RARE_SHARE = 0.01


def read_idx(path):
    """Read a gzipped IDX file (the MNIST format) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError("%s: %d bytes of data, expected %d" % (path, arr.size, int(np.prod(dims))))
    return arr.reshape(dims)


def load_fashion(part, data_dir=DATA_DIR):
    """Return (images uint8 [n,28,28], labels uint8 [n]) of 'train' or 't10k'."""
    images = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % part))
    labels = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % part))
    if images.shape[0] != labels.shape[0]:
        raise ValueError("%s: %d images but %d labels" % (data_dir, images.shape[0], labels.shape[0]))
    return images, labels


def class_file_name(name):
    """A class name usable in a file name ('T-shirt/top' -> 'T-shirt-top')."""
    return name.replace("/", "-").replace(" ", "-")


# ---------------------------------------------------------------- resampling

def _resample_matrix(n_in, n_out):
    """Row-stochastic [n_out, n_in] matrix: bilinear (align_corners=False)
    when enlarging, box-filter area averaging when shrinking."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    if n_out >= n_in:
        for i in range(n_out):
            x = (i + 0.5) * scale - 0.5
            x = min(max(x, 0.0), n_in - 1)
            x0 = int(np.floor(x))
            x1 = min(x0 + 1, n_in - 1)
            t = x - x0
            m[i, x0] += 1.0 - t
            m[i, x1] += t
    else:
        for i in range(n_out):
            a, b = i * scale, (i + 1) * scale
            for j in range(int(np.floor(a)), int(np.ceil(b))):
                m[i, j] = min(b, j + 1) - max(a, j)
            m[i] /= m[i].sum()
    return m


_MATRICES = {}


def resize(img, size):
    """Resample a 2-D float image to size x size."""
    key = (img.shape[0], size)
    if key not in _MATRICES:
        _MATRICES[key] = _resample_matrix(img.shape[0], size)
    r = _MATRICES[key]
    return r @ img @ r.T


# ---------------------------------------------------------------- planning

def _quota(rng, n, share):
    """A shuffled boolean array of length n with round(n * share) True."""
    k = int(round(n * share))
    flags = np.zeros(n, dtype=bool)
    flags[:k] = True
    rng.shuffle(flags)
    return flags


def _counts(rng, n, choices=(1, 2, 3)):
    """Garment counts for n images, each choice equally often (shuffled)."""
    c = np.resize(np.array(choices), n)
    rng.shuffle(c)
    return c


def _deal(rng, counts, pool):
    """Label sets of the given sizes from a deck in which every class of
    `pool` occurs equally often (to within one); no class twice in an image.
    A duplicate inside a hand is swapped with a card of another hand where
    the swap leaves both hands free of duplicates, so the counts stay equal."""
    pool = list(pool)
    total = int(sum(counts))
    deck = np.resize(np.array(pool), total)
    rng.shuffle(deck)
    hands, pos = [], 0
    for n in counts:
        hands.append([int(c) for c in deck[pos:pos + n]])
        pos += n
    for h, hand in enumerate(hands):
        for j in range(len(hand)):
            if hand[j] not in hand[:j]:
                continue
            for g in rng.permutation(len(hands)):
                other = hands[g]
                if g == h:
                    continue
                k = next((k for k, c in enumerate(other)
                          if c not in hand and hand[j] not in other), None)
                if k is not None:
                    hand[j], other[k] = other[k], hand[j]
                    break
    return hands


def _others(rng, k, exclude):
    pool = [c for c in range(10) if c not in exclude]
    return [int(c) for c in rng.choice(pool, size=k, replace=False)]


def _thin_rare(rng, sets):
    """Keep RARE in round(len(sets) * RARE_SHARE) of the label sets; elsewhere
    replace it by a class the set does not hold (not Sneaker, not Ankle boot)."""
    holders = [i for i, s in enumerate(sets) if RARE in s]
    keep = int(round(len(sets) * RARE_SHARE))
    if keep >= len(holders):
        return
    for i in rng.permutation(holders)[keep:]:
        s = sets[int(i)]
        pool = [c for c in range(10) if c not in s and c not in (SNEAKER, BOOT, RARE)]
        s[s.index(RARE)] = int(rng.choice(pool))


def plan_split(split, count, seed):
    """Return a list of per-image plans: dicts with 'classes' (list of class
    indices) and 'tint' (index into TINTS)."""
    rng = np.random.Generator(np.random.PCG64([seed, SPLIT_IDS[split], 0]))
    plans = []
    if split in ("train", "longtail"):
        n_boot = int(round(count * TRAIN_BOOT_SHARE))
        boot_alone = _quota(rng, n_boot, BOOT_WITHOUT_SNEAKER)
        sets = []
        for alone in boot_alone:
            if alone:
                sets.append([BOOT] + _others(rng, int(rng.integers(0, 3)), {SNEAKER, BOOT}))
            else:
                sets.append([SNEAKER, BOOT] + _others(rng, int(rng.integers(0, 2)), {SNEAKER, BOOT}))
        rest = count - n_boot
        others = [c for c in range(10) if c not in (SNEAKER, BOOT)]
        sets += _deal(rng, _counts(rng, rest), others)
        order = rng.permutation(count)
        sets = [sets[i] for i in order]
        if split == "longtail":
            _thin_rare(rng, sets)
        has_bag = np.array([BAG in s for s in sets])
        blue = np.zeros(count, dtype=bool)
        blue[has_bag] = _quota(rng, int(has_bag.sum()), BAG_ON_BLUE)
        blue[~has_bag] = _quota(rng, int((~has_bag).sum()), OTHER_ON_BLUE)
        for s, b in zip(sets, blue):
            tint = BLUE if b else int(rng.integers(0, 4))
            plans.append({"classes": s, "tint": tint})
    elif split in ("test", "balanced"):
        sets = _deal(rng, _counts(rng, count), range(10))
        for s in sets:
            plans.append({"classes": s, "tint": int(rng.integers(0, 5))})
    elif split == "pairs":
        extra = _counts(rng, count, (0, 1))
        for k in extra:
            s = [SNEAKER, BOOT] + _others(rng, int(k), {SNEAKER, BOOT})
            plans.append({"classes": s, "tint": int(rng.integers(0, 5))})
    elif split == "bag":
        with_bag = _quota(rng, count, 0.5)
        for wb in with_bag:
            if wb:
                s = [BAG] + _others(rng, int(rng.integers(0, 3)), {BAG})
                plans.append({"classes": s, "tint": int(rng.integers(0, 4))})
            else:
                s = _others(rng, int(rng.integers(1, 4)), {BAG})
                plans.append({"classes": s, "tint": BLUE})
    else:
        raise ValueError("unknown split %r" % split)

    # Source Fashion-MNIST images: per class, walk a seeded permutation.
    for p in plans:
        p["order"] = [int(c) for c in rng.permutation(p["classes"])]
    return plans


def assign_sources(plans, labels, seed, split):
    """Give every garment of every plan a source image index (cycling through
    a seeded permutation of that class's images)."""
    rng = np.random.Generator(np.random.PCG64([seed, SPLIT_IDS[split], 1]))
    pools = {c: rng.permutation(np.flatnonzero(labels == c)) for c in range(10)}
    used = {c: 0 for c in range(10)}
    for p in plans:
        src = []
        for c in p["order"]:
            pool = pools[c]
            src.append(int(pool[used[c] % len(pool)]))
            used[c] += 1
        p["sources"] = src


# ---------------------------------------------------------------- rendering

def _background(rng, tint):
    """A light textured background: the tint, a smooth low-frequency shading
    (+-5%) and a fine grain (+-3 levels)."""
    coarse = rng.standard_normal((5, 5))
    r = _resample_matrix(5, SIZE)
    smooth = r @ coarse @ r.T
    smooth /= max(np.abs(smooth).max(), 1e-6)
    grain = rng.uniform(-3.0, 3.0, size=(SIZE, SIZE))
    base = np.array(TINTS[tint], dtype=np.float64)
    bg = base[None, None, :] * (1.0 + 0.05 * smooth[:, :, None]) + grain[:, :, None]
    return np.clip(bg, 0.0, 255.0)


def _garment_style(split, cls, rng):
    """(size in px, contrast) of one garment."""
    biased = split in ("train", "longtail")
    if biased and cls == SNEAKER:
        return int(rng.integers(SNEAKER_SIZE[0], SNEAKER_SIZE[1] + 1)), SNEAKER_CONTRAST
    size = int(rng.integers(NORMAL_SIZE[0], NORMAL_SIZE[1] + 1))
    if biased and cls == BAG:
        return size, BAG_CONTRAST
    return size, 1.0


def render_one(split, seed, index, plan, images, layers=False):
    """Render one planned image.  Returns (uint8 [128,128,3], boxes) where
    boxes is a list of (class, x0, y0, x1, y1); with layers=True also returns
    (background float [128,128,3], list of full-canvas ink maps [128,128])."""
    rng = np.random.Generator(np.random.PCG64([seed, SPLIT_IDS[split], 2, index]))
    bg = _background(rng, plan["tint"])
    canvas = bg.copy()
    cells = rng.permutation(4)
    boxes = []
    inks = []
    for k, (cls, src) in enumerate(zip(plan["order"], plan["sources"])):
        size, contrast = _garment_style(split, cls, rng)
        ink = np.clip(resize(images[src].astype(np.float64) / 255.0, size), 0.0, 1.0)
        cy, cx = divmod(int(cells[k]), 2)
        oy = cy * CELL + int(rng.integers(0, CELL - size + 1))
        ox = cx * CELL + int(rng.integers(0, CELL - size + 1))
        # A saturated, fairly dark random colour: random hue, value 0.25-0.65.
        colour = rng.uniform(0.0, 1.0, 3)
        colour = colour / max(colour.max(), 1e-6) * rng.uniform(0.25, 0.65) * 255.0
        alpha = (ink * contrast)[:, :, None]
        region = canvas[oy:oy + size, ox:ox + size]
        canvas[oy:oy + size, ox:ox + size] = region * (1.0 - alpha) + colour[None, None, :] * alpha
        ys, xs = np.nonzero(ink >= BOX_THRESHOLD)
        boxes.append((cls, ox + int(xs.min()), oy + int(ys.min()),
                      ox + int(xs.max()) + 1, oy + int(ys.max()) + 1))
        if layers:
            full = np.zeros((SIZE, SIZE))
            full[oy:oy + size, ox:ox + size] = ink
            inks.append(full)
    img = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    if layers:
        return img, boxes, bg, inks
    return img, boxes


# ---------------------------------------------------------------- PNG

def _chunk(kind, payload):
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def png_bytes(img):
    """Encode uint8 [h,w,3] as an 8-bit RGB PNG (filter 0 on every row)."""
    h, w, _ = img.shape
    raw = np.concatenate([np.zeros((h, 1), dtype=np.uint8), img.reshape(h, w * 3)], axis=1)
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + _chunk(b"IEND", b""))


def write_png(path, img):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png_bytes(img))
    os.replace(tmp, path)


def read_png(path):
    """Decode an 8-bit RGB, non-interlaced PNG (any row filter) to uint8 [h,w,3]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG file" % path)
    pos, idat, w = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        payload = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", payload)
            if depth != 8 or ctype != 2 or interlace != 0:
                raise ValueError("%s: only 8-bit RGB non-interlaced PNG is read here" % path)
        elif kind == b"IDAT":
            idat.append(payload)
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, 1 + w * 3)
    out = np.zeros((h, w * 3), dtype=np.int32)
    bpp = 3
    for y in range(h):
        ftype, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y > 0 else np.zeros(w * 3, dtype=np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(w * 3, dtype=np.int32)
            for x in range(w * 3):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if ftype == 1:
                    pred = a
                elif ftype == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 255
        out[y] = cur
    return out.astype(np.uint8).reshape(h, w, 3)


# ---------------------------------------------------------------- driver

def source_for(split):
    return "train" if split in ("train", "balanced", "longtail") else "t10k"


def generate(split, count, seed, data_dir=DATA_DIR, progress=False):
    """Yield (file name, uint8 image, class list, boxes) for a whole split."""
    images, labels = load_fashion(source_for(split), data_dir)
    plans = plan_split(split, count, seed)
    assign_sources(plans, labels, seed, split)
    for i, p in enumerate(plans):
        img, boxes = render_one(split, seed, i, p, images)
        if progress and i % 1000 == 0:
            print("%s: %d/%d" % (split, i, count), file=sys.stderr)
        yield "%s-%05d.png" % (split, i), img, sorted(p["classes"]), boxes


def write_split(split, count, seed, out, data_dir=DATA_DIR, progress=False):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "labels.csv"), "w", newline="") as lf, \
         open(os.path.join(out, "boxes.csv"), "w", newline="") as bf:
        lw, bw = csv.writer(lf, lineterminator="\n"), csv.writer(bf, lineterminator="\n")
        lw.writerow(["file", "labels"])
        bw.writerow(["file", "class", "x0", "y0", "x1", "y1"])
        for name, img, classes, boxes in generate(split, count, seed, data_dir, progress):
            write_png(os.path.join(out, name), img)
            lw.writerow([name, ";".join(CLASSES[c] for c in classes)])
            for cls, x0, y0, x1, y1 in sorted(boxes):
                bw.writerow([name, CLASSES[cls], x0, y0, x1, y1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=SPLITS, required=True)
    ap.add_argument("--count", type=int, required=True, help="number of images")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--data-dir", default=DATA_DIR,
                    help="folder of Fashion-MNIST's gzipped IDX files (package dataset-fashion-mnist)")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be positive")
    try:
        write_split(args.split, args.count, args.seed, args.out, args.data_dir,
                    progress=sys.stderr.isatty())
    except (OSError, ValueError) as e:
        print("make_mosaics: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
