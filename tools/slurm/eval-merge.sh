#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Submit a sharded `mcam eval` as a Slurm array and its merge as a job that
# runs when every task succeeded (afterok):
#
#   tools/slurm/eval-merge.sh N OUTDIR EVAL-OPTIONS...
#
# The report is OUTDIR/eval.json (and eval.md). Needs sbatch on PATH and
# OUTDIR on a file system every node sees.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: eval-merge.sh N OUTDIR EVAL-OPTIONS..." >&2
  exit 2
fi
N=$1
OUTDIR=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUTDIR"
array=$(MCAM_SLURM_DIR="$HERE" sbatch --parsable --export=ALL,MCAM_SLURM_DIR="$HERE" \
        --array=1-"$N" --output="$OUTDIR/eval-%a.log" "$HERE/eval-array.sbatch" "$OUTDIR" "$@")
array=${array%%;*}
sbatch --parsable --dependency=afterok:"$array" --job-name=mcam-merge \
  --output="$OUTDIR/merge.log" --wrap \
  "${MCAM:-mcam} eval --merge --json --out '$OUTDIR/eval.json' '$OUTDIR'/part-*-of-$N.json && \
   ${MCAM:-mcam} eval --merge --out '$OUTDIR/eval.md' '$OUTDIR'/part-*-of-$N.json"
echo "array job $array; the merge runs after it: $OUTDIR/eval.json" >&2
