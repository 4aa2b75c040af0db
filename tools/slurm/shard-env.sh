# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the array-job scripts: sets MCAM_SHARD=I/N (I from 1) from the
# scheduler's variables, first match wins:
#   Slurm job array:     SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT
#                        (--array=1-N and --array=0-(N-1) both work; the range must be contiguous)
#   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (from 0) and MCAM_SHARD_COUNT
#   anything else (GNU parallel, a loop): MCAM_SHARD=I/N already set
# `mcam eval` and `mcam features` read MCAM_SHARD themselves.
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && [ -n "${SLURM_ARRAY_TASK_COUNT:-}" ]; then
  MCAM_SHARD="$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))/$SLURM_ARRAY_TASK_COUNT"
elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  if [ -z "${MCAM_SHARD_COUNT:-}" ]; then
    echo "shard-env.sh: JOB_COMPLETION_INDEX is set; set MCAM_SHARD_COUNT to the Job's completions" >&2
    exit 2
  fi
  MCAM_SHARD="$((JOB_COMPLETION_INDEX + 1))/$MCAM_SHARD_COUNT"
fi
if [ -z "${MCAM_SHARD:-}" ]; then
  echo "shard-env.sh: no shard: not a Slurm array task, no JOB_COMPLETION_INDEX, no MCAM_SHARD" >&2
  exit 2
fi
export MCAM_SHARD
MCAM_SHARD_TAG="$(echo "$MCAM_SHARD" | sed 's|/|-of-|')"
