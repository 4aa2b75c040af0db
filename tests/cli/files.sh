#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Files that are special or change (issue 13): a FIFO given as the image,
# --model or --labels is refused at once (exit 1, named as a FIFO; it used to
# block for ever); --out refuses an existing file without --force (exit 2,
# the file unchanged) and an input even with --force (the model, also
# through a link; the image; the labels; a listed image); `kill -9` while
# train writes its feature cache leaves no temporary behind, with O_TMPFILE
# and with the named fallback (whose leftovers the next run removes).
set -u
F="${MCAM_FIXTURES_DIR:?}"
NET="$F/net-bottleneck.safetensors"
BASIC="$F/net-basic.safetensors"
IMG="$F/img-photo.png"
T=$(mktemp -d "${TMPDIR:-/tmp}/mcam-files-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..16"

n=0
ok () { n=$((n + 1)); echo "ok $n $1"; }
notok () { n=$((n + 1)); echo "not ok $n $1"; sed 's/^/# /' "$T/err" 2>/dev/null | head -5; }

mkfifo "$T/pipe"
cp "$IMG" "$T/img.png"
printf 'file,labels\nimg.png,a\n' > "$T/labels.csv"

# 1-3: a FIFO as the image, the model, the labels: exit 1 at once, named.
# `timeout` turns the old hang into exit 124.
timeout 20 "$MCAM" classify --model "$NET" "$T/pipe" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "pipe.*FIFO" "$T/err"; then ok "a FIFO as the image: exit 1, named a FIFO"
else notok "a FIFO as the image: rc $rc"; fi

timeout 20 "$MCAM" classify --model "$T/pipe" "$IMG" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "pipe.*FIFO" "$T/err"; then ok "a FIFO as --model: exit 1, named a FIFO"
else notok "a FIFO as --model: rc $rc"; fi

timeout 20 "$MCAM" train --backbone "$NET" --images "$T" --labels "$T/pipe" --slots 4 \
  --out "$T/m.safetensors" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "pipe.*FIFO" "$T/err"; then ok "a FIFO as --labels: exit 1, named a FIFO"
else notok "a FIFO as --labels: rc $rc"; fi

explain () { "$MCAM" explain --model "$NET" --class a "$@"; }

# expect_refused DESCRIPTION FILE ORIGINAL NEEDLE COMMAND...: the command
# exits 2 naming NEEDLE, and FILE is still byte for byte ORIGINAL.
expect_refused () {
  desc=$1 file=$2 orig=$3 needle=$4
  shift 4
  "$@" >/dev/null 2>"$T/err"
  rc=$?
  if [ $rc = 2 ] && cmp -s "$file" "$orig" && grep -q -- "$needle" "$T/err"; then ok "$desc"
  else notok "$desc: rc $rc"; fi
}

# 4-5: an existing --out: exit 2 and unchanged without --force, replaced with it.
printf 'keep me' > "$T/old.png"
cp "$T/old.png" "$T/old-copy.png"
expect_refused "explain --out onto an existing file: exit 2, file unchanged, --force named" \
  "$T/old.png" "$T/old-copy.png" "--force" explain --out "$T/old.png" "$IMG"

explain --out "$T/old.png" --force "$IMG" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 0 ] && [ "$(head -c 4 "$T/old.png" | tail -c 3)" = "PNG" ]; then
  ok "explain --out --force replaces it with the overlay"
else notok "explain --out --force: rc $rc"; fi

# 6-11: inputs are never outputs, even with --force (compared by device and
# inode: a link and another spelling are caught too).
cp "$NET" "$T/net.safetensors"
ln -s "$T/net.safetensors" "$T/net-link.png"
for target in "$T/net.safetensors" "$T/net-link.png"; do
  expect_refused "explain --out onto the model ($(basename "$target")) with --force: exit 2" \
    "$T/net.safetensors" "$NET" "same file as the model" \
    "$MCAM" explain --model "$T/net.safetensors" --class a --out "$target" --force "$IMG"
done

printf 'a\nb\nc\nd\n' > "$T/names.txt"
cp "$T/names.txt" "$T/names-copy.txt"
expect_refused "explain --out onto its --classes file with --force: exit 2" \
  "$T/names.txt" "$T/names-copy.txt" "same file as the class names" \
  explain --classes "$T/names.txt" --out "$T/names.txt" --force "$IMG"

cp "$T/img.png" "$T/img-copy.png"
expect_refused "explain --out onto its own image with --force: exit 2" \
  "$T/img.png" "$T/img-copy.png" "same file as the image" \
  explain --out "$T/./img.png" --force "$T/img.png"

