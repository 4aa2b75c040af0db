#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The shipped demo (data/demo/): the model classifies the shipped images with
# the mAP that data/demo/README.md states (+-0.02), for the backbone's own head
# and for the memory classifier; mAP computed here from `mcam classify --json`
# with python3 (no PyTorch).
set -u
D="$MCAM_SOURCE_DIR/data/demo"
NET="$D/fashion-mosaic-resnet.safetensors"
MEM="$D/fashion-mosaic-memory.safetensors"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..5"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

[ -f "$NET" ] && [ -f "$MEM" ] && [ -f "$D/images/labels.csv" ] && [ -f "$D/images/boxes.csv" ]
check $? "demo model, memory, labels.csv and boxes.csv present"

size=$(du -cb "$D" | tail -1 | cut -f1)
[ "$size" -le 16777216 ]
check $? "data/demo/ within 16 MB ($size bytes)"

# Every image listed in labels.csv, in that order.
files=$(tail -n +2 "$D/images/labels.csv" | cut -d, -f1 | sed "s|^|$D/images/|")
# shellcheck disable=SC2086
"$MCAM" classify --model "$NET" --memory "$MEM" --json $files > "$T/out.json" 2> "$T/err"
check $? "mcam classify --json on the shipped images exits 0"

/usr/bin/python3 - "$T/out.json" "$D/images/labels.csv" "$D/README.md" > "$T/maps" <<'PY'
import csv, json, os, re, sys
doc = json.load(open(sys.argv[1]))
classes = doc["classes"]
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
truth = {r["file"]: set(r["labels"].split(";")) for r in rows}
readme = open(sys.argv[3]).read()

def ap(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, total = 0, 0.0
    for rank, i in enumerate(order, 1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / hits

def mean_ap(key):
    aps = []
    for c, name in enumerate(classes):
        labels = [name in truth[os.path.basename(im["file"])] for im in doc["images"]]
        if any(labels):
            aps.append(ap([im[key][c] for im in doc["images"]], labels))
    return sum(aps) / len(aps)

for key, what in (("scores", "backbone"), ("memory_scores", "memory classifier")):
    m = re.search(r"%s mAP on the shipped images[^:]*: *\**([0-9.]+)" % what, readme)
    if not m:
        sys.exit("README.md states no %s mAP on the shipped images" % what)
    stated = float(m.group(1))
    print("%s %.4f %.4f" % (key, mean_ap(key), stated))
PY
check $? "mAP computed from the JSON"

ok=0
while read -r key got stated; do
  echo "# $key: mAP $got, README states $stated"
  awk -v g="$got" -v s="$stated" 'BEGIN { d = g - s; if (d < 0) d = -d; exit !(d <= 0.02) }' || ok=1
done < "$T/maps"
[ "$(wc -l < "$T/maps")" -eq 2 ] || ok=1
check $ok "backbone and memory mAP within 0.02 of data/demo/README.md"
