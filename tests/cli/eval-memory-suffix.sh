#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam eval --methods NAME:memory: a method with no memory-classifier form
# (cam, mcam, mcam-profile) is a usage error (exit 2) naming the method, not
# a silent run of plain CAM; a gradient method with :memory is accepted.
set -u
F="${MCAM_FIXTURES_DIR:-tests/fixtures}"
NET="$F/net-bottleneck.safetensors"
MEM="$F/memory-bottleneck.safetensors"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "1..4"
cp "$F/img-photo.png" "$TMP/photo.png"
printf 'file,labels\nphoto.png,a\n' >"$TMP/labels.csv"
printf 'file,class,x0,y0,x1,y1\nphoto.png,a,0,0,61,47\n' >"$TMP/boxes.csv"

n=1
for m in cam mcam mcam-profile; do
  "$MCAM" eval --model "$NET" --memory "$MEM" --images "$TMP" --labels "$TMP/labels.csv" \
    --boxes "$TMP/boxes.csv" --methods "$m:memory" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q "$m:memory" "$TMP/err"; then echo "ok $n $m:memory exits 2 and says why"
  else echo "not ok $n $m:memory: exit $rc"; sed 's/^/# /' "$TMP/err" | head -5; fi
  n=$((n + 1))
done
if "$MCAM" eval --model "$NET" --memory "$MEM" --images "$TMP" --labels "$TMP/labels.csv" \
     --boxes "$TMP/boxes.csv" --methods "gradcam:memory" >"$TMP/out" 2>"$TMP/err"; then
  echo "ok $n gradcam:memory runs"
else
  echo "not ok $n gradcam:memory"; sed 's/^/# /' "$TMP/err" | head -5
fi
