#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Backbone features as a Slurm array of N tasks, then `mcam train` on the
# joined parts as one job when every task succeeded (afterok):
#
#   tools/slurm/features-train.sh N OUTDIR --model M --images DIR --labels CSV \
#       -- TRAIN-OPTIONS...        (e.g. --slots 80 --epochs 30 --out OUTDIR/memory.safetensors)
#
# Use `refit` instead of `train` with MCAM_STAGE=refit (then TRAIN-OPTIONS are
# refit's, --model is passed to it). OUTDIR must be seen by every node.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: features-train.sh N OUTDIR FEATURES-OPTIONS... -- TRAIN-OPTIONS..." >&2
  exit 2
fi
N=$1
OUTDIR=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
FEAT=""
MODEL=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  [ "$1" = "--model" ] && MODEL=$2
  FEAT="$FEAT '$1'"
  shift
done
[ $# -gt 0 ] && shift
mkdir -p "$OUTDIR"
array=$(eval "sbatch --parsable --export=ALL,MCAM_SLURM_DIR='$HERE' --array=1-$N \
        --output='$OUTDIR/features-%a.log' '$HERE/features-array.sbatch' '$OUTDIR' $FEAT")
array=${array%%;*}
parts=""
for i in $(seq 1 "$N"); do parts="$parts '$OUTDIR/features-$i-of-$N.features'"; done
stage=${MCAM_STAGE:-train}
if [ "$stage" = train ]; then model_opt="--backbone '$MODEL'"; else model_opt="--model '$MODEL'"; fi
# The training job reads only the parts; --images/--labels give the list order.
rest=""
for a in "$@"; do rest="$rest '$a'"; done
images_labels=$(echo "$FEAT" | grep -o "'--images' '[^']*'\|'--labels' '[^']*'" | tr '\n' ' ')
sbatch --parsable --dependency=afterok:"$array" --job-name="mcam-$stage" \
  --output="$OUTDIR/$stage.log" --wrap \
  "${MCAM:-mcam} $stage $model_opt $images_labels $rest --features $parts"
echo "array job $array; $stage runs after it (log: $OUTDIR/$stage.log)" >&2
