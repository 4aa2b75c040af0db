#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam explain on the fixture backbone (net-bottleneck) and its memory module:
# the JSON fields of issue 3, slot = argmax Δ, determinism for a seed, the
# overlay at the image's own size, and every refusal with its exit status.
set -u
F="${MCAM_FIXTURES_DIR:-tests/fixtures}"
NET="$F/net-bottleneck.safetensors"
MEM="$F/memory-bottleneck.safetensors"
IMG="$F/img-photo.png"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "1..11"

# jq is a declared package (tools/debian-packages.txt): its absence is a
# failure of the machine's set-up, never a reason to skip the checks.
if ! command -v jq >/dev/null 2>&1; then
  echo "not ok 1 jq is missing: install the Debian package jq (tools/debian-packages.txt; tools/quickstart test does)"
  exit 1
fi

n=1
check () {  # check DESCRIPTION COMMAND...
  desc=$1; shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then echo "ok $n $desc"
  else echo "not ok $n $desc"; sed 's/^/# /' "$TMP/err" "$TMP/out" | head -20; fi
  n=$((n + 1))
}

"$MCAM" explain --model "$NET" --memory "$MEM" --class b --seed 5 --json "$IMG" >"$TMP/a.json" 2>"$TMP/a.err"
check "explain --json prints every field" jq -e '
  .class == "b" and .method == "mcam" and .feature_shape == [64,4,4]
  and (.logits | length) == 4 and (.scores | length) == 4
  and (.memory_logits | length) == 4 and (.memory_scores | length) == 4
  and (.delta | length) == 8 and (.p | length) == 8 and (.p_s | length) == 8
  and (.p_value | length) == 8 and (.weights | length) == 64
  and (.map | length) == 4 and ([.map[] | length] == [4,4,4,4])
  and ([.map[][] | select(. < 0)] | length) == 0
  and (.health.verdict | type) == "string"' "$TMP/a.json"

check "slot is the argmax of delta; p, p_s, p' sum to 1" jq -e '
  (.delta | index(max)) == .slot
  and ((.p | add) - 1 | fabs) < 1e-5 and ((.p_s | add) - 1 | fabs) < 1e-5
  and ((.p_value | add) - 1 | fabs) < 1e-5' "$TMP/a.json"

"$MCAM" explain --model "$NET" --memory "$MEM" --class 1 --seed 5 --json "$IMG" >"$TMP/b.json" 2>/dev/null
check "the same seed gives the same slot and delta" \
  sh -c "jq -c '[.slot, .delta, .map]' '$TMP/a.json' >'$TMP/a.c' && jq -c '[.slot, .delta, .map]' '$TMP/b.json' >'$TMP/b.c' && cmp '$TMP/a.c' '$TMP/b.c'"

"$MCAM" explain --model "$NET" --memory "$MEM" --class b --method mcam-profile --draws 3 \
  --out "$TMP/o.png" "$IMG" >/dev/null 2>"$TMP/o.err"
# PNG IHDR: width and height as big-endian 32-bit numbers at bytes 16..23.
dims=$(od -An -tu1 -j16 -N8 "$TMP/o.png" 2>/dev/null | awk '{print $3*256+$4 "x" $7*256+$8}')
check "--out writes the overlay at the image's own size (61x47)" test "$dims" = "61x47"

"$MCAM" explain --model "$NET" --class 2 --method cam --json "$IMG" >"$TMP/c.json" 2>/dev/null
check "cam works without a memory (no slot, no memory fields)" jq -e '
  .method == "cam" and .slot == null and .delta == null and .memory_logits == null
  and (.weights | length) == 64' "$TMP/c.json"

status () {  # status EXPECTED PATTERN COMMAND...
  want=$1; pat=$2; shift 2
  "$@" >/dev/null 2>"$TMP/s.err"; got=$?
  [ "$got" -eq "$want" ] && grep -q -- "$pat" "$TMP/s.err"
}
check "a memory of another backbone is refused (exit 1)" \
  status 1 "different backbone" "$MCAM" explain --model "$NET" \
  --memory "$F/memory-bottleneck-otherfp.safetensors" --class 0 "$IMG"
check "a memory of other shapes is refused (exit 1)" \
  status 1 "does not fit" "$MCAM" explain --model "$NET" --memory "$F/memory-tiny.safetensors" \
  --class 0 "$IMG"
check "an unknown class is a usage error (exit 2)" \
  status 2 "no class" "$MCAM" explain --model "$NET" --memory "$MEM" --class zebra "$IMG"
check "mcam without a memory is a usage error (exit 2)" \
  status 2 "needs a memory" "$MCAM" explain --model "$NET" --class 0 --method mcam "$IMG"
# A temperature whose weights exp(cos/T) overflow float, or that is 0 once
# converted to float, is refused — it used to give an all-NaN map ("no
# positive value") and "inf.0" in the JSON, which no reader accepts.
check "a temperature that overflows the weights is a usage error (exit 2)" \
  status 2 "overflow at temperature" "$MCAM" explain --model "$NET" --memory "$MEM" \
  --class b --temperature 1e-30 --json "$IMG"
check "a temperature that is 0 in float is a usage error (exit 2)" \
  status 2 "must be a positive number" "$MCAM" explain --model "$NET" --memory "$MEM" \
  --class b --method mcam-profile --temperature 1e-300 "$IMG"
