#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Which files open as models: a PyTorch checkpoint (.pth: torch.save's zip or
# its older pickle) is refused by every command with the way in, never
# misread as safetensors; class names from --classes FILE or a classes.txt
# beside the model replace the file's (or the assumed "0".."C-1"); an ONNX
# model (tests/fixtures/onnx, made by tools/make_onnx_model_fixtures.py) goes
# through every command that takes a model, with such names.
set -u
F="$MCAM_FIXTURES_DIR"
NET="$F/net-bottleneck.safetensors"
IMG="$F/img-photo.png"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..19"
n=0
check () { n=$((n + 1)); if "$@"; then echo "ok $n"; else echo "not ok $n $*"; fi; }
quiet () { "$@" > /dev/null 2>&1; }
status () {  # status EXPECTED PATTERN COMMAND...
  want=$1; pat=$2; shift 2
  "$@" >"$T/s.out" 2>"$T/s.err"; got=$?
  [ "$got" -eq "$want" ] && grep -q -- "$pat" "$T/s.err" && ! grep -q "header claims" "$T/s.err"
}

# torch.save outputs, made by tools/make_onnx_fixtures.py
ZIP="$F/onnx-reader/state-dict.pth"
PKL="$F/onnx-reader/legacy.pth"
check status 1 "PyTorch file (torch.save, a zip archive).*tools/export_model.py" "$MCAM" info "$ZIP"
check status 1 "PyTorch file (torch.save, a pickle).*docs/BRING-YOUR-MODEL.md" "$MCAM" info "$PKL"
check status 1 "legacy.pth: this is a PyTorch file" "$MCAM" classify --model "$PKL" "$IMG"
check status 1 "state-dict.pth: this is a PyTorch file" "$MCAM" explain --model "$ZIP" --class 0 --method cam "$IMG"
check status 1 "state-dict.pth: this is a PyTorch file" "$MCAM" bench --model "$ZIP" --runs 1

printf 'cat\ndog\r\nowl\neel\n\n' > "$T/names.txt"
"$MCAM" classify --classes "$T/names.txt" --model "$NET" --json "$IMG" > "$T/c.json" 2>"$T/c.err"
check /usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["classes"] == ["cat", "dog", "owl", "eel"], doc["classes"]' "$T/c.json"

printf 'cat\ndog\nowl\n' > "$T/three.txt"
check status 1 "three.txt: 3 class names, but the model .*has 4 outputs" \
  "$MCAM" classify --classes "$T/three.txt" --model "$NET" "$IMG"
printf 'cat\n\nowl\neel\n' > "$T/blank.txt"
check status 1 "blank.txt: class names: line 2 is blank" \
  "$MCAM" info --classes "$T/blank.txt" "$NET"
printf 'cat\ndog\ncat\neel\n' > "$T/twice.txt"
check status 1 "'cat' is on line 1 and on line 3" \
  "$MCAM" explain --classes "$T/twice.txt" --model "$NET" --class 0 --method cam "$IMG"
check status 1 "missing.txt" "$MCAM" bench --classes "$T/missing.txt" --model "$NET" --runs 1

# a classes.txt beside the model is taken without an option; --classes wins over it
mkdir "$T/m"
cp "$NET" "$T/m/net.safetensors"
printf 'ant\nbee\nfly\nemu\n' > "$T/m/classes.txt"
"$MCAM" info "$T/m/net.safetensors" > "$T/i.txt" 2>&1
check grep -q "^Classes: .*ant, bee, fly, emu" "$T/i.txt"
check grep -q "^Class names: *from $T/m/classes.txt" "$T/i.txt"
"$MCAM" classify --classes "$T/names.txt" --model "$T/m/net.safetensors" --json "$IMG" > "$T/c2.json" 2>/dev/null
check /usr/bin/python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["classes"] == ["cat", "dog", "owl", "eel"]' "$T/c2.json"

# ONNX through every command that takes a model, with names from classes.txt
O="$F/onnx"
mkdir "$T/o" "$T/imgs"
cp "$O/mobilenet-v3.onnx" "$T/o/m.onnx"
printf 'apple\npear\nplum\nfig\nlime\n' > "$T/o/classes.txt"
"$MCAM" info "$T/o/m.onnx" > "$T/oi.txt" 2>&1
check grep -q "^Classes: .*apple, pear, plum, fig, lime" "$T/oi.txt"
"$MCAM" classify --model "$T/o/m.onnx" --json "$IMG" > "$T/oc.json" 2>/dev/null
check /usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["classes"] == ["apple", "pear", "plum", "fig", "lime"], doc["classes"]
assert len(doc["images"][0]["scores"]) == 5' "$T/oc.json"
"$MCAM" explain --model "$T/o/m.onnx" --class plum --method gradcam --json "$IMG" > "$T/oe.json" 2>/dev/null
check /usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["class"] == "plum" and doc["class_index"] == 2, (doc["class"], doc["class_index"])' "$T/oe.json"
check quiet "$MCAM" bench --model "$O/regnety.onnx" --classes "$T/o/classes.txt" --runs 1
printf 'file,labels\n' > "$T/imgs/labels.csv"
i=0
for src in img-pattern.png img-photo.jpg img-gray.png img-rgba.png img-photo.png img-orient6.jpg; do
  i=$((i + 1))
  cp "$F/$src" "$T/imgs/im$i.${src##*.}"
  case $((i % 3)) in 0) l=apple ;; 1) l="pear;fig" ;; 2) l=lime ;; esac
  printf 'im%s.%s,%s\n' "$i" "${src##*.}" "$l" >> "$T/imgs/labels.csv"
done
check quiet "$MCAM" train --backbone "$T/o/m.onnx" --images "$T/imgs" --labels "$T/imgs/labels.csv" \
  --slots 5 --epochs 1 --batch 3 --threads 1 --out "$T/o/memory.safetensors"
check quiet "$MCAM" eval --model "$T/o/m.onnx" --memory "$T/o/memory.safetensors" --images "$T/imgs" \
  --labels "$T/imgs/labels.csv" --methods gradcam,mcam --threads 1
