#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiny ONNX files the graph engine must refuse, each for one reason
(tests/core/test-graph-models.c). Dev time only (python3-onnx); run from the
source root: /usr/bin/python3 tools/make_graph_refusal_fixtures.py"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = "tests/fixtures/onnx-graph/"


def model(name, nodes, inits=(), inputs=None, opset=13, domain_opsets=()):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])
    g = helper.make_graph(nodes, name, inputs or [x], [y], list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in domain_opsets]
    m = helper.make_model(g, opset_imports=ops, producer_name="make_graph_refusal_fixtures")
    m.ir_version = 8
    onnx.save(m, OUT + name + ".onnx")


rng = np.random.default_rng(1)
fc_w = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "fc.weight")
head = [helper.make_node("GlobalAveragePool", ["h"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight"], ["logits"], name="fc", transB=1)]

# an op the engine does not have
model("unsupported-op",
      [helper.make_node("LpNormalization", ["input"], ["h"], name="norm7")] + head, [fc_w])
# an opset outside 11-18
model("old-opset", [helper.make_node("Relu", ["input"], ["h"], name="relu")] + head, [fc_w],
      opset=9)
# a cycle: a reads b's output, b reads a's
model("cycle",
      [helper.make_node("Add", ["input", "b"], ["a"], name="a"),
       helper.make_node("Relu", ["a"], ["b"], name="b"),
       helper.make_node("Relu", ["b"], ["h"], name="c")] + head, [fc_w])
# an input nothing defines
model("dangling",
      [helper.make_node("Add", ["input", "ghost"], ["h"], name="add_ghost")] + head, [fc_w])
# a conv whose weight does not fit the input (5 channels for 3)
w = numpy_helper.from_array(rng.standard_normal((3, 5, 3, 3)).astype(np.float32), "conv.weight")
model("shape-mismatch",
      [helper.make_node("Conv", ["input", "conv.weight"], ["h"], name="conv_bad", pads=[1, 1, 1, 1])]
      + head, [fc_w, w])
# a node of another domain
model("other-domain",
      [helper.make_node("FusedConv", ["input"], ["h"], name="fused", domain="com.microsoft")] + head,
      [fc_w], domain_opsets=[("com.microsoft", 1)])
# two image inputs
x2 = helper.make_tensor_value_info("input2", TensorProto.FLOAT, ["batch", 3, 8, 8])
x1 = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])
model("two-inputs", [helper.make_node("Add", ["input", "input2"], ["h"], name="add")] + head,
      [fc_w], inputs=[x1, x2])
# a dynamic H x W
xd = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, "height", "width"])
model("dynamic-size", [helper.make_node("Relu", ["input"], ["h"], name="relu")] + head, [fc_w],
      inputs=[xd])
