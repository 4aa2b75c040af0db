#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam train end to end on the tiny fixture backbone: output and feature cache
# written, every epoch's loss terms printed, the cache reused, the same seed
# giving the same file, bad labels and options refused with the right exit
# status and a message naming the line, an interrupted run leaving the earlier
# output whole.
set -u
echo "1..10"

fx=${MCAM_FIXTURES_DIR:?}
model="$fx/net-basic.safetensors"
dir=$(mktemp -d "${TMPDIR:-/tmp}/mcam-train-XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Twelve images (copies of fixture images) with labels from the model's classes.
i=0
printf 'file,labels\n' > "$dir/train.csv"
for src in img-pattern.png img-photo.jpg img-gray.png img-rgba.png img-photo.png img-orient6.jpg; do
  for k in 1 2; do
    i=$((i + 1))
    ext=${src##*.}
    cp "$fx/$src" "$dir/im$i.$ext"
    case $((i % 4)) in
      0) labels="cat" ;;
      1) labels="dog;bird" ;;
      2) labels="fish" ;;
      3) labels="" ;;
    esac
    printf 'im%s.%s,%s\n' "$i" "$ext" "$labels" >> "$dir/train.csv"
  done
done
cp "$dir/train.csv" "$dir/val.csv"

train() {
  "$MCAM" train --backbone "$model" --images "$dir" --labels "$dir/train.csv" --slots 5 \
    --batch 4 --threads 1 "$@"
}

# 1: a run writes the memory and the cache, prints every loss term and the health
out=$(train --epochs 3 --val "$dir/val.csv" --seed 7 --out "$dir/a.safetensors" 2>"$dir/err")
rc=$?
if [ $rc -eq 0 ] && [ -s "$dir/a.safetensors" ] && [ -s "$dir/a.safetensors.features" ] &&
   [ "$(printf '%s\n' "$out" | grep -c '^epoch .*bce(z_t).*bce(z).*sparse.*kl(p.|p_s).*kl(p.|p).*val mAP')" -eq 3 ] &&
   printf '%s\n' "$out" | grep -q '^memory health' &&
   printf '%s\n' "$out" | grep -q '^validation mAP: memory classifier'; then
  echo "ok 1 train writes the memory and the feature cache, prints the loss terms and health"
else
  echo "not ok 1 train failed (rc $rc)"; printf '%s\n' "$out" | sed 's/^/# /'; sed 's/^/# /' "$dir/err"
fi

# 2: the written memory loads with its backbone (mcam info validates the pair)
if "$MCAM" info --memory "$dir/a.safetensors" "$model" >/dev/null 2>&1; then
  echo "ok 2 the memory file is readable"
else
  echo "not ok 2 mcam info cannot read the memory"
fi

# 3: same seed, same file (features reused from the cache)
train --epochs 3 --val "$dir/val.csv" --seed 7 --out "$dir/b.safetensors" >/dev/null 2>"$dir/err"
cp "$dir/a.safetensors.features" "$dir/c.safetensors.features"
train --epochs 3 --val "$dir/val.csv" --seed 7 --out "$dir/c.safetensors" >/dev/null 2>"$dir/err2"
if cmp -s "$dir/a.safetensors" "$dir/b.safetensors" && cmp -s "$dir/a.safetensors" "$dir/c.safetensors" &&
   grep -q "reusing" "$dir/err2"; then
  echo "ok 3 the same seed gives the same file; the feature cache is reused"
else
  echo "not ok 3 not deterministic or cache not reused"; sed 's/^/# /' "$dir/err2"
fi

# 4: another seed, another file
train --epochs 3 --seed 8 --out "$dir/d.safetensors" >/dev/null 2>&1
if ! cmp -s "$dir/a.safetensors" "$dir/d.safetensors"; then
  echo "ok 4 another seed gives another file"
else
  echo "not ok 4 seed ignored"
fi

# 5: an unknown class: exit 1, the message names the file and line
printf 'file,labels\nim1.png,cat\nim2.png,horse\n' > "$dir/bad.csv"
err=$("$MCAM" train --backbone "$model" --images "$dir" --labels "$dir/bad.csv" --slots 5 --out "$dir/x.safetensors" 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$err" | grep -q "bad.csv:3: unknown class 'horse'" && [ ! -e "$dir/x.safetensors" ]; then
  echo "ok 5 an unknown class is refused naming the line"
else
  echo "not ok 5 rc $rc: $err"
fi

# 6: a missing image: exit 1, names the line
printf 'file,labels\nim1.png,cat\n\nnope.png,dog\n' > "$dir/bad.csv"
err=$("$MCAM" train --backbone "$model" --images "$dir" --labels "$dir/bad.csv" --slots 5 --out "$dir/x.safetensors" 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$err" | grep -q "bad.csv:4: image 'nope.png' not found"; then
  echo "ok 6 a missing image is refused naming the line"
else
  echo "not ok 6 rc $rc: $err"
fi

# 7: usage errors exit 2
ok=1
for args in "--slots 0" "--slots 5 --init sideways" "--slots 5 --lr -1" "--slots 5 --epochs 0"; do
  # shellcheck disable=SC2086
  "$MCAM" train --backbone "$model" --images "$dir" --labels "$dir/train.csv" $args --out "$dir/x.safetensors" >/dev/null 2>&1
  [ $? -eq 2 ] || { ok=0; echo "# '$args' did not exit 2"; }
done
"$MCAM" train --images "$dir" --labels "$dir/train.csv" --slots 5 --out "$dir/x.safetensors" >/dev/null 2>&1
[ $? -eq 2 ] || { ok=0; echo "# a missing --backbone did not exit 2"; }
if [ $ok -eq 1 ]; then echo "ok 7 usage errors exit 2"; else echo "not ok 7 usage errors"; fi

# 8: a missing backbone is a runtime error (exit 1) naming the file
err=$("$MCAM" train --backbone "$dir/none.safetensors" --images "$dir" --labels "$dir/train.csv" --slots 5 --out "$dir/x.safetensors" 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$err" | grep -q "none.safetensors"; then
  echo "ok 8 a missing backbone exits 1 naming it"
else
  echo "not ok 8 rc $rc: $err"
fi

# 9: an interrupted run (SIGINT) writes nothing and leaves the earlier output whole
cp "$dir/a.safetensors" "$dir/keep.safetensors"
# (run mcam itself in the background, not a function's subshell, so that $! is mcam)
"$MCAM" train --backbone "$model" --images "$dir" --labels "$dir/train.csv" --slots 5 \
  --batch 4 --threads 1 --epochs 100000 --seed 9 --out "$dir/a.safetensors" --force >/dev/null 2>"$dir/err" &
pid=$!
sleep 1
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if [ $rc -ne 0 ] && cmp -s "$dir/a.safetensors" "$dir/keep.safetensors" && grep -q "interrupted" "$dir/err" &&
   [ -z "$(ls -A "$dir" | grep '^\.')" ]; then
  echo "ok 9 an interrupted run leaves the earlier output whole"
else
  echo "not ok 9 rc $rc"; sed 's/^/# /' "$dir/err"
fi

# 10: --out naming the backbone file is refused (exit 2), the backbone untouched
cp "$model" "$dir/bb.safetensors"
"$MCAM" train --backbone "$dir/bb.safetensors" --images "$dir" --labels "$dir/train.csv" --slots 5 \
  --out "$dir/./bb.safetensors" >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ] && cmp -s "$model" "$dir/bb.safetensors"; then
  echo "ok 10 --out naming the backbone is refused, the backbone untouched"
else
  echo "not ok 10 rc $rc"
fi
