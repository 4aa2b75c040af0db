#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A real single-node Slurm (issue 15): munged, slurmctld -D and slurmd -D
# started here as plain processes (no systemd) from a slurm.conf generated in
# a temporary folder, on 127.0.0.1 and free ports; a 3-task array of
# tools/slurm/eval-array.sbatch submitted with `sbatch --wait`, its parts
# merged, and the figures compared with one unsharded run. The daemons are
# stopped by their pids on exit, failed or not; every wait is bounded.
# Needs root (munged and SlurmUser=root) and the slurm-wlm and munge
# packages (tools/debian-packages.txt); skipped without them.
set -u
D="$MCAM_SOURCE_DIR/data/demo"
NET="$D/fashion-mosaic-resnet.safetensors"
MEM="$D/fashion-mosaic-memory.safetensors"
SAME="$MCAM_SOURCE_DIR/tests/cli/same-figures.py"
SLURM_TOOLS="$MCAM_SOURCE_DIR/tools/slurm"

for prog in munged slurmctld slurmd sbatch scontrol sinfo timeout python3; do
  if ! command -v "$prog" > /dev/null 2>&1 && [ ! -x "/usr/sbin/$prog" ]; then
    echo "1..0 # SKIP $prog is not installed (apt-get install slurm-wlm munge)"
    exit 0
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP not root: munged and slurmd run as root here (SlurmUser=root)"
  exit 0
fi
PATH="$PATH:/usr/sbin"

