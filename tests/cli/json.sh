#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Numbers that cannot lie (issue 13, item 3). Every command's --json output
# (classify, explain, eval, bench) is parsed strictly — Python's json with
# NaN, Infinity and -Infinity refused — on the normal fixtures and on hostile
# ones that load (every value finite) but overflow float32 in use
# (tools/make_hostile_fixtures.py): a memory module at 1e30 and 3.4e38, a
# model whose conv weights are scaled by 1e30, one whose fc is. A result that
# overflowed is an error (exit 1) naming the file and the first non-finite
# tensor, never a score of 1.0 beside null logits. Finally the source: no
# double reaches JSON except through src/core/mcam-json.c.
set -u
F="${MCAM_FIXTURES_DIR:-tests/fixtures}"
SRC="${MCAM_SOURCE_DIR:-.}"
NET="$F/net-bottleneck.safetensors"
MEM="$F/memory-bottleneck.safetensors"
IMG="$F/img-photo.png"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..18"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
show () { sed 's/^/# /' "$@" | head -12; }

# strict FILE [PYTHON-ASSERTION]: FILE is one JSON document with no NaN or
# Infinity token; the assertion (on d, the document) holds.
cat >"$T/strict.py" <<'PY'
import json, sys
def refuse(token):
    raise ValueError("non-standard JSON token %s" % token)
text = open(sys.argv[1], encoding="utf-8").read()
try:
    d = json.loads(text, parse_constant=refuse)
except ValueError as e:
    print("# not strict JSON: %s" % e)
    for line in text.splitlines():
        if "nan" in line or "inf" in line:
            print("#   " + line.strip()[:100])
    sys.exit(1)
if len(sys.argv) > 2 and not eval(sys.argv[2], {"d": d, "math": __import__("math")}):
    print("# assertion failed: " + sys.argv[2])
    sys.exit(1)
PY
strict () { /usr/bin/python3 "$T/strict.py" "$@"; }

# python3 and numpy are declared packages (tools/debian-packages.txt).
if ! /usr/bin/python3 "$SRC/tools/make_hostile_fixtures.py" "$F" "$T/h" 2>"$T/mk.err"; then
  show "$T/mk.err"
  echo "Bail out! the hostile fixtures could not be made (python3-numpy missing?)"
  exit 1
fi
HMEM="$T/h/memory-huge.safetensors"
HCONV="$T/h/net-huge-conv.safetensors"
HFC="$T/h/net-huge.safetensors"

# --- normal inputs: valid, strict, and every number where one is expected ---
mkdir "$T/imgs"
cp "$IMG" "$T/imgs/photo.png"
cp "$F/img-pattern.png" "$T/imgs/pattern.png"
printf 'file,labels\nphoto.png,a;b\npattern.png,c\n' >"$T/labels.csv"
printf 'file,class,x0,y0,x1,y1\nphoto.png,a,0,0,30,30\nphoto.png,b,10,10,61,47\npattern.png,c,0,0,8,8\n' >"$T/boxes.csv"

"$MCAM" classify --model "$NET" --memory "$MEM" --json "$IMG" >"$T/c.json" 2>"$T/c.err"
s=$?
strict "$T/c.json" 'all(isinstance(x, float) for i in d["images"] for k in ("logits", "scores", "memory_logits", "memory_scores") for x in i[k])'
[ $s = 0 ] && [ $? = 0 ]
check $? "classify --json: strict, every logit and score a number"

for m in mcam cam gradcam; do
  "$MCAM" explain --model "$NET" --memory "$MEM" --class b --method $m --json "$IMG" >"$T/e-$m.json" 2>"$T/e-$m.err" &&
    strict "$T/e-$m.json" 'all(isinstance(x, float) for row in d["map"] for x in row) and all(isinstance(x, float) for x in d["scores"])'
  check $? "explain --method $m --json: strict, the map and scores are numbers"
done
strict "$T/e-mcam.json" 'isinstance(d["slot_class"]["peak"], float) and all(v is None or isinstance(v, (int, float)) for v in d["health"]["memory"].values() if not isinstance(v, list))'
check $? "explain --json: the health figures are numbers or null (not measured)"

"$MCAM" eval --model "$NET" --memory "$MEM" --images "$T/imgs" --labels "$T/labels.csv" \
  --boxes "$T/boxes.csv" --methods mcam,cam --metrics all --samples 2 --json >"$T/ev.json" 2>"$T/ev.err" &&
  strict "$T/ev.json" 'isinstance(d["mAP"]["target"], float) and all(isinstance(m["average_drop"], float) for m in d["methods"])'
s=$?; [ $s = 0 ] || show "$T/ev.err"
check $s "eval --metrics all --json: strict, mAP and Average Drop are numbers"

"$MCAM" eval --model "$NET" --images "$T/imgs" --labels "$T/labels.csv" --methods cam --json \
  >"$T/ev2.json" 2>"$T/ev2.err" &&
  strict "$T/ev2.json" 'd["mAP"]["memory"] is None and "pointing" not in d["methods"][0]'
