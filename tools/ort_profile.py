#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-layer comparison of ONNX Runtime and mcam (dev tool, issue 14).

Reads ONNX Runtime's profiler trace (tools/bench_ort.js with ORT_PROFILE=PREFIX
writes one) and, optionally, the table `MCAM_PROFILE=1 mcam bench ...` prints
on stderr, and joins them per convolution geometry (in>out channels, kernel,
stride, input H×W): the layers of a ResNet repeat, so a geometry row sums the
blocks that share it.

ORT's profiler times each node on the wall clock; on a loaded machine that
includes waiting for a core, and even a node's median is inflated there (a
niced process is preempted every few ms). Each node's fastest run is taken
(--stat min, the default; the least disturbed run of each node), and
with --ort-cpu-ms (ORT's median CPU time per forward, from bench_ort.js's JSON)
the node medians are scaled to sum to it, so both sides are CPU milliseconds.
mcam's profile is CPU time already.

Usage:
  tools/ort_profile.py ORT_TRACE.json [--mcam MCAM_PROFILE.txt] [--ort-cpu-ms MS]
                       [--batch B] [--top N]
"""
import argparse
import collections
import json
import re
import statistics


def ort_nodes(path):
    """node name -> (op, geometry key or None, [durations in ms])"""
    d = json.load(open(path))
    nodes = collections.OrderedDict()
    for e in d:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        a = e.get("args", {})
        op = a.get("op_name", "?")
        key = None
        ins = [list(x.values())[0] for x in a.get("input_type_shape", [])]
        outs = [list(x.values())[0] for x in a.get("output_type_shape", [])]
        if op in ("Conv", "FusedConv") and len(ins) >= 2 and len(ins[0]) == 4:
            b, c, h, w = ins[0]
            o, ci, kh, kw = ins[1]
            oh = outs[0][2] if outs and len(outs[0]) == 4 else h
            # NCHWc convs hold the channel count padded to the block: the
            # weight's dims are the true ones for a dense conv
            s = max(1, round(h / oh)) if oh else 1
            if ci == 1 and o == c:
                key = "dw %d k%d s%d %dx%d" % (o, kh, s, h, w)
            else:
                key = "%d>%d k%d s%d %dx%d" % (ci, o, kh, s, h, w)
        nodes.setdefault(e["name"][:-len("_kernel_time")], [op, key, []])[2].append(
            e["dur"] / 1000.0)
    return nodes


MCAM_LINE = re.compile(r"^\s*(\d+) (\S+)\s+(.*?)\s+(\d+)\s+([\d.]+)ms\s")


def mcam_nodes(path):
    """node name -> (kind, geometry key or None, median ms)"""
    out = collections.OrderedDict()
    for line in open(path):
        m = MCAM_LINE.match(line)
        if not m:
            continue
        name, kind, geom, _, med = m.groups()   # name: the node's index
        key = None
        g = re.match(r"(\d+)>(\d+) k(\d+) s(\d+) (\d+x\d+)", geom)
        if g:
            ci, co, k, s, hw = g.groups()
            if kind == "dwconv":
                key = "dw %s k%s s%s %s" % (co, k, s, hw)
            else:
                key = "%s>%s k%s s%s %s" % (ci, co, k, s, hw)
        out[name] = (kind, key, float(med))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--mcam")
    ap.add_argument("--ort-cpu-ms", type=float)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--stat", choices=["min", "median"], default="min")
    args = ap.parse_args()

    ort = ort_nodes(args.trace)
    pick = min if args.stat == "min" else statistics.median
    med = {n: pick(v[2]) for n, v in ort.items()}
    total = sum(med.values())
    scale = args.ort_cpu_ms / total if args.ort_cpu_ms else 1.0
    print("ORT: %d nodes, sum of node %ss %.2f ms (wall)%s" % (
        len(ort), args.stat, total, ", scaled to %.2f ms CPU" % args.ort_cpu_ms if args.ort_cpu_ms else ""))
    by_op = collections.Counter()
    for n, v in ort.items():
        by_op[v[0]] += med[n] * scale
    for op, t in by_op.most_common():
        print("  %-22s %8.2f ms %5.1f%%" % (op, t, 100 * t / (total * scale)))
    ort_geo = collections.defaultdict(lambda: [0, 0.0])
    ort_other = 0.0
    for n, v in ort.items():
        if v[1]:
            ort_geo[v[1]][0] += 1
            ort_geo[v[1]][1] += med[n] * scale
        else:
            ort_other += med[n] * scale
    if not args.mcam:
        for k, (c, t) in sorted(ort_geo.items(), key=lambda kv: -kv[1][1])[:args.top]:
            print("  %-28s %3d %8.2f ms" % (k, c, t))
        return
    mc = mcam_nodes(args.mcam)
    mc_geo = collections.defaultdict(lambda: [0, 0.0, set()])
    mc_other = collections.Counter()
    for n, (kind, key, t) in mc.items():
        if key:
            mc_geo[key][0] += 1
            mc_geo[key][1] += t
            mc_geo[key][2].add(kind)
        else:
            mc_other[kind] += t
    mc_total = sum(t for _, _, t in mc.values())
    print("mcam: %d nodes, sum of node medians %.2f ms (CPU)" % (len(mc), mc_total))
    print()
    print("| conv geometry | n | mcam kernel | mcam ms | ORT ms | mcam − ORT ms | mcam / ORT |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    keys = set(mc_geo) | set(ort_geo)
    rows = sorted(keys, key=lambda k: -((mc_geo[k][1] if k in mc_geo else 0) -
                                        (ort_geo[k][1] if k in ort_geo else 0)))
    for k in rows[:args.top]:
        m = mc_geo.get(k, [0, 0.0, set()])
        o = ort_geo.get(k, [0, 0.0])
        print("| %s | %d | %s | %.2f | %.2f | %+.2f | %s |" % (
            k, max(m[0], o[0]), "/".join(sorted(m[2])) or "-", m[1], o[1], m[1] - o[1],
            "%.2f" % (m[1] / o[1]) if o[1] > 0 else "-"))
    print("| everything else | | %s | %.2f | %.2f | %+.2f | |" % (
        ", ".join("%s %.1f" % kv for kv in mc_other.most_common(4)),
        sum(mc_other.values()), ort_other, sum(mc_other.values()) - ort_other))
    print("| **total** | | | %.2f | %.2f | %+.2f | %.2f |" % (
        mc_total, total * scale, mc_total - total * scale, mc_total / (total * scale)))


if __name__ == "__main__":
    main()