cp "$T/labels.csv" "$T/labels-copy.csv"
expect_refused "train --out onto the labels with --force: exit 2" \
  "$T/labels.csv" "$T/labels-copy.csv" "same file as the labels" \
  "$MCAM" train --backbone "$BASIC" --images "$T" --labels "$T/labels.csv" --slots 4 \
  --epochs 1 --out "$T/labels.csv" --force

printf 'file,labels\nimg.png,cat\n' > "$T/cats.csv"
expect_refused "train --out onto a listed image with --force: exit 2" \
  "$T/img.png" "$T/img-copy.png" "same file as the image" \
  "$MCAM" train --backbone "$BASIC" --images "$T" --labels "$T/cats.csv" --slots 4 \
  --epochs 1 --out "$T/img.png" --force

# 12: refit's --out follows the same rules.
cp "$T/old.png" "$T/old-copy.png"
expect_refused "refit --out onto an existing file: exit 2, file unchanged" \
  "$T/old.png" "$T/old-copy.png" "--force" \
  "$MCAM" refit --model "$BASIC" --images "$T" --labels "$T/cats.csv" --out "$T/old.png"

# 13: a folder as --out, or a folder that is not there: exit 1 before any work.
"$MCAM" explain --model "$NET" --class a --out "$T" "$IMG" >/dev/null 2>"$T/err"
rc1=$?
"$MCAM" train --backbone "$BASIC" --images "$T" --labels "$T/cats.csv" --slots 4 \
  --epochs 1 --out "$T/nowhere/m.safetensors" >/dev/null 2>>"$T/err"
rc2=$?
if [ $rc1 = 1 ] && [ $rc2 = 1 ] && grep -q "it is a folder" "$T/err" && grep -q "nowhere does not exist" "$T/err"; then
  ok "a folder as --out, a missing folder: exit 1 before any work"
else notok "--out a folder / missing folder: rc $rc1 $rc2"; fi

# 14-16: kill -9 while train writes its feature cache, right after the
# temporary appears: nothing is left behind. Enough images that computing
# the features outlasts the polling.
K="$T/kill"
mkdir "$K"
printf 'file,labels\n' > "$K/train.csv"
for i in $(seq 1 400); do
  cp "$F/img-photo.jpg" "$K/im$i.jpg"
  printf 'im%s.jpg,cat\n' "$i" >> "$K/train.csv"
done

# Starts train, waits until one of its fds is a temporary in $K (an
# O_TMPFILE shows as "(deleted)", the fallback as a hidden name), kills it
# with SIGKILL. Prints "seen" when the temporary was caught.
kill_at_temp () {
  "$MCAM" train --backbone "$BASIC" --images "$K" --labels "$K/train.csv" --slots 4 \
    --epochs 1 --batch 4 --threads 1 --out "$K/mem.safetensors" >/dev/null 2>&1 &
  pid=$!
  seen=
  i=0
  while [ $i -lt 20000 ] && kill -0 $pid 2>/dev/null; do
    if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -e "$K/#.*(deleted)" -e "$K/\.mem"; then
      kill -9 $pid
      seen=seen
      break
    fi
    i=$((i + 1))
  done
  wait $pid 2>/dev/null
  echo "$seen"
}

leftovers () { ls -A "$K" | grep -v -e '^im[0-9]*\.jpg$' -e '^train\.csv$'; }

seen=$(kill_at_temp)
left=$(leftovers)
if [ "$seen" = seen ] && [ -z "$left" ]; then
  ok "kill -9 while the feature cache is written (O_TMPFILE): nothing left"
else n=$((n + 1)); echo "not ok $n kill -9 (O_TMPFILE): seen='$seen' left: $left"; fi

seen=$(MCAM_FILE_NO_TMPFILE=1 kill_at_temp)
left=$(leftovers)
if [ "$seen" = seen ] && [ -n "$left" ]; then
  ok "kill -9 with the named fallback leaves its temporary ($left)"
else n=$((n + 1)); echo "not ok $n kill -9 (fallback): seen='$seen' left: $left"; fi

# The next run for the same output removes the dead run's temporary.
MCAM_FILE_NO_TMPFILE=1 "$MCAM" train --backbone "$BASIC" --images "$K" --labels "$K/train.csv" \
  --slots 4 --epochs 1 --batch 16 --out "$K/mem.safetensors" >/dev/null 2>"$T/err"
rc=$?
left=$(leftovers | grep -v -e '^mem\.safetensors$' -e '^mem\.safetensors\.features$')
if [ $rc = 0 ] && [ -z "$left" ] && [ -f "$K/mem.safetensors" ]; then
  ok "the next run removes the killed run's temporary and writes its output"
else notok "the next run: rc $rc, left: $left"; fi