check $? "eval --json without a memory or boxes: strict, the memory's mAP is null (not measured)"

"$MCAM" bench --model "$NET" --runs 2 --warmup 0 --threads 1 --json >"$T/b.json" 2>"$T/b.err" &&
  strict "$T/b.json" 'all(isinstance(d[k], float) for k in ("median_ms", "gflops", "peak_share"))'
check $? "bench --json: strict, the times are numbers"

# --- hostile inputs: an error naming the file and the tensor, never a confident score ---
"$MCAM" classify --model "$HCONV" --json "$IMG" >"$T/hc.json" 2>"$T/hc.err"
s=$?
[ $s = 1 ] && grep -q "net-huge-conv.safetensors.*non-finite.*features f" "$T/hc.err" &&
  strict "$T/hc.json" 'd["images"] == []'
r=$?; [ $r = 0 ] || { echo "# exit $s"; show "$T/hc.err" "$T/hc.json"; }
check $r "classify, conv weights x 1e30: exit 1 naming the model and the features f, no scores"

"$MCAM" classify --model "$NET" --memory "$HMEM" --json "$IMG" "$F/img-pattern.png" >"$T/hm.json" 2>"$T/hm.err"
s=$?
[ $s = 1 ] && grep -q "memory module.*memory-huge.safetensors.*non-finite.*memory logits" "$T/hm.err" &&
  strict "$T/hm.json" 'd["images"] == []'
r=$?; [ $r = 0 ] || { echo "# exit $s"; show "$T/hm.err" "$T/hm.json"; }
check $r "classify, memory at 1e30/3.4e38: exit 1 naming the memory module and the tensor"

for m in mcam mcam-profile gradcam; do
  "$MCAM" explain --model "$NET" --memory "$HMEM" --class b --method $m --json "$IMG" >"$T/he.json" 2>"$T/he.err"
  s=$?
  [ $s = 1 ] && [ ! -s "$T/he.json" ] && grep -q "memory-huge.safetensors.*non-finite" "$T/he.err"
  r=$?; [ $r = 0 ] || { echo "# exit $s"; show "$T/he.err" "$T/he.json"; }
  check $r "explain --method $m, memory at 1e30/3.4e38: exit 1 naming the memory module, no JSON"
done

"$MCAM" explain --model "$HCONV" --class a --method cam --json "$IMG" >"$T/hx.json" 2>"$T/hx.err"
s=$?
[ $s = 1 ] && [ ! -s "$T/hx.json" ] && grep -q "net-huge-conv.safetensors.*features f" "$T/hx.err"
check $? "explain --method cam, conv weights x 1e30: exit 1 naming the model"

"$MCAM" eval --model "$NET" --memory "$HMEM" --images "$T/imgs" --labels "$T/labels.csv" \
  --methods mcam --json >"$T/hev.json" 2>"$T/hev.err"
s=$?
[ $s = 1 ] && [ ! -s "$T/hev.json" ] && grep -q "memory-huge.safetensors.*non-finite" "$T/hev.err"
r=$?; [ $r = 0 ] || { echo "# exit $s"; show "$T/hev.err" "$T/hev.json"; }
check $r "eval, memory at 1e30/3.4e38: exit 1 naming the memory module, no JSON"

# fc x 1e30: the features are fine and the logits finite (±1e29): a valid,
# if extreme, answer. Whatever explain says, it is strict JSON or an error.
"$MCAM" classify --model "$HFC" --json "$IMG" >"$T/hf.json" 2>"$T/hf.err" &&
  strict "$T/hf.json" 'all(isinstance(x, float) for x in d["images"][0]["logits"])'
check $? "classify, fc weights x 1e30 (finite logits): exit 0, strict JSON, finite logits"
"$MCAM" explain --model "$HFC" --class a --method gradcam --json "$IMG" >"$T/hfe.json" 2>"$T/hfe.err"
s=$?
{ [ $s = 0 ] && strict "$T/hfe.json"; } || { [ $s = 1 ] && grep -q "non-finite" "$T/hfe.err"; }
check $? "explain --method gradcam, fc weights x 1e30: strict JSON or an error naming the tensor (exit $s)"

# --- one writing path: no double goes into JSON by another way ---
# (The safetensors writer's own generator writes strings and offsets only.)
hits=$({ grep -rn -e 'json_builder_add_double_value' -e 'json_node_set_double' \
           -e 'json_object_set_double_member' -e 'json_array_add_double_element' "$SRC/src"
         grep -rn 'json_generator_to_' "$SRC/src/cli" "$SRC/src/core/memory"; } |
       grep -v '^[^:]*src/core/mcam-json\.c:')
[ -z "$hits" ] || echo "$hits" | sed 's/^/# /'
[ -z "$hits" ]
check $? "every number and every JSON text of src/ goes through src/core/mcam-json.c"
