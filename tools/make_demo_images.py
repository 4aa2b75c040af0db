#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the demo's images (data/demo/images/): the first images of the test,
pairs and bag splits of tools/make_mosaics.py, in one folder, with one
labels.csv and one boxes.csv.  The file names keep their split prefix
(test-00000.png, pairs-00000.png, bag-00000.png).  Numpy only.

Usage:
  tools/make_demo_images.py --seed 2 --test 20 --pairs 12 --bag 8 --out data/demo/images
"""
import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_mosaics as mm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--test", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=12)
    ap.add_argument("--bag", type=int, default=8)
    ap.add_argument("--full", type=int, nargs=3, default=(2000, 500, 500), metavar=("TEST", "PAIRS", "BAG"),
                    help="size of the full splits the images are the first of (the plan depends on it)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "labels.csv"), "w", newline="") as lf, \
         open(os.path.join(args.out, "boxes.csv"), "w", newline="") as bf:
        lw, bw = csv.writer(lf, lineterminator="\n"), csv.writer(bf, lineterminator="\n")
        lw.writerow(["file", "labels"])
        bw.writerow(["file", "class", "x0", "y0", "x1", "y1"])
        for split, take, full in zip(("test", "pairs", "bag"), (args.test, args.pairs, args.bag), args.full):
            for i, (name, img, classes, boxes) in enumerate(mm.generate(split, full, args.seed)):
                if i >= take:
                    break
                mm.write_png(os.path.join(args.out, name), img)
                lw.writerow([name, ";".join(mm.CLASSES[c] for c in classes)])
                for cls, x0, y0, x1, y1 in sorted(boxes):
                    bw.writerow([name, mm.CLASSES[cls], x0, y0, x1, y1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
