#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the ONNX reader's fixtures (tests/fixtures/onnx-reader/) and what the
reader must find in them (expected.json), for tests/core/test-onnx.c.

  tiny.onnx       made with onnx.helper: Conv/Relu/GAP/Flatten/Gemm with a
                  symbolic batch axis, a Constant node, a custom-domain node
                  with an attribute of every kind the reader keeps, weights in
                  raw_data (some not 4-byte aligned in the file) and in
                  float_data / int64_data / int32_data (INT8, FLOAT16) /
                  double_data, metadata_props
  unpacked.onnx   written byte by byte: the repeated scalars that writers
                  usually pack (float_data, int64_data) one field per value,
                  and dims packed (onnx.helper never writes either way round),
                  no `type` on the attributes (old exporters), "ai.onnx" as
                  the default domain's name
  state-dict.pth  torch.save of a small state_dict (zip container)
  legacy.pth      the same with the pre-1.6 pickle container

Also the seed corpus of the fuzz target (tests/fuzz/corpus/onnx/).

Run from anywhere:  /usr/bin/python3 tools/make_onnx_fixtures.py
PyTorch and python3-onnx are needed here only, never by the tests.
"""
import json
import os
import shutil
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "onnx-reader")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "onnx")

DTYPE_NAMES = {TensorProto.FLOAT: "FLOAT", TensorProto.INT64: "INT64",
               TensorProto.INT32: "INT32", TensorProto.INT8: "INT8",
               TensorProto.FLOAT16: "FLOAT16", TensorProto.DOUBLE: "DOUBLE"}


def f32(values):
    """float32 values as the doubles JSON carries (exact)."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def tensor_expect(t, storage):
    arr = numpy_helper.to_array(t)
    if t.data_type in (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE):
        values = f32(arr.astype(np.float32))
    else:
        values = [int(v) for v in arr.ravel()]
    return {"name": t.name, "dtype": t.data_type, "dims": list(t.dims),
            "storage": storage, "values": values}