T=$(mktemp -d)
PIDS=""
JOB=""
stop () {
  [ -z "$JOB" ] && [ -f "$T/jobid" ] && JOB=$(head -n 1 "$T/jobid"); JOB=${JOB%%;*}
  [ -n "$JOB" ] && timeout 10 scancel "$JOB" > /dev/null 2>&1
  for p in $PIDS; do kill "$p" 2> /dev/null; done
  # Up to 10 s for a clean exit, then kill.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=""
    for p in $PIDS; do kill -0 "$p" 2> /dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 1
  done
  for p in $PIDS; do kill -9 "$p" 2> /dev/null; done
  if [ "${KEEP_SLURM_LOGS:-}" != "" ]; then echo "# logs kept in $T"; else rm -rf "$T"; fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

echo "1..9"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
show_logs () { for f in "$T"/*.log; do echo "# --- $f"; tail -n 15 "$f" | sed 's/^/# /'; done; }

# munge: a fresh key, the socket in the temp folder.
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2> /dev/null
chmod 400 "$T/munge.key"
# munged wants its socket's folder (and the path to it) searchable by all.
chmod 711 "$T"
mkdir -m 711 "$T/munge"
munged -F --key-file="$T/munge.key" --socket="$T/munge/munge.sock" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munged.log" \
  --seed-file="$T/munge/munge.seed" > "$T/munged.out" 2>&1 &
PIDS="$PIDS $!"
ok=1
for _ in $(seq 1 50); do [ -S "$T/munge/munge.sock" ] && { ok=0; break; }; sleep 0.2; done
check $ok "munged runs with a key and socket in the temp folder"

# Two free ports on 127.0.0.1 (held together while picked, so distinct).
ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
CTLD_PORT=${ports% *}
SLURMD_PORT=${ports#* }
HOST=$(hostname -s)
CPUS=$(nproc)
mkdir -p "$T/state" "$T/spool" "$T/out"
cat > "$T/slurm.conf" <<CONF
ClusterName=mcamtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
NodeName=mcamnode NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=mcam Nodes=mcamnode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -D -f "$T/slurm.conf" > "$T/slurmctld.out" 2>&1 &
PIDS="$PIDS $!"
slurmd -D -N mcamnode -f "$T/slurm.conf" > "$T/slurmd.out" 2>&1 &
PIDS="$PIDS $!"
ok=1
for _ in $(seq 1 60); do
  state=$(timeout 5 sinfo -h -n mcamnode -o %t 2> /dev/null)
  case "$state" in idle*|mix*|alloc*) ok=0; break ;; esac
  sleep 1
done
check $ok "slurmctld and slurmd up on 127.0.0.1:$CTLD_PORT/$SLURMD_PORT, node mcamnode ($CPUS CPUs) ${state:-not} ready"
[ $ok = 0 ] || show_logs

E="--model $NET --memory $MEM --images $D/images --labels $D/images/labels.csv --boxes $D/images/boxes.csv --methods mcam,cam,gradcam --metrics pointing,drop"
# The array: three tasks, the shard from SLURM_ARRAY_TASK_ID/COUNT;
# `sbatch --wait` returns when all three ended (bounded by timeout).
# shellcheck disable=SC2086
timeout 400 sbatch --wait --parsable --array=1-3 --cpus-per-task=1 \
  --export=ALL,MCAM="$MCAM",MCAM_SLURM_DIR="$SLURM_TOOLS" \
  --output="$T/out/task-%a.log" "$SLURM_TOOLS/eval-array.sbatch" "$T/out" $E \
  > "$T/jobid" 2> "$T/sbatch.err"
status=$?
JOB=$(head -n 1 "$T/jobid" 2> /dev/null)
JOB=${JOB%%;*}
check $status "sbatch --wait --array=1-3 tools/slurm/eval-array.sbatch: job ${JOB:-none} ended, exit $status $(head -c 300 "$T/sbatch.err" | tr '\n' ' ')"
ls "$T/out"/part-1-of-3.json "$T/out"/part-2-of-3.json "$T/out"/part-3-of-3.json > /dev/null 2>&1
ok=$?
check $ok "the 3 array tasks wrote part-1-of-3 .. part-3-of-3"
[ $ok = 0 ] || { show_logs; cat "$T"/out/*.log | sed 's/^/# /'; }

"$MCAM" eval --merge --json "$T"/out/part-*-of-3.json > "$T/merged.json" 2> "$T/merge.err"
check $? "mcam eval --merge of the parts $(cat "$T/merge.err")"
# shellcheck disable=SC2086
"$MCAM" eval $E --json > "$T/full.json" 2> "$T/full.err"
python3 "$SAME" "$T/full.json" "$T/merged.json"
check $? "the merged figures equal one unsharded run's to 1e-6"

# tools/slurm/eval-merge.sh: the array and the merge job after it (afterok).
# shellcheck disable=SC2086
MERGE_JOB=$(MCAM="$MCAM" timeout 30 sh "$SLURM_TOOLS/eval-merge.sh" 3 "$T/em" $E 2> "$T/em.err")
timeout 400 sh -c "while squeue -h -j '$MERGE_JOB' 2> /dev/null | grep -q .; do sleep 2; done"
python3 "$SAME" "$T/full.json" "$T/em/eval.json" && grep -q "^## Bias lens" "$T/em/eval.md"
ok=$?
check $ok "tools/slurm/eval-merge.sh: its merge job's eval.json equals the unsharded run, eval.md written"
[ $ok = 0 ] || { show_logs; cat "$T"/em/*.log "$T/em.err" | sed 's/^/# /'; }

# Features + train: tools/slurm/features-train.sh submits a 3-task features
# array and the training job after it (afterok); the memory it trains is the
# very bytes one unsharded `mcam train` writes.
F="--images $D/images --labels $D/images/labels.csv"
TR="--slots 20 --epochs 3 --threads 1"
# shellcheck disable=SC2086
TRAIN_JOB=$(MCAM="$MCAM" timeout 30 sh "$SLURM_TOOLS/features-train.sh" 3 "$T/feat" --model "$NET" $F \
            -- $TR --out "$T/feat/memory.safetensors" 2> "$T/ft.err")
check $? "tools/slurm/features-train.sh submitted the features array and the train job ${TRAIN_JOB:-none}"
timeout 400 sh -c "while squeue -h -j '$TRAIN_JOB' 2> /dev/null | grep -q .; do sleep 2; done"
# shellcheck disable=SC2086
"$MCAM" train --backbone "$NET" $F $TR --out "$T/memory-one.safetensors" > /dev/null 2>&1
cmp -s "$T/feat/memory.safetensors" "$T/memory-one.safetensors"
ok=$?
check $ok "the memory trained on the 3 parts equals one unsharded train's, byte for byte"
[ $ok = 0 ] || { show_logs; cat "$T"/feat/*.log "$T/ft.err" | sed 's/^/# /'; }
