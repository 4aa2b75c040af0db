#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam eval --shard I/N and --merge (issue 15) on the shipped demo: three
# shards merged equal one run over all the images to 1e-6 in every figure
# (mAP and AP of both heads, every method's pointing game per class, bias
# lens, Average Drop, Increase in Confidence, deletion/insertion, counts),
# compared with python3; and the merge refuses parts that do not belong
# together, naming the file. With --head (the re-fit lens) the merge equals
# the whole run too, the verdict rows included, also at an inner layer
# where CAM's comparison is skipped.
set -u
D="$MCAM_SOURCE_DIR/data/demo"
NET="$D/fashion-mosaic-resnet.safetensors"
MEM="$D/fashion-mosaic-memory.safetensors"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..25"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

SAME="$MCAM_SOURCE_DIR/tests/cli/same-figures.py"

E="--model $NET --memory $MEM --images $D/images --labels $D/images/labels.csv --boxes $D/images/boxes.csv --methods mcam,cam,gradcam:memory --metrics pointing,drop,deletion --json"
# shellcheck disable=SC2086
"$MCAM" eval $E > "$T/full.json" 2> "$T/err"
check $? "one run over the 40 demo images"
for i in 1 2 3; do
  # shellcheck disable=SC2086
  "$MCAM" eval $E --shard $i/3 --out "$T/part$i.json" 2>> "$T/err" || echo "# shard $i failed"
done
[ -f "$T/part1.json" ] && [ -f "$T/part2.json" ] && [ -f "$T/part3.json" ]
check $? "--shard 1/3, 2/3, 3/3 write their parts"
python3 -c '
import json, sys
parts = [json.load(open(sys.argv[1] + "/part%d.json" % i)) for i in (1, 2, 3)]
sizes = [len(p["records"]) for p in parts]
names = [r["file"] for p in parts for r in p["records"]]
ok = sorted(sizes) == [13, 13, 14] and len(set(names)) == 40
# contiguous blocks of the sorted names
ok = ok and all(max(r["file"] for r in parts[i]["records"]) < min(r["file"] for r in parts[i + 1]["records"]) for i in (0, 1))
print("# shard sizes", sizes); sys.exit(0 if ok else 1)' "$T"
check $? "the shards partition the 40 images into contiguous blocks of sorted names (13/13/14)"
"$MCAM" eval --merge --json "$T/part3.json" "$T/part1.json" "$T/part2.json" > "$T/merged.json" 2>> "$T/err"
check $? "--merge of the three parts (any order) exits 0"
python3 "$SAME" "$T/full.json" "$T/merged.json"
check $? "the merged figures equal the one run's to 1e-6 (mAP, AP, pointing, bias lens, drop, deletion)"
jq -e '.methods[0].pointing.pairs > 0 and (.methods[0].average_drop | type) == "number" and (.methods[0].deletion_auc | type) == "number" and (.mAP.memory | type) == "number" and .merged.parts == 3' "$T/merged.json" > /dev/null
check $? "the merged report has pointing pairs, Average Drop, deletion AUC, memory mAP"
# (cheaper metrics: only the selection is compared)
# shellcheck disable=SC2086
MCAM_SHARD=2/3 "$MCAM" eval $E --methods cam --metrics pointing > "$T/env2.json" 2>> "$T/err"
jq -e --slurpfile p "$T/part2.json" '.shard.index == 2 and .shard.count == 3 and ([.records[].file] == [$p[0].records[].file])' "$T/env2.json" > /dev/null
check $? "MCAM_SHARD=2/3 selects the same images as --shard 2/3"
# Refusals, each naming the offending file.
"$MCAM" eval --merge --json "$T/part1.json" "$T/part2.json" > /dev/null 2> "$T/e1"
[ $? = 2 ] && grep -q "shard 3/3 is missing" "$T/e1"
check $? "a missing shard is refused ($(cat "$T/e1"))"
"$MCAM" eval --merge --json "$T/part1.json" "$T/part2.json" "$T/part2.json" "$T/part3.json" > /dev/null 2> "$T/e2"
[ $? = 2 ] && grep -q "part2.json: shard 2/3 is given twice" "$T/e2"
check $? "a duplicated shard is refused ($(cat "$T/e2"))"
# (a part edited where a real run would differ: the same check, without an hour of CI)
jq '.shard.key.methods = ["mcam", "cam"]' "$T/part2.json" > "$T/other-methods.json"
"$MCAM" eval --merge --json "$T/part1.json" "$T/other-methods.json" "$T/part3.json" > /dev/null 2> "$T/e3"
[ $? = 2 ] && grep -q "other-methods.json is from a different method list" "$T/e3"
check $? "parts with another method list are refused ($(cat "$T/e3"))"
jq '.shard.key.options.fill = "mean"' "$T/part2.json" > "$T/other-fill.json"
"$MCAM" eval --merge --json "$T/part1.json" "$T/other-fill.json" "$T/part3.json" > /dev/null 2> "$T/e4"
[ $? = 2 ] && grep -q "other-fill.json is from different options" "$T/e4"
check $? "parts with other options are refused ($(cat "$T/e4"))"
head -n 21 "$D/images/labels.csv" > "$T/labels20.csv"
# shellcheck disable=SC2086
"$MCAM" eval $(echo $E | sed "s|$D/images/labels.csv|$T/labels20.csv|") --shard 2/3 > "$T/other-data.json" 2>> "$T/err"
"$MCAM" eval --merge --json "$T/part1.json" "$T/other-data.json" "$T/part3.json" > /dev/null 2> "$T/e5"
[ $? = 2 ] && grep -q "other-data.json is from a different data set" "$T/e5"
check $? "parts from another data set are refused ($(cat "$T/e5"))"
jq '.shard.key.fingerprint = "0000"' "$T/part2.json" > "$T/other-model.json"
"$MCAM" eval --merge --json "$T/part1.json" "$T/other-model.json" "$T/part3.json" > /dev/null 2> "$T/e6"
[ $? = 2 ] && grep -q "other-model.json is from a different model" "$T/e6"
check $? "parts from another model (fingerprint) are refused ($(cat "$T/e6"))"
"$MCAM" eval --merge --json "$T/part1.json" "$T/full.json" > /dev/null 2> "$T/e7"
[ $? != 0 ] && grep -q "full.json: not a part of a sharded run" "$T/e7"
check $? "a whole run's report is not taken as a part ($(cat "$T/e7"))"
# shellcheck disable=SC2086
"$MCAM" eval $E --shard 1/3 --out "$T/part1.json" > /dev/null 2> "$T/e8"
[ $? = 2 ] && grep -q "exists; give --force" "$T/e8"
check $? "--out refuses an existing part without --force"
# shellcheck disable=SC2086
"$MCAM" eval $E --shard 4/3 > /dev/null 2> "$T/e9"
[ $? = 2 ] && grep -q "1 ≤ I ≤ N" "$T/e9"
check $? "--shard 4/3 is a usage error"

