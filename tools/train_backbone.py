#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Train the demo backbone on the biased Fashion-MNIST mosaics (issue 4).

A small custom ResNet built from torchvision's own ResNet/BasicBlock classes
(so the state_dict names are torchvision's: conv1, bn1, layer1.0.conv1, ...,
fc) with the "small" stem of DESIGN 3: conv1 3x3 stride 1 pad 1 + bn1 + relu,
no max-pool.  Three stride-2 stages give f = input / 8.  Trained multi-label
with BCE on the biased train split, on the CPU, then exported to safetensors
with the complete mcam.* metadata (tools/st_io.py).

The mosaics are generated once by tools/make_mosaics.py and cached as .npy
under tools/out/ (not committed).  When mcam.input is smaller than 128x128
the mosaics are resized with PyTorch's antialiased bilinear on floats; the C
engine resizes like PIL (to 8-bit pixels), which moved the demo's logits by
at most 0.075 (data/demo/README.md).

It prints the test mAP and per-class AP, the Sneaker score with and without
an Ankle boot, and where CAM for Sneaker peaks on the pairs split (on the
sneaker, on the boot, elsewhere).

The defaults are the shipped demo's (data/demo/README.md): 20,000 train
mosaics (seed 1), input 64x64, layers [1,1,1,1], widths [16,32,64,128], 3
epochs of AdamW with a one-cycle lr of 2e-3, batch 64, torch seed 0.

Usage (Debian's PyTorch, CPU):
  nice /usr/bin/python3 tools/train_backbone.py \
      --out data/demo/fashion-mosaic-resnet.safetensors --report tools/out/backbone-report.json
  nice /usr/bin/python3 tools/train_backbone.py --time-only   # seconds per epoch
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_mosaics as mm  # noqa: E402
import st_io  # noqa: E402

OUT = os.path.join(HERE, "out")


# ---------------------------------------------------------------- data

def cached_split(split, count, seed):
    """(uint8 [n,128,128,3], float32 multi-hot [n,10], boxes list) of a split,
    generated once and cached in tools/out/."""
    os.makedirs(OUT, exist_ok=True)
    base = os.path.join(OUT, "%s-n%d-s%d" % (split, count, seed))
    if os.path.exists(base + ".npz"):
        z = np.load(base + ".npz", allow_pickle=False)
        boxes = json.loads(str(z["boxes"]))
        return z["images"], z["labels"], boxes
    t0 = time.time()
    images = np.zeros((count, 128, 128, 3), dtype=np.uint8)
    labels = np.zeros((count, 10), dtype=np.float32)
    boxes = []
    for i, (_, img, classes, bxs) in enumerate(mm.generate(split, count, seed)):
        images[i] = img
        labels[i, classes] = 1.0
        boxes.append([list(b) for b in bxs])
    np.savez(base + ".npz", images=images, labels=labels, boxes=np.array(json.dumps(boxes)))
    print("generated %s: %d images in %.0f s" % (split, count, time.time() - t0), flush=True)
    return images, labels, boxes


def to_input(images, size, mean, std, batch=1000):
    """uint8 NHWC 128x128 -> normalised float NCHW at size x size."""
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i:i + batch]).permute(0, 3, 1, 2).float() / 255.0
        if size != x.shape[-1]:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out.append((x - mean[None, :, None, None]) / std[None, :, None, None])
    return torch.cat(out)


# ---------------------------------------------------------------- model

def small_resnet(layers, widths, classes):
    """torchvision ResNet with BasicBlocks, custom widths and the small stem."""
    net = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=classes)
    net.inplanes = widths[0]
    net.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
    net.bn1 = nn.BatchNorm2d(widths[0])
    net.maxpool = nn.Identity()
    net.layer1 = net._make_layer(BasicBlock, widths[0], layers[0])
    net.layer2 = net._make_layer(BasicBlock, widths[1], layers[1], stride=2)
    net.layer3 = net._make_layer(BasicBlock, widths[2], layers[2], stride=2)
    net.layer4 = net._make_layer(BasicBlock, widths[3], layers[3], stride=2)
    net.fc = nn.Linear(widths[3], classes)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return net


