#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The preprocessing a model file asks for (issue #17): mcam info prints the
# input, the resize mode and size and the interpolation, each marked when it
# is assumed; an unknown mcam.* key is named in a warning on stderr of every
# command that loads the model (once per key), and in mcam info.
set -u
F="$MCAM_FIXTURES_DIR"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..6"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

"$MCAM" info "$F/pp-resnet-default.safetensors" > "$T/out" 2> "$T/err"
[ $? = 0 ] &&
  grep -q "^Input: *224x224 (assumed)$" "$T/out" &&
  grep -q "^Resize: *center-crop, shorter side to 256 (assumed), then the centre 224x224$" "$T/out" &&
  grep -q "^Interpolation: *bilinear (assumed)$" "$T/out" &&
  ! grep -q "Unknown keys" "$T/out" && [ ! -s "$T/err" ]
check $? "info: mcam.resize = center-crop alone: Resize(256) + CenterCrop(224), bilinear, the defaults marked"

"$MCAM" info "$F/pp-resnet-232.safetensors" > "$T/out" 2> "$T/err"
grep -q "^Resize: *center-crop, shorter side to 232, then the centre 224x224$" "$T/out"
check $? "info: mcam.resize-size 232 shown, not marked assumed"

"$MCAM" info "$F/pp-resnet-stretch-bicubic.safetensors" > "$T/out" 2> "$T/err"
grep -q "^Input: *224x192$" "$T/out" && grep -q "^Resize: *stretch$" "$T/out" &&
  grep -q "^Interpolation: *bicubic$" "$T/out"
check $? "info: stretch to 224x192, bicubic"

"$MCAM" info "$F/pp-resnet-typo.safetensors" > "$T/out" 2> "$T/err"
[ $? = 0 ] && grep -q "^Unknown keys: *mcam.resize_size " "$T/out" &&
  grep -q "shorter side to 256 (assumed)" "$T/out" &&
  [ "$(grep -c "unknown metadata key 'mcam.resize_size'" "$T/err")" = 1 ]
check $? "info: a typo'd key is listed, warned about once on stderr, and changes nothing"

"$MCAM" classify --model "$F/pp-resnet-typo.safetensors" "$F/pp-photo.png" > "$T/out" 2> "$T/err"
[ $? = 0 ] && [ "$(grep -c "warning: .*pp-resnet-typo.safetensors: unknown metadata key 'mcam.resize_size'" "$T/err")" = 1 ]
check $? "classify: the same warning, once"

"$MCAM" classify --model "$F/pp-resnet-default.safetensors" "$F/pp-photo.png" > "$T/out" 2> "$T/err"
[ $? = 0 ] && [ ! -s "$T/err" ]
check $? "classify: no warning for a file without unknown keys"
