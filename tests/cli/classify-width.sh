#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam classify aligns the scores by display width: class names with Korean
# (two columns a character), accented and combining characters, and ASCII
# all put their score in the same terminal column (east_asian_width W/F
# counted two, combining marks none).
set -u
F="${MCAM_FIXTURES_DIR:-tests/fixtures}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "1..1"
cp "$F/net-basic.safetensors" "$TMP/net.safetensors"
printf '운동화\nAnkle boot\nCafé\ne\314\201te\353\260\224\354\247\200\n가방 Bag\n' >"$TMP/classes.txt"
"$MCAM" classify --model "$TMP/net.safetensors" --top 5 "$F/img-photo.png" >"$TMP/out" 2>"$TMP/err"
if python3 - "$TMP/out" <<'PY'
import sys, unicodedata
cols = set()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines()[1:]:
    head = line.rsplit(" ", 1)[0]  # everything before the score
    w = sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            for ch in head)
    cols.add(w)
sys.exit(0 if len(cols) == 1 else 1)
PY
then echo "ok 1 scores in one column"
else echo "not ok 1 scores out of line"; sed 's/^/# /' "$TMP/out" "$TMP/err"; fi