# Features at scale: `mcam features --shard` parts joined by train / refit
# --features give the very bytes an unsharded cache gives (same seed).
F="--images $D/images --labels $D/images/labels.csv --threads 1"
for i in 1 2 3; do
  # shellcheck disable=SC2086
  "$MCAM" features --model "$NET" $F --shard $i/3 --out "$T/f$i.features" 2>> "$T/err" || echo "# features $i failed"
done
jq -e '.shard == 2 and .count == 3 and .images_total == 40 and (.rows | length) == 13' "$T/f2.features.json" > /dev/null
check $? "mcam features --shard 2/3 writes a part of 13 rows and its description"
# shellcheck disable=SC2086
"$MCAM" train --backbone "$NET" $F --slots 20 --epochs 3 --out "$T/mem-one.safetensors" > /dev/null 2>> "$T/err" &&
"$MCAM" train --backbone "$NET" $F --slots 20 --epochs 3 --out "$T/mem-parts.safetensors" \
  --features "$T/f3.features" "$T/f1.features" "$T/f2.features" > /dev/null 2>> "$T/err" &&
cmp -s "$T/mem-one.safetensors" "$T/mem-parts.safetensors"
check $? "train --features on three parts writes the same bytes as train on one cache"
# shellcheck disable=SC2086
"$MCAM" refit --model "$NET" $F --l2 0.01 --out "$T/head-one.safetensors" > /dev/null 2>> "$T/err" &&
"$MCAM" refit --model "$NET" $F --l2 0.01 --out "$T/head-parts.safetensors" \
  --features "$T/f1.features" --features "$T/f2.features" --features "$T/f3.features" > /dev/null 2>> "$T/err" &&
cmp -s "$T/head-one.safetensors" "$T/head-parts.safetensors"
check $? "refit --features on three parts writes the same bytes as refit on one cache"
# shellcheck disable=SC2086
"$MCAM" train --backbone "$NET" $F --slots 20 --epochs 1 --out "$T/m.safetensors" \
  --features "$T/f1.features" "$T/f3.features" > /dev/null 2> "$T/e10"
[ $? = 2 ] && grep -q "shard 2/3 is missing" "$T/e10"
check $? "train --features refuses a missing shard ($(tail -n 1 "$T/e10"))"
# shellcheck disable=SC2086
"$MCAM" features --model "$NET" --images "$D/images" --labels "$T/labels20.csv" --threads 1 --shard 2/3 \
  --out "$T/other.features" 2>> "$T/err"
