#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mcam bench: the JSON document's fields and their consistency, the text
# report, exit codes and messages that name the file (DESIGN 7). No timing
# is asserted: only that the numbers are there and coherent.
set -u
F="$MCAM_FIXTURES_DIR"
NET="$F/net-basic.safetensors"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "1..7"
n=0
check () { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }

"$MCAM" bench --model "$NET" --batch 2 --runs 3 --warmup 1 --threads 1 --json > "$T/out.json" 2> "$T/err"
check $? "bench --json exits 0"

/usr/bin/python3 - "$T/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for key in ("median_ms", "min_ms", "max_ms", "gflops", "sgemm_peak_gflops", "peak_share",
            "gflop_per_forward"):
    assert isinstance(d[key], (int, float)) and d[key] > 0, key
assert d["min_ms"] <= d["median_ms"] <= d["max_ms"]
assert d["batch"] == 2 and d["runs"] == 3 and d["threads"] == 1
assert d["arch"] == "resnet" and d["input"] == [48, 40]
# gflops is the work of one forward over the median time
assert abs(d["gflops"] - d["gflop_per_forward"] / (d["median_ms"] * 1e-3)) < 1e-6 * d["gflops"]
# the share is taken pass by pass against one sgemm each (run after the
# passes), none faster than sgemm_peak_gflops: so every pass's share is at least the
# slowest pass's GFLOP/s over the best peak
slowest = d["gflop_per_forward"] / (d["max_ms"] * 1e-3)
assert d["peak_share"] >= slowest / d["sgemm_peak_gflops"] * (1 - 1e-9)
assert len(d["times_ms"]) == 3 and len(d["cpu_times_ms"]) == 3
assert d["times_ms"] == sorted(d["times_ms"]) and d["times_ms"][0] == d["min_ms"]
PY
check $? "JSON: median/min/max ms ordered, per-pass times, gflops = work / median, peak share"

"$MCAM" bench --model "$NET" --runs 2 > "$T/out.txt" 2> "$T/err"
[ $? = 0 ] && grep -q "GFLOP/s" "$T/out.txt" && grep -q "median" "$T/out.txt"
check $? "text report"

"$MCAM" bench > /dev/null 2> "$T/err"
[ $? = 2 ] && grep -q -- "--model" "$T/err"
check $? "no --model: usage error (2)"

"$MCAM" bench --model "$NET" --batch 0 > /dev/null 2> "$T/err"
[ $? = 2 ]
check $? "--batch 0: usage error (2)"

"$MCAM" bench --model "$T/missing.safetensors" > /dev/null 2> "$T/err"
[ $? = 1 ] && grep -q "missing.safetensors" "$T/err"
check $? "missing model: exit 1, message names the file"

"$MCAM" bench --model "$F/net-basic-expected.safetensors" > /dev/null 2> "$T/err"
[ $? = 1 ] && grep -q "net-basic-expected.safetensors" "$T/err" && grep -q "conv1.weight" "$T/err"
check $? "not a ResNet: exit 1, message names the file and the tensor"
