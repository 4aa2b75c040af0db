#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam classify / info: JSON fields, scores = sigmoid(logits), exit codes and
# messages that name the file (DESIGN 7).
set -u
F="$MCAM_FIXTURES_DIR"
NET="$F/net-bottleneck.safetensors"
MEM="$F/memory-bottleneck.safetensors"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..9"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

"$MCAM" classify --model "$NET" --memory "$MEM" --json "$F/img-photo.png" "$F/img-pattern.bmp" > "$T/out.json" 2> "$T/err"
check $? "classify --json on two images exits 0"

/usr/bin/python3 - "$T/out.json" <<'PY'
import json, math, sys
doc = json.load(open(sys.argv[1]))
assert doc["classes"] == ["a", "b", "c", "d"], doc["classes"]
assert len(doc["images"]) == 2
for im in doc["images"]:
    assert im["file"].endswith((".png", ".bmp"))
    for key in ("logits", "scores", "memory_logits", "memory_scores"):
        assert len(im[key]) == 4, key
    for l, s in zip(im["logits"], im["scores"]):
        assert abs(1 / (1 + math.exp(-l)) - s) < 1e-6, (l, s)
    for l, s in zip(im["memory_logits"], im["memory_scores"]):
        assert abs(1 / (1 + math.exp(-l)) - s) < 1e-6, (l, s)
PY
check $? "JSON has file, logits, scores (sigmoid of logits), memory_logits, memory_scores"

"$MCAM" classify --model "$NET" "$F/img-photo.png" "$F/img-garbage.png" > "$T/out.txt" 2> "$T/err"
status=$?
[ $status = 1 ] && grep -q "img-garbage.png" "$T/err" && grep -q "img-photo.png" "$T/out.txt"
check $? "a corrupt image: exit 1, message names it, the other image still classified"

"$MCAM" classify --model "$T/missing.safetensors" "$F/img-photo.png" 2> "$T/err"
[ $? = 1 ] && grep -q "missing.safetensors" "$T/err"
check $? "a missing model: exit 1 naming the file"

"$MCAM" classify --model "$F/img-photo.png" "$F/img-photo.png" 2> "$T/err"
[ $? = 1 ] && grep -q "img-photo.png" "$T/err"
check $? "a PNG given as model: exit 1 naming the file"

"$MCAM" classify --frobnicate 2> /dev/null
check $(( $? == 2 ? 0 : 1 )) "unknown option: exit 2"

"$MCAM" classify "$F/img-photo.png" 2> /dev/null
check $(( $? == 2 ? 0 : 1 )) "no --model: exit 2"

# --top 0 or -1 used to print the file name and no class at all, with exit 0.
"$MCAM" classify --model "$NET" --top 0 "$F/img-photo.png" > /dev/null 2> "$T/err"
r1=$?
"$MCAM" classify --model "$NET" --threads -2 "$F/img-photo.png" > /dev/null 2> "$T/err2"
r2=$?
[ $r1 = 2 ] && grep -q -- "--top" "$T/err" && [ $r2 = 2 ] && grep -q -- "--threads" "$T/err2"
check $? "--top below 1 and negative --threads: exit 2 naming the option"

"$MCAM" info "$NET" > "$T/info" && grep -q "Features f: *64 x 4 x 4" "$T/info" && grep -q "Classes: *4" "$T/info"
check $? "info prints the feature shape and the classes"
