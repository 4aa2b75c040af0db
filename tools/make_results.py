#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/RESULTS.md: every method x metric of `mcam eval` on the demo's splits,
one run, with the time per image of each method (issue 6, item 6).

Runs the built `mcam` (no PyTorch). For each split (a folder with the images,
labels.csv and boxes.csv, or one folder whose file names start with the
split's name):
  1. every method, pointing game + bias lens + Average Drop / Increase in
     Confidence with --fill black (the paper's masking) and --fill mean;
  2. every method on the first --heavy-limit images: deletion / insertion,
     ROAD, Infidelity, Max-Sensitivity (Score-CAM without Max-Sensitivity:
     each of its maps is itself hundreds of forward passes);
  3. --timing: every method for every class of each image, after the forward pass.
Writes the JSON of each run under --json-dir and the tables to --out.

  tools/make_results.py --mcam build/src/cli/mcam --model data/demo/backbone.safetensors \\
      --memory data/demo/memory.safetensors --split test=data/demo/test \\
      --split pairs=data/demo/pairs --out docs/RESULTS.md
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

METHODS = ["mcam", "mcam-profile", "cam", "gradcam", "gradcam++", "hirescam", "xgradcam",
           "layercam", "eigencam", "eigengradcam", "ablationcam", "scorecam", "gradcam:memory"]
GRADIENT = ["gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigengradcam"]

# The M-CAM paper's own numbers (paper/quantitative_one.png, quantitative_two.png):
# dataset -> method -> value. Methods: Grad-CAM, Grad-CAM++, EigenCAM,
# EigenGradCAM, Ablation-CAM, M-CAM ("Ours").
PAPER_COLS = ["gradcam", "gradcam++", "eigencam", "eigengradcam", "ablationcam", "mcam"]
PAPER = {
    "Average Drop % (lower is better)": {
        "NIH": [36.44, 39.28, 40.20, 39.37, 28.52, 39.25],
        "Vin": [33.93, 27.35, 26.56, 26.27, 28.09, 28.19],
        "COCO": [69.06, 50.28, 49.44, 48.38, 49.65, 68.82],
        "OCT": [43.84, 49.98, 43.13, 45.39, 49.43, 31.81],
        "Endo": [85.62, 86.71, 85.50, 84.17, 86.13, 82.22],
    },
    "Increase in Confidence % (higher is better)": {
        "NIH": [37.79, 38.02, 35.71, 36.18, 35.71, 38.25],
        "Vin": [34.21, 52.96, 52.83, 53.31, 52.00, 50.62],
        "COCO": [17.34, 13.17, 15.42, 14.95, 15.46, 17.39],
        "OCT": [17.18, 25.00, 24.59, 25.10, 25.00, 32.21],
        "Endo": [2.13, 2.22, 2.87, 2.96, 2.78, 2.41],
    },
    "Infidelity (lower is better)": {
        "NIH": [None, 0.4943, None, 0.3267, 0.6664, 0.0739],
        "Vin": [None, 0.6686, None, 0.5934, 0.2173, 0.4649],
        "COCO": [None, 0.3733, None, 0.1396, 0.2675, 0.0707],
        "OCT": [None, 0.3564, None, 0.2899, 0.3312, 0.0058],
        "Endo": [None, 0.0259, None, 0.0176, 0.0243, 0.5980],
    },
    "Sensitivity (lower is better)": {
        "NIH": [None, 0.0401, None, 0.0279, 0.1406, 0.0069],
        "Vin": [None, 0.0961, None, 0.0579, 0.1247, 0.0255],
        "COCO": [None, 0.0924, None, 0.0763, 0.1503, 0.0579],
        "OCT": [None, 0.0711, None, 0.0816, 0.1939, 0.0084],
        "Endo": [None, 0.0609, None, 0.1289, 0.0736, 0.0771],
    },
}


def run_eval(args, split, extra, tag):
    cmd = [args.mcam, "eval", "--model", args.model, "--images", split["images"],
           "--labels", split["labels"], "--boxes", split["boxes"], "--json",
           "--threads", str(args.threads)] + extra
    if args.memory:
        cmd[4:4] = ["--memory", args.memory]
    t0 = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    dt = time.time() - t0
    print(f"  {tag}: {dt:.0f} s", file=sys.stderr)
    os.makedirs(args.json_dir, exist_ok=True)
    with open(os.path.join(args.json_dir, f"{split['name']}-{tag}.json"), "w") as f:
        f.write(out)
    return json.loads(out)


def split_from(spec, tmp):
    name, _, path = spec.partition("=")
    path = path.rstrip("/")
    if os.path.exists(os.path.join(path, "labels.csv")) and not path.endswith(":prefix"):
        rows = list(csv.reader(open(os.path.join(path, "labels.csv"))))
        names = [r[0] for r in rows[1:] if r]
        # one folder for every split: keep the files whose name starts with the split's
        if names and not all(n.startswith(name) for n in names) and any(n.startswith(name) for n in names):
            lab = os.path.join(tmp, f"{name}-labels.csv")
            box = os.path.join(tmp, f"{name}-boxes.csv")
            with open(lab, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(rows[0])
                w.writerows(r for r in rows[1:] if r and r[0].startswith(name))
            brows = list(csv.reader(open(os.path.join(path, "boxes.csv"))))
            with open(box, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(brows[0])
                w.writerows(r for r in brows[1:] if r and r[0].startswith(name))
            return {"name": name, "images": path, "labels": lab, "boxes": box}
    return {"name": name, "images": path, "labels": os.path.join(path, "labels.csv"),
            "boxes": os.path.join(path, "boxes.csv")}


def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def by_method(doc):
    out = {}
    for m in doc["methods"]:
        key = m["method"] + (":memory" if m["explains"] == "memory classifier" else "")
        out[key] = m
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mcam", default="build/src/cli/mcam")
    ap.add_argument("--model", required=True)
    ap.add_argument("--memory")
    ap.add_argument("--split", action="append", required=True, help="NAME=DIR")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--heavy-limit", type=int, default=10)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json-dir", default="docs/results")
    ap.add_argument("--out", default="docs/RESULTS.md")
    args = ap.parse_args()
    methods = args.methods.split(",")
    tmp = tempfile.mkdtemp()

    results = {}
    for spec in args.split:
        split = split_from(spec, tmp)
        print(f"split {split['name']}", file=sys.stderr)
        r = {}
        r["black"] = run_eval(args, split, ["--methods", ",".join(methods), "--metrics", "pointing,drop",
                                            "--fill", "black"], "black")
        r["mean"] = run_eval(args, split, ["--methods", ",".join(methods), "--metrics", "drop",
                                           "--fill", "mean"], "mean")
        heavy = [m for m in methods if m != "scorecam"]
        common = ["--limit", str(args.heavy_limit), "--samples", str(args.samples), "--fill", "black"]
        r["heavy"] = run_eval(args, split, ["--methods", ",".join(heavy), "--metrics",
                                            "deletion,road,infidelity,sensitivity"] + common, "heavy")
        if "scorecam" in methods:
            r["heavy_sc"] = run_eval(args, split, ["--methods", "scorecam", "--metrics",
                                                   "deletion,road,infidelity"] + common, "heavy-scorecam")
        r["timing"] = run_eval(args, split, ["--methods", ",".join(methods), "--metrics", "drop",
                                             "--limit", str(args.heavy_limit), "--timing"], "timing")
        results[split["name"]] = r

    lines = []
    w = lines.append
    first = next(iter(results.values()))["black"]
    w("# Results: every method × metric on the demo's splits")
    w("")
    w(f"Generated by `tools/make_results.py` from one run of `mcam eval` (model `{args.model}`"
      + (f", memory `{args.memory}`" if args.memory else "") + f"). The raw JSON of every run is in "
      f"`{args.json_dir}/`. Definitions and sources of the metrics: [METRICS.md](METRICS.md).")
    w("")
    for name, r in results.items():
        b, mn, hv = by_method(r["black"]), by_method(r["mean"]), by_method(r["heavy"])
        hsc = by_method(r["heavy_sc"]) if "heavy_sc" in r else {}
        tm = by_method(r["timing"])
        doc = r["black"]
        w(f"## Split `{name}`: {doc['images']} images")
        w("")
        w(f"mAP of the target network {fmt(doc['mAP']['target'], '.3f')}, of the memory classifier "
          f"{fmt(doc['mAP']['memory'], '.3f')}. Pointing game, bias lens and Average Drop / Increase in "
          f"Confidence over every (image, labelled class) pair of the split; deletion, insertion, ROAD, "
          f"Infidelity and Max-Sensitivity on the first {r['heavy']['images']} images.")
        w("")
        w("| method | pointing ↑ | AD % black ↓ | IC % black ↑ | AD % mean ↓ | IC % mean ↑ | deletion ↓ | insertion ↑ "
          "| ROAD MoRF ↓ | ROAD LeRF ↑ | Infidelity ↓ | Max-Sens. ↓ | no positive value |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for m in methods:
            if m not in b:
                continue
            h = hv.get(m) or hsc.get(m) or {}
            p = b[m].get("pointing", {})
            w(f"| {m} | {fmt(100 * p['rate'] if p.get('rate') is not None else None, '.1f')}% "
              f"| {fmt(b[m].get('average_drop'), '.2f')} | {fmt(b[m].get('increase_in_confidence'), '.1f')} "
              f"| {fmt(mn[m].get('average_drop'), '.2f')} | {fmt(mn[m].get('increase_in_confidence'), '.1f')} "
              f"| {fmt(h.get('deletion_auc'), '.4f')} | {fmt(h.get('insertion_auc'), '.4f')} "
              f"| {fmt(h.get('road_morf'), '.4f')} | {fmt(h.get('road_lerf'), '.4f')} "
              f"| {fmt(h.get('infidelity'), '.3g')} | {fmt(h.get('max_sensitivity'), '.4f')} "
              f"| {b[m]['maps_without_positive_value']} |")
        w("")
        # bias lens of every class that co-occurs: one line per method for each class
        classes = [c for c, v in next(iter(b.values()))["bias_lens"].items() if v["pairs"] > 0]
        w(f"Bias lens (where each class's map peaks: own object / another object / background / "
          f"no positive value), split `{name}`:")
        w("")
        w("| class (pairs) | " + " | ".join(methods) + " |")
        w("|---|" + "---|" * len(methods))
        for c in classes:
            cells = []
            for m in methods:
                if m not in b:
                    cells.append("–")
                    continue
                L = b[m]["bias_lens"][c]
                n = L["pairs"]
                others = sorted(L["on"].items(), key=lambda kv: -kv[1])
                top = f"{others[0][0]} {100 * others[0][1] / n:.0f}%" if others else ""
                cells.append(f"own {100 * L['own'] / n:.0f}%" + (f", {top}" if top else "")
                             + (f", bg {100 * L['background'] / n:.0f}%" if L["background"] else "")
                             + (f", none {100 * L['no_map'] / n:.0f}%" if L["no_map"] else ""))
            w(f"| {c} ({b[methods[0]]['bias_lens'][c]['pairs']}) | " + " | ".join(cells) + " |")
        w("")
        w(f"Time per image (ms), every class of the image after the forward pass "
          f"({r['timing']['forward_ms_per_image']:.1f} ms), mean over {r['timing']['images']} images, "
          f"1 BLAS thread:")
        w("")
        w("| method | ms per image, all classes |")
        w("|---|---:|")
        grad_total = 0.0
        for m in methods:
            if m in tm:
                v = tm[m]["all_classes_ms_per_image"]
                w(f"| {m} | {fmt(v, '.2f')} |")
                if m in GRADIENT:
                    grad_total += v
        w(f"| **gradient-based methods together** ({', '.join(GRADIENT)}) | **{grad_total:.2f}** |")
        w("")

    w("## The paper's numbers, for context")
    w("")
    w("Kim & Ro, BMVC 2021, Tables 1-4 (`paper/quantitative_*.png`): ResNet backbones on chest X-ray "
      "(NIH, VinDr), COCO, retinal OCT and endoscopy data sets — not our data, and with masking and "
      "perturbation settings the paper does not state, so only the ordering within a row can be "
      "compared with ours, not the values.")
    w("")
    for title, table in PAPER.items():
        w(f"**{title}**")
        w("")
        w("| data set | " + " | ".join(PAPER_COLS) + " |")
        w("|---|" + "---:|" * len(PAPER_COLS))
        for ds, vals in table.items():
            w(f"| {ds} | " + " | ".join(fmt(v, 'g') for v in vals) + " |")
        w("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