def make_tiny():
    rng = np.random.default_rng(10)
    inits, expect_inits = [], []

    def add(t, storage):
        inits.append(t)
        expect_inits.append(tensor_expect(t, storage))

    # raw_data (numpy_helper.from_array writes raw_data); the odd-length names
    # shift where each payload lands in the file
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    add(numpy_helper.from_array(w, "conv.weight"), "raw")
    add(numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "conv.b"), "raw")
    # float_data (raw=False): packed fixed32
    fc = rng.standard_normal((5, 4)).astype(np.float32)
    add(helper.make_tensor("fc.weight", TensorProto.FLOAT, [5, 4], fc.ravel().tolist()), "field")
    add(helper.make_tensor("fc.bias", TensorProto.FLOAT, [5], f32(rng.standard_normal(5))),
        "field")
    # int64_data, negative values included (10-byte varints)
    add(helper.make_tensor("shape.i64", TensorProto.INT64, [3], [-1, 5, 1 << 40]), "field")
    # int32_data holding INT8 and FLOAT16 (the 16 bits)
    add(helper.make_tensor("q.int8", TensorProto.INT8, [4], [-128, -1, 0, 127]), "field")
    add(helper.make_tensor("h.f16", TensorProto.FLOAT16, [3],
                           np.array([1.5, -2.0, 65504.0], dtype=np.float16)), "field")
    add(helper.make_tensor("d.double", TensorProto.DOUBLE, [2], [0.25, -3.5]), "field")
    # raw INT64 and raw FLOAT16, and a scalar
    add(numpy_helper.from_array(np.array([7, -8], dtype=np.int64), "raw.i64"), "raw")
    add(numpy_helper.from_array(np.array([0.5, -0.25], dtype=np.float16), "raw.f16"), "raw")
    add(numpy_helper.from_array(np.array(3.0, dtype=np.float32), "scalar"), "raw")
    # empty tensor
    add(numpy_helper.from_array(np.zeros((0, 3), dtype=np.float32), "empty"), "none")

    const_value = numpy_helper.from_array(np.array([1.0, 2.0, 3.0], dtype=np.float32), "cv")
    sub_graph = helper.make_graph([helper.make_node("Identity", ["a"], ["b"])], "sub",
                                  [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                                  [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
    attr_t = helper.make_tensor("attr.t", TensorProto.INT64, [2], [4, -4])
    attr_ts = [helper.make_tensor("ts0", TensorProto.FLOAT, [1], [0.5]),
               helper.make_tensor("ts1", TensorProto.INT64, [2], [1, 2])]
    nodes = [
        helper.make_node("Conv", ["image", "conv.weight", "conv.b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], group=1,
                         dilations=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("GlobalAveragePool", ["r1"], ["g1"], name=""),
        helper.make_node("Flatten", ["g1"], ["f1"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f1", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         alpha=1.0, beta=0.5, transB=1),
        helper.make_node("Constant", [], ["k"], name="const", value=const_value),
        helper.make_node("Clip", ["logits", "", "k"], ["clipped"], name="clip"),
        helper.make_node("AllKinds", ["k"], ["z"], name="kinds", domain="mcam.test",
                         f=-0.125, i=-7, s="h\u00e9llo", t=attr_t, floats=[0.5, -1.0, 2.25],
                         ints=[1, -2, 1 << 35], strings=["a", "", "bc"], tensors=attr_ts,
                         g=sub_graph),
    ]
    graph = helper.make_graph(
        nodes, "tiny-graph",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch_size", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 5]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
        initializer=inits)
    model = helper.make_model(graph, producer_name="make_onnx_fixtures",
                              producer_version="1",
                              opset_imports=[helper.make_opsetid("", 13),
                                             helper.make_opsetid("mcam.test", 1)])
    model.ir_version = 8
    helper.set_model_props(model, {"mcam.classes": json.dumps(["cat", "dog", "owl", "ant", "eel"]),
                                   "mcam.input": "8x8", "note": "caf\u00e9"})

    def attr_expect(a):
        e = {"name": a.name, "type": a.type}
        if a.type == onnx.AttributeProto.FLOAT:
            e["f"] = f32([a.f])[0]
        elif a.type == onnx.AttributeProto.INT:
            e["i"] = a.i
        elif a.type == onnx.AttributeProto.STRING:
            e["s"] = a.s.decode()
        elif a.type == onnx.AttributeProto.TENSOR:
            e["t"] = tensor_expect(a.t, "field")
        elif a.type == onnx.AttributeProto.FLOATS:
            e["floats"] = f32(a.floats)
        elif a.type == onnx.AttributeProto.INTS:
            e["ints"] = list(a.ints)
        elif a.type == onnx.AttributeProto.STRINGS:
            e["strings"] = [x.decode() for x in a.strings]
        elif a.type == onnx.AttributeProto.TENSORS:
            e["tensors"] = [tensor_expect(t, "field") for t in a.tensors]
        return e

    # Constant's value came from numpy_helper: raw
    expect_nodes = []
    for n in nodes:
        attrs = [attr_expect(a) for a in n.attribute]
        for a, src in zip(attrs, n.attribute):
            if "t" in a and src.t.raw_data:
                a["t"]["storage"] = "raw"
        expect_nodes.append({"name": n.name, "op_type": n.op_type, "domain": n.domain,
                             "inputs": list(n.input), "outputs": list(n.output),
                             "attributes": attrs})
    expect = {
        "ir_version": 8, "producer_name": "make_onnx_fixtures", "producer_version": "1",
        "graph_name": "tiny-graph",
        "opsets": [["", 13], ["mcam.test", 1]],
        "metadata": [[p.key, p.value] for p in model.metadata_props],
        "inputs": [{"name": "image", "elem_type": 1, "dims": ["batch_size", 3, 8, 8]}],
        "outputs": [{"name": "logits", "elem_type": 1, "dims": ["batch_size", 5]},
                    {"name": "z", "elem_type": 1, "dims": None}],
        "initializers": expect_inits,
        "nodes": expect_nodes,
    }
    return model.SerializeToString(), expect


# ---- a protobuf writer small enough to read at a glance ----

def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def vi(field, v):
    return key(field, 0) + varint(v)


def f32field(field, v):
    return key(field, 5) + struct.pack("<f", v)


def make_unpacked():
    weights = [0.5, -1.25, 3.0, 0.0, -0.0625, 8.0]
    # TensorProto: dims packed (field 1, wire 2), float_data one value a field
    w = ld(1, varint(2) + varint(3)) + vi(2, TensorProto.FLOAT) + ld(8, "w")
    w += b"".join(f32field(4, x) for x in weights)
    ints = [3, -9]
    s = vi(1, 2) + vi(2, TensorProto.INT64) + ld(8, "s") + b"".join(vi(7, x) for x in ints)
    # attribute without `type`: an INTS attribute and a FLOAT one
    a_ints = ld(1, "perm") + vi(8, 1) + vi(8, 0)
    a_f = ld(1, "alpha") + f32field(2, 0.75)
    node = ld(1, "x") + ld(1, "w") + ld(2, "y") + ld(3, "mm") + ld(4, "MatMul") + ld(5, a_ints) \
        + ld(5, a_f)
    dim = lambda v: ld(1, vi(1, v))                                  # noqa: E731
    sym = lambda p: ld(1, ld(2, p))                                  # noqa: E731
    unknown = ld(1, b"")                                             # a dim with neither
    ttype = lambda dims: ld(1, vi(1, TensorProto.FLOAT) + ld(2, dims))  # noqa: E731
    x = ld(1, "x") + ld(2, ttype(sym("N") + dim(2)))
    y = ld(1, "y") + ld(2, ttype(dim(1) + unknown + dim(3)))
    graph = ld(1, node) + ld(2, "unpacked") + ld(5, w) + ld(5, s) + ld(11, x) + ld(12, y)
    # an unknown field in the graph (skipped) and a doc_string
    graph += vi(99, 5) + ld(10, "doc")
    model = vi(1, 7) + ld(8, ld(1, "ai.onnx") + vi(2, 11)) + ld(7, graph)
    expect = {
        "ir_version": 7, "producer_name": "", "producer_version": "",
        "graph_name": "unpacked",
        "opsets": [["", 11]],
        "metadata": [],
        "inputs": [{"name": "x", "elem_type": 1, "dims": ["N", 2]}],
        "outputs": [{"name": "y", "elem_type": 1, "dims": [1, None, 3]}],
        "initializers": [
            {"name": "w", "dtype": 1, "dims": [2, 3], "storage": "field", "values": weights},
            {"name": "s", "dtype": 7, "dims": [2], "storage": "field", "values": ints},
        ],
        "nodes": [{"name": "mm", "op_type": "MatMul", "domain": "", "inputs": ["x", "w"],
                   "outputs": ["y"],
                   "attributes": [{"name": "perm", "type": 7, "ints": [1, 0]},
                                  {"name": "alpha", "type": 1, "f": 0.75}]}],
    }
    return model, expect


def field_end(buf, number):
    """Where the top-level length-delimited field `number` ends in `buf`."""
    def rd(i):
        v, shift = 0, 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v, i
    i = 0
    while i < len(buf):
        k, i = rd(i)
        wire = k & 7
        if wire == 0:
            _, i = rd(i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            n, i = rd(i)
            i += n
            if k >> 3 == number:
                return i
    raise ValueError("no such field")


def make_torch_files():
    import torch

    torch.manual_seed(10)
    sd = {"conv.weight": torch.randn(2, 1, 3, 3), "fc.bias": torch.zeros(2)}
    torch.save(sd, os.path.join(OUT, "state-dict.pth"))
    torch.save(sd, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    tiny, expected["tiny.onnx"] = make_tiny()
    unpacked, expected["unpacked.onnx"] = make_unpacked()
    # a prefix shorter than this cuts the graph: the reader must refuse it
    expected["tiny.onnx"]["graph_end"] = field_end(tiny, 7)
    with open(os.path.join(OUT, "tiny.onnx"), "wb") as f:
        f.write(tiny)
    with open(os.path.join(OUT, "unpacked.onnx"), "wb") as f:
        f.write(unpacked)
    # what python3-onnx itself makes of our hand-written file
    onnx.load_model_from_string(unpacked)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    make_torch_files()

    shutil.rmtree(CORPUS, ignore_errors=True)
    os.makedirs(CORPUS)
    for name in ("tiny.onnx", "unpacked.onnx"):
        shutil.copy(os.path.join(OUT, name), os.path.join(CORPUS, name))
    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