def features(net, x):
    """f (the output of layer4, after its ReLU) and the logits."""
    x = net.relu(net.bn1(net.conv1(x)))
    x = net.layer4(net.layer3(net.layer2(net.layer1(x))))
    return x, net.fc(torch.flatten(net.avgpool(x), 1))


# ---------------------------------------------------------------- metrics

def average_precision(scores, truth):
    """AP of one class: mean precision at the rank of each positive."""
    order = np.argsort(-scores, kind="stable")
    t = truth[order]
    if t.sum() == 0:
        return float("nan")
    hits = np.cumsum(t)
    prec = hits / np.arange(1, len(t) + 1)
    return float((prec * t).sum() / t.sum())


def evaluate(net, x, batch=250):
    net.eval()
    fs, logits = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            f, z = features(net, x[i:i + batch])
            fs.append(f)
            logits.append(z)
    return torch.cat(fs), torch.cat(logits)


def landing(peak, boxes, cls, tol=0):
    """Where a map's peak (y, x) in image pixels lands: 'own', another class
    index, or 'background'.  Boxes are (class, x0, y0, x1, y1), x1/y1 exclusive."""
    y, x = peak

    def inside(b):
        return b[1] - tol <= x < b[3] + tol and b[2] - tol <= y < b[4] + tol
    for b in boxes:
        if b[0] == cls and inside(b):
            return "own"
    for b in boxes:
        if b[0] != cls and inside(b):
            return b[0]
    return "background"


