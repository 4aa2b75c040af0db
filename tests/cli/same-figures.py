# SPDX-License-Identifier: GPL-3.0-or-later
# same-figures.py A.json B.json: every figure of two `mcam eval --json`
# reports equal to 1e-6, relative to the figure when it is larger than 1
# (percentages such as the average drop; oneDNN's kernels round the last
# bits of a batch of 3 differently from one of 16) (timings excepted: measured, and pooled by a merge;
# the shard's own records and the merge note too). Exit 1 naming what differs.
import json
import sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])
skip = {"forward_ms_per_image", "explain_ms_per_image", "all_classes_ms_per_image",
        "shard", "records", "merged", "model"}
bad = []
count = 0


def cmp(x, y, path):
    global count
    if isinstance(x, dict):
        if not isinstance(y, dict):
            bad.append(path)
            return
        for k in sorted(set(x) | set(y)):
            if k in skip:
                continue
            if k not in x or k not in y:
                bad.append(path + "/" + k + " only in one")
                continue
            cmp(x[k], y[k], path + "/" + k)
    elif isinstance(x, list):
        if not isinstance(y, list) or len(x) != len(y):
            bad.append(path)
            return
        for i, (u, v) in enumerate(zip(x, y)):
            cmp(u, v, "%s[%d]" % (path, i))
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        count += 1
        if not isinstance(y, (int, float)) or abs(x - y) > 1e-6 * max(1.0, abs(x)):
            bad.append("%s: %r vs %r" % (path, x, y))
    elif x != y:
        bad.append("%s: %r vs %r" % (path, x, y))


cmp(a, b, "")
if bad or count == 0:
    print("# differ:", bad[:10])
    sys.exit(1)
print("# %d numbers compared, all within 1e-6" % count)
