#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Any model, any layer: mcam info --layers lists the feature maps, --layer
# picks one for explain/classify/train; a layer a skip connection bypasses
# and an unknown name are refused by name; CAM on a head that is not
# GAP + linear is refused with the way out (Grad-CAM), every gradient method
# runs on such a head (ONNX fixtures of tests/fixtures/onnx).
set -u
F="$MCAM_FIXTURES_DIR"
NET="$F/net-basic.safetensors"
V3="$F/onnx/mobilenet-v3.onnx"
CNX="$F/onnx/convnext.onnx"
IMG="$F/img-photo.png"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..15"
n=0
check () { n=$((n + 1)); if "$@"; then echo "ok $n"; else echo "not ok $n $*"; fi; }
status () {  # status EXPECTED PATTERN COMMAND...
  want=$1; pat=$2; shift 2
  "$@" >"$T/s.out" 2>"$T/s.err"; got=$?
  [ "$got" -eq "$want" ] && grep -q -- "$pat" "$T/s.out" "$T/s.err"
}

check status 0 "layer3.0$" "$MCAM" info --layers "$NET"
check status 0 "layer4.0  (target)" "$MCAM" info --layers "$NET"
check status 0 "32 x 2 x 2 (c x h x w) of layer4.0" "$MCAM" info "$NET"
check status 0 "24 x 3 x 3 (c x h x w) of layer3.0" "$MCAM" info --layer layer3.0 "$NET"
check status 0 '"method" : "gradcam"' "$MCAM" explain -m "$NET" --layer layer3.0 -c dog --method gradcam --json "$IMG"
check status 1 "skip connection bypasses it" "$MCAM" explain -m "$NET" --layer layer4.0.relu -c dog --method gradcam "$IMG"
check status 2 "no layer 'nope'" "$MCAM" classify -m "$CNX" --layer nope "$IMG"
check status 1 "CAM needs a GAP + linear head.*use Grad-CAM" "$MCAM" explain -m "$V3" -c dog --method cam "$IMG"
ok=true
for m in gradcam gradcam++ hirescam xgradcam layercam eigengradcam; do
  "$MCAM" explain -m "$CNX" -c dog --method $m --json "$IMG" > "$T/e.json" 2>"$T/e.err" || ok=false
  grep -q "\"method\" : \"$m\"" "$T/e.json" || ok=false
done
check $ok
# an inner ConvNeXt stage, the default and this one give different maps
"$MCAM" explain -m "$CNX" -c dog --method gradcam --json "$IMG" > "$T/a.json" 2>/dev/null
check status 0 '"method" : "gradcam"' "$MCAM" explain -m "$CNX" --layer /features/features.3/features.3.1/Add_output_0 -c dog --method gradcam --json "$IMG"
check test "$(grep -c . "$T/a.json")" -gt 0 -a "$(cmp -s "$T/a.json" "$T/s.out"; echo $?)" -ne 0

# a memory module trained for layer3.0 (24 x 3 x 3): it records the layer and
# is refused at the default layer, used with --layer layer3.0
i=0
printf 'file,labels\n' > "$T/train.csv"
for src in img-pattern.png img-photo.jpg img-gray.png img-photo.png; do
  i=$((i + 1)); cp "$F/$src" "$T/im$i.${src##*.}"
  case $((i % 2)) in 0) l="cat" ;; 1) l="dog;bird" ;; esac
  printf 'im%s.%s,%s\n' "$i" "${src##*.}" "$l" >> "$T/train.csv"
done
check status 0 "epoch" "$MCAM" train --backbone "$NET" --layer layer3.0 --images "$T" \
  --labels "$T/train.csv" --slots 4 --batch 2 --epochs 1 --threads 1 --out "$T/m3.safetensors"
check status 0 "24 x 3 x 3" "$MCAM" info --layer layer3.0 --memory "$T/m3.safetensors" "$NET"
check status 1 "trained for layer 'layer3.0'" "$MCAM" info --memory "$T/m3.safetensors" "$NET"
check status 0 '"method" : "mcam"' "$MCAM" explain -m "$NET" --layer layer3.0 --memory "$T/m3.safetensors" -c dog --json "$IMG"