def cam_peaks(f, weight, cls, size=128):
    """CAM for class cls (head weight x f), upsampled bilinearly
    (align_corners=False) to the image size; returns the peaks (y, x)."""
    cam = torch.einsum("c,nchw->nhw", weight[cls], f)
    cam = F.interpolate(cam[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]
    flat = cam.reshape(len(cam), -1).argmax(dim=1)
    return [(int(i) // size, int(i) % size) for i in flat]


def report(net, data, args):
    """Print and return the measured numbers."""
    res = {}
    x, y, _ = data["test"]
    f, z = evaluate(net, x)
    s = torch.sigmoid(z).numpy()
    aps = [average_precision(s[:, c], y[:, c]) for c in range(10)]
    res["test_map"] = float(np.mean(aps))
    res["test_ap"] = dict(zip(mm.CLASSES, [round(a, 4) for a in aps]))
    print("test mAP %.4f" % res["test_map"])
    for c in range(10):
        print("  AP %-12s %.4f" % (mm.CLASSES[c], aps[c]))
    sn, bt = mm.SNEAKER, mm.BOOT
    with_boot = (y[:, sn] == 1) & (y[:, bt] == 1)
    without = (y[:, sn] == 1) & (y[:, bt] == 0)
    res["sneaker_score_with_boot"] = float(s[with_boot, sn].mean())
    res["sneaker_score_without_boot"] = float(s[without, sn].mean())
    res["sneaker_score_no_sneaker_with_boot"] = float(s[(y[:, sn] == 0) & (y[:, bt] == 1), sn].mean())
    print("test: mean Sneaker score %.3f on sneaker images without a boot (%d), %.3f with one (%d); "
          "%.3f on boot images without a sneaker"
          % (res["sneaker_score_without_boot"], without.sum(), res["sneaker_score_with_boot"],
             with_boot.sum(), res["sneaker_score_no_sneaker_with_boot"]))
    # AP of Sneaker restricted to images without an Ankle boot
    nob = y[:, bt] == 0
    res["sneaker_ap_without_boot"] = average_precision(s[nob, sn], y[nob, sn])
    res["sneaker_ap_with_boot"] = average_precision(s[~nob, sn], y[~nob, sn])
    print("test: Sneaker AP %.3f on images without a boot, %.3f on images with one"
          % (res["sneaker_ap_without_boot"], res["sneaker_ap_with_boot"]))

    for split in ("pairs", "bag"):
        xs, ys, _ = data[split]
        _, zs = evaluate(net, xs)
        ss = torch.sigmoid(zs).numpy()
        present = [c for c in range(10) if ys[:, c].any() and not ys[:, c].all()]
        res[split + "_map"] = float(np.mean([average_precision(ss[:, c], ys[:, c]) for c in present]))
        print("%s mAP %.4f (over the %d classes that are neither absent nor always present)"
              % (split, res[split + "_map"], len(present)))
        if split == "pairs":
            res["pairs_sneaker_score"] = float(ss[:, sn].mean())
            print("pairs: mean Sneaker score %.3f, Ankle boot %.3f" % (ss[:, sn].mean(), ss[:, bt].mean()))
        else:
            bag = ys[:, mm.BAG] == 1
            res["bag_score_bag_nonblue"] = float(ss[bag, mm.BAG].mean())
            res["bag_score_blue_nobag"] = float(ss[~bag, mm.BAG].mean())
            print("bag: mean Bag score %.3f on bags on non-blue tints, %.3f on blue images without a bag"
                  % (res["bag_score_bag_nonblue"], res["bag_score_blue_nobag"]))

    # Where CAM for Sneaker peaks on the pairs split.
    xs, ys, boxes = data["pairs"]
    fp, _ = evaluate(net, xs)
    peaks = cam_peaks(fp, net.fc.weight.detach(), sn)
    counts = {}
    for tol in (0, 15):
        land = [landing(p, b, sn, tol) for p, b in zip(peaks, boxes)]
        own = np.mean([l == "own" for l in land])
        boot = np.mean([l == bt for l in land])
        other = np.mean([l not in ("own", bt, "background") for l in land])
        bgd = np.mean([l == "background" for l in land])
        counts[tol] = (own, boot, other, bgd)
        print("pairs: CAM for Sneaker peaks (tolerance %d px) on the sneaker %.1f%%, on the Ankle boot %.1f%%, "
              "on another garment %.1f%%, on the background %.1f%%"
              % (tol, 100 * own, 100 * boot, 100 * other, 100 * bgd))
    res["pairs_cam_sneaker_on_sneaker"] = counts[0][0]
    res["pairs_cam_sneaker_on_boot"] = counts[0][1]
    res["pairs_cam_sneaker_pointing15"] = counts[15][0]
    # The same for Ankle boot (the network's own object).
    peaks = cam_peaks(fp, net.fc.weight.detach(), bt)
    res["pairs_cam_boot_on_boot"] = float(np.mean([landing(p, b, bt) == "own" for p, b in zip(peaks, boxes)]))
    print("pairs: CAM for Ankle boot peaks on the boot %.1f%%" % (100 * res["pairs_cam_boot_on_boot"]))
    # Pointing game of CAM on the test split, every (image, present class).
    xs, ys, boxes = data["test"]
    hits = tot = 0
    for c in range(10):
        idx = np.flatnonzero(ys[:, c] == 1)
        pk = cam_peaks(f[idx], net.fc.weight.detach(), c)
        hits += sum(landing(p, boxes[i], c, 15) == "own" for p, i in zip(pk, idx))
        tot += len(idx)
    res["test_cam_pointing15"] = hits / tot
    print("test: CAM pointing game (15 px) %.1f%% over %d (image, class) pairs" % (100 * hits / tot, tot))
    return res


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-count", type=int, default=20000)
    ap.add_argument("--train-split", default="train", choices=("train", "longtail"),
                    help="longtail: the train split with Dress in 1%% of the images (make_mosaics.py)")
    ap.add_argument("--test-count", type=int, default=2000)
    ap.add_argument("--pairs-count", type=int, default=500)
    ap.add_argument("--bag-count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1, help="mosaic seed (the test splits use seed+1)")
    ap.add_argument("--torch-seed", type=int, default=0)
    ap.add_argument("--input", type=int, default=64, help="network input size (square)")
    ap.add_argument("--layers", default="1,1,1,1")
    ap.add_argument("--widths", default="16,32,64,128")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--time-only", action="store_true", help="time one epoch's first batches and stop")
    ap.add_argument("--out", help="safetensors file to write")
    ap.add_argument("--report", help="JSON file for the measured numbers")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.torch_seed)
    layers = [int(v) for v in args.layers.split(",")]
    widths = [int(v) for v in args.widths.split(",")]

    imgs, ytr, _ = cached_split(args.train_split, args.train_count, args.seed)
    mean = torch.tensor(imgs[::10].reshape(-1, 3).mean(axis=0) / 255.0, dtype=torch.float32)
    std = torch.tensor(imgs[::10].reshape(-1, 3).std(axis=0) / 255.0, dtype=torch.float32)
    mean, std = torch.round(mean * 1e4) / 1e4, torch.round(std * 1e4) / 1e4
    xtr = to_input(imgs, args.input, mean, std)
    del imgs
    data = {}
    for split, n in (("test", args.test_count), ("pairs", args.pairs_count), ("bag", args.bag_count)):
        im, y, boxes = cached_split(split, n, args.seed + 1)
        data[split] = (to_input(im, args.input, mean, std), y, boxes)
    ytr = torch.from_numpy(ytr)

    net = small_resnet(layers, widths, 10)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=max(steps, 1), pct_start=0.15)
    gen = torch.Generator().manual_seed(args.torch_seed)
    t_start = time.time()
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(xtr), generator=gen)
        t0, total, nb = time.time(), 0.0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            _, z = features(net, xtr[idx])
            loss = F.binary_cross_entropy_with_logits(z, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
            nb += 1
            if nb % 50 == 0:
                print("  epoch %d: %d/%d images, loss %.4f, %.0f s"
                      % (epoch + 1, i + len(idx), len(xtr), total / nb, time.time() - t0), flush=True)
            if args.time_only and nb == 40:
                per = (time.time() - t0) / (nb * args.batch)
                print("input %d widths %s: %.2f ms per image, %.0f s per epoch of %d"
                      % (args.input, args.widths, 1000 * per, per * len(xtr), len(xtr)))
                return 0
        print("epoch %d: loss %.4f, %.0f s" % (epoch + 1, total / nb, time.time() - t0), flush=True)
    train_s = time.time() - t_start
    print("training time %.0f s (%d epochs, %d images, %d threads)" % (train_s, args.epochs, len(xtr), args.threads))

    res = report(net, data, args)
    res.update({"training_seconds": round(train_s), "epochs": args.epochs, "train_count": len(xtr),
                "input": args.input, "widths": widths, "layers": layers, "seed": args.seed,
                "torch_seed": args.torch_seed, "lr": args.lr, "batch": args.batch,
                "train_split": args.train_split})
    if args.report:
        with open(args.report, "w") as f:
            json.dump(res, f, indent=1)
    if args.out:
        sd = {k: v for k, v in net.state_dict().items() if v.is_floating_point()}
        meta = {
            "mcam.format": "1",
            "mcam.arch": "resnet",
            "mcam.block": "basic",
            "mcam.layers": json.dumps(layers, separators=(",", ":")),
            "mcam.widths": json.dumps(widths, separators=(",", ":")),
            "mcam.stem": "small",
            "mcam.input": "%dx%d" % (args.input, args.input),
            "mcam.resize": "stretch",
            "mcam.mean": json.dumps([round(float(v), 4) for v in mean]),
            "mcam.std": json.dumps([round(float(v), 4) for v in std]),
            "mcam.classes": json.dumps(mm.CLASSES),
            "mcam.multilabel": "true",
            "mcam.description": "demo: small ResNet trained on biased Fashion-MNIST mosaics "
                                "(tools/train_backbone.py, %s split, seed %d), test mAP %.3f"
                                % (args.train_split, args.seed, res["test_map"]),
        }
        tmp = args.out + ".tmp"
        st_io.save(tmp, sd, meta, dtype=np.float32)
        os.replace(tmp, args.out)
        print("wrote %s (%d tensors, %.1f MB)" % (args.out, len(sd), os.path.getsize(args.out) / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