# shellcheck disable=SC2086
"$MCAM" train --backbone "$NET" $F --slots 20 --epochs 1 --out "$T/m.safetensors" \
  --features "$T/f1.features" "$T/other.features" "$T/f3.features" > /dev/null 2> "$T/e11"
[ $? = 2 ] && grep -q "other.features is a part of another image list" "$T/e11"
check $? "a part of another image list is refused ($(tail -n 1 "$T/e11"))"
# shellcheck disable=SC2086
"$MCAM" features --model "$NET" $F --shard 1/3 --out "$T/f1.features" > /dev/null 2> "$T/e12"
[ $? = 2 ] && grep -q "exists; give --force" "$T/e12"
check $? "mcam features --out refuses an existing part without --force"

# --head: the re-fit lens's figures and verdicts come from the per-pair records of both
# heads, so three shards merged give the whole run's lens, word for word.
HEAD="$D/fashion-mosaic-refit-head.safetensors"
EH="--model $NET --memory $MEM --head $HEAD --images $D/images --labels $D/images/labels.csv --boxes $D/images/boxes.csv --methods cam,gradcam++,mcam --metrics pointing,drop --threads 1"
# shellcheck disable=SC2086
"$MCAM" eval $EH --json > "$T/head-full.json" 2>> "$T/err" &&
  "$MCAM" eval $EH > "$T/head-full.md" 2>> "$T/err"
for i in 1 2 3; do
  # shellcheck disable=SC2086
  "$MCAM" eval $EH --shard $i/3 --json --out "$T/hpart$i.json" 2>> "$T/err" || echo "# head shard $i failed"
done
"$MCAM" eval --merge --json "$T/hpart2.json" "$T/hpart3.json" "$T/hpart1.json" > "$T/head-merged.json" 2>> "$T/err" &&
  python3 "$SAME" "$T/head-full.json" "$T/head-merged.json" &&
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
lens = r["refit_lens"]
rows = [v for m in ("cam", "gradcam++") for v in lens["methods"][m]["per_class"].values()]
ok = len(rows) == 20 and all(v["verdict"] and v["pairs"] > 0 for v in rows)
ok = ok and "mcam" not in lens["methods"] and isinstance(lens["map_network_head"], float)
ok = ok and lens["methods"]["cam"]["per_class"]["Sneaker"]["verdict"].startswith("the features locate Sneaker")
print("# %d verdict rows; Sneaker under cam: %s" % (len(rows), lens["methods"]["cam"]["per_class"]["Sneaker"]["verdict"]))
sys.exit(0 if ok else 1)' "$T/head-merged.json"
check $? "eval --head: three shards merged equal the one run (both heads' mAP and AP, own-object rates, verdicts)"
"$MCAM" eval --merge "$T/hpart1.json" "$T/hpart2.json" "$T/hpart3.json" > "$T/head-merged.md" 2>> "$T/err"
sed -n '/^## Re-fit lens/,$p' "$T/head-full.md" > "$T/lens-full.md"
sed -n '/^## Re-fit lens/,$p' "$T/head-merged.md" > "$T/lens-merged.md"
[ "$(grep -c '^| Sneaker |' "$T/lens-full.md")" = 2 ] && cmp -s "$T/lens-full.md" "$T/lens-merged.md"
check $? "eval --head --merge: the Markdown re-fit lens section (tables and verdicts) is the one run's, byte for byte"
# at an inner layer: CAM explains the re-fit head there, its comparison is skipped in the
# whole run and in the merge alike
"$MCAM" refit --model "$NET" --layer layer3.0 $F --l2 0.01 --out "$T/l3-head.safetensors" > /dev/null 2>> "$T/err"
EL="--model $NET --layer layer3.0 --head $T/l3-head.safetensors --images $D/images --labels $D/images/labels.csv --boxes $D/images/boxes.csv --methods cam,gradcam --metrics pointing --threads 1"
# shellcheck disable=SC2086
"$MCAM" eval $EL --json > "$T/l3-full.json" 2>> "$T/err"
for i in 1 2; do
  # shellcheck disable=SC2086
  "$MCAM" eval $EL --shard $i/2 --json --out "$T/l3part$i.json" 2>> "$T/err" || echo "# layer3 shard $i failed"
done
"$MCAM" eval --merge --json "$T/l3part1.json" "$T/l3part2.json" > "$T/l3-merged.json" 2>> "$T/err" &&
  python3 "$SAME" "$T/l3-full.json" "$T/l3-merged.json" &&
  jq -e '(.methods[0].network_head_skipped | test("not at layer3.0")) and (.refit_lens.methods | keys) == ["gradcam"]' "$T/l3-merged.json" > /dev/null
check $? "eval --head --layer layer3.0: the merge equals the one run, CAM's skipped comparison included"
