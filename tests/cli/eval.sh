#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam eval on the fixture backbone (net-basic) and two tiny hand-made images:
# a black 48x40 PPM and the 61x47 photo, every box covering its whole image.
# Known answers: a map with a positive value always lands on its own (whole-
# image) box, so hits = pairs − maps without a positive value, background = 0;
# on the black image masking with black changes nothing, so Average Drop = 0.
# Then --metrics all gives a finite number for each metric, the Markdown
# report has its tables, and every refusal has its exit status.
set -u
F="${MCAM_FIXTURES_DIR:-tests/fixtures}"
NET="$F/net-basic.safetensors"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "1..9"

# jq is a declared package (tools/debian-packages.txt): its absence is a
# failure of the machine's set-up, never a reason to skip the checks.
if ! command -v jq >/dev/null 2>&1; then
  echo "not ok 1 jq is missing: install the Debian package jq (tools/debian-packages.txt; tools/quickstart test does)"
  exit 1
fi

{ printf 'P6\n48 40\n255\n'; head -c 5760 /dev/zero; } >"$TMP/black.ppm"
cp "$F/img-photo.png" "$TMP/photo.png"
printf 'file,labels\nblack.ppm,cat\nphoto.png,cat;dog\n' >"$TMP/labels.csv"
printf 'file,class,x0,y0,x1,y1\nphoto.png,cat,0,0,61,47\nphoto.png,dog,0,0,61,47\nblack.ppm,cat,0,0,48,40\n' >"$TMP/boxes.csv"
printf 'file,labels\nblack.ppm,cat\n' >"$TMP/black.csv"

n=1
check () {  # check DESCRIPTION COMMAND...
  desc=$1; shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then echo "ok $n $desc"
  else echo "not ok $n $desc"; sed 's/^/# /' "$TMP/err" "$TMP/out" | head -20; fi
  n=$((n + 1))
}

ALL=cam,gradcam,gradcam++,hirescam,xgradcam,layercam,eigencam,eigengradcam,ablationcam,scorecam
"$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/labels.csv" --boxes "$TMP/boxes.csv" \
  --methods "$ALL" --json >"$TMP/a.json" 2>"$TMP/a.err"
check "eval --json: 2 images, 3 pairs per method, every method" jq -e '
  .images == 2 and (.methods | length) == 10 and ([.methods[].pointing.pairs] | unique) == [3]
  and (.mAP.target | type) == "number" and .mAP.memory == null
  and ([.methods[] | .average_drop, .increase_in_confidence | type] | unique) == ["number"]' "$TMP/a.json"

check "whole-image boxes: hits = pairs - maps without a positive value, no background" jq -e '
  [.methods[] | (.pointing.hits + ([.bias_lens[].no_map] | add)) == .pointing.pairs
   and ([.bias_lens[].background] | add) == 0
   and ([.bias_lens[].on[]?] | add // 0) == 0] | all' "$TMP/a.json"

"$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/black.csv" --methods cam,gradcam \
  --metrics drop --json >"$TMP/b.json" 2>"$TMP/b.err"
check "black image, black fill: Average Drop = 0" jq -e '
  [.methods[].average_drop | fabs < 1e-3] | all' "$TMP/b.json"

"$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/labels.csv" --boxes "$TMP/boxes.csv" \
  --methods gradcam,eigencam --metrics all --samples 4 --fill blur --timing --json >"$TMP/c.json" 2>"$TMP/c.err"
check "--metrics all: a finite number for every metric" jq -e '
  .fill == "blur" and ([.methods[] | .average_drop, .increase_in_confidence, .deletion_auc,
    .insertion_auc, .road_morf, .road_lerf, .infidelity, .max_sensitivity,
    .all_classes_ms_per_image | type] | unique) == ["number"]' "$TMP/c.json"

"$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/labels.csv" --boxes "$TMP/boxes.csv" \
  --methods cam >"$TMP/d.md" 2>"$TMP/d.err"
check "Markdown report: summary, per-class pointing, bias lens" sh -c "
  grep -q '^## Summary' '$TMP/d.md' && grep -q '^## Pointing game per class' '$TMP/d.md' &&
  grep -q '^### cam' '$TMP/d.md' && grep -q '^| cam | ' '$TMP/d.md'"

status () {  # status EXPECTED DESCRIPTION COMMAND...
  want=$1; desc=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  got=$?
  if [ "$got" = "$want" ] && [ -s "$TMP/err" ]; then echo "ok $n $desc"
  else echo "not ok $n $desc (exit $got, want $want)"; sed 's/^/# /' "$TMP/err" | head -5; fi
  n=$((n + 1))
}
status 2 "an unknown method is a usage error" \
  "$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/labels.csv" --methods gradcam,nope
status 2 "an M-CAM method without a memory is a usage error" \
  "$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/labels.csv" --methods mcam
status 2 "an unknown metric is a usage error" \
  "$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/labels.csv" --metrics drop,speed
status 1 "a missing labels.csv is a runtime error naming it" \
  "$MCAM" eval --model "$NET" --images "$TMP" --labels "$TMP/missing.csv"
