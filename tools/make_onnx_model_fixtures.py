#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the graph engine's reference fixtures (tests/fixtures/onnx/).

One tiny, seeded, random model per CNN family, built from torchvision's own
classes (so the ops, their order and the ONNX export are torchvision's) with
random BatchNorm / LayerNorm statistics, exported to ONNX with
tools/export_model.py, and next to each model what PyTorch computes:

  NAME.onnx                   the model, mcam.* keys in metadata_props
  NAME-expected.safetensors   input [B,3,H,W] (already normalised), logits
                              [B,C]; for the default target layer and for one
                              inner layer: features A [B,K,h,w], the raw
                              gradient dy_c/dA, and Grad-CAM
                              ReLU(sum_k mean_ij(dy_c/dA_k) A_k) [B,h,w]
                              (unnormalised), c = metadata "class";
                              metadata names both layers' ONNX values
                              ("onnx.target", "onnx.inner") and torch modules

and two models in mcam's safetensors dialect (resnext-st, wide-resnet-st)
with their expected logits and layer4 features.

The ONNX value names are learnt by exporting the same network a second time
with the layer outputs as extra graph outputs and matching nodes one to one.

Run from the source root:  /usr/bin/python3 tools/make_onnx_model_fixtures.py
"""
import json
import os
import sys

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops.misc import Conv2dNormActivation
from torchvision.models import convnext, densenet, efficientnet, mobilenetv2, mobilenetv3, \
    regnet, resnet, vgg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_model  # noqa: E402
import st_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
WIDTH, HEIGHT, BATCH = 64, 48, 2   # not square: a swapped W/H shows
CLASSES = ["cat", "dog", "bird", "fish", "frog"]


class TinyResNet(resnet.ResNet):
    """torchvision's ResNet (its _make_layer, forward and parameter names)
    with free stage widths, for models of a few hundred kB."""

    def __init__(self, block, layers, widths, groups=1, width_per_group=64, num_classes=5):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation = widths[0], 1
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)


def densenet_forward(model, cap):
    """DenseNet.forward, with the tensor entering the pooling (after the
    functional ReLU: the ONNX graph's target) kept."""
    def fwd(x):
        out = F.relu(model.features(x))
        cap["target"] = out
        out = torch.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return model.classifier(out)
    return fwd


def tiny_vgg():
    m = vgg.VGG(vgg.make_layers([8, "M", 16, "M", 24, 24, "M", 32, "M"], batch_norm=True),
                num_classes=5)
    # torchvision's head is 512*7*7 -> 4096 -> 4096: keep its form, not its size;
    # the 1x2 adaptive pool of a 3x4 map exports as a (non-global) 3x2 AveragePool
    m.avgpool = nn.AdaptiveAvgPool2d((1, 2))
    m.classifier = nn.Sequential(nn.Linear(32 * 2, 24), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(24, 5))
    return m


def tiny_mobilenet_v2():
    m = mobilenetv2.MobileNetV2(5, 0.25, [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2],
                                          [6, 48, 1, 2]])
    # the last 1x1 conv widens to 1280 whatever the width multiplier: narrower here
    m.features[-1] = Conv2dNormActivation(m.features[-1][0].in_channels, 64, kernel_size=1,
                                          activation_layer=nn.ReLU6)
    m.classifier[1] = nn.Linear(64, 5)
    return m


def tiny_mobilenet_v3():
    setting, _ = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return mobilenetv3.MobileNetV3(setting, 64, num_classes=5)


def tiny_efficientnet():
    setting, _ = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25,
                                                 depth_mult=0.34)
    # B0's first five stages (strides 1,2,2,2,1: total 16); the head is 4x the last width
    return efficientnet.EfficientNet(setting[:5], 0.2, num_classes=5)


def tiny_convnext():
    cfg = [convnext.CNBlockConfig(8, 16, 1), convnext.CNBlockConfig(16, 32, 2),
           convnext.CNBlockConfig(32, None, 1)]
    return convnext.ConvNeXt(cfg, num_classes=5)


def tiny_regnet():
    params = regnet.BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=2.0,
                                                 group_width=8, se_ratio=0.25)
    return regnet.RegNet(params, num_classes=5, stem_width=8)


# name, builder, target module (or None: see forward), inner module, opset, forward
FAMILIES = [
    ("resnet", lambda: TinyResNet(resnet.BasicBlock, [2, 1, 1, 1], [8, 16, 24, 32]),
     "layer4", "layer2", 13, None),
    ("resnext", lambda: TinyResNet(resnet.Bottleneck, [1, 1, 1, 1], [16, 32, 32, 64], 4, 8),
     "layer4", "layer3", 13, None),
    ("wide-resnet", lambda: TinyResNet(resnet.Bottleneck, [1, 1, 1, 1], [8, 16, 16, 24], 1, 128),
     "layer4", "layer2", 13, None),
    ("densenet", lambda: densenet.DenseNet(8, (2, 2), 16, bn_size=2, num_classes=5),
     None, "features.transition1", 13, densenet_forward),
    ("mobilenet-v2", tiny_mobilenet_v2, "features", "features.4", 13, None),
    ("mobilenet-v3", tiny_mobilenet_v3, "features", "features.4", 13, None),
    ("mobilenet-v3-op17", tiny_mobilenet_v3, "features", "features.4", 17, None),
    ("efficientnet", tiny_efficientnet, "features", "features.3", 13, None),
    ("convnext", tiny_convnext, "features", "features.3", 13, None),
    ("convnext-op17", tiny_convnext, "features", "features.3", 17, None),
    ("regnety", tiny_regnet, "trunk_output", "trunk_output.block2", 13, None),
    ("vgg", tiny_vgg, "features", "features.13", 13, None),
    # appended, not inserted: the list index is the seed of every fixture above
    # DenseNet-121's third block ends in a Concat of 25 tensors: a block of 12 layers (13)
    ("densenet-long", lambda: densenet.DenseNet(4, (2, 12), 8, bn_size=2, num_classes=5),
     None, "features.denseblock2.denselayer6", 13, densenet_forward),
]

# safetensors dialect: name, block, layers, widths (planes), groups, width per group
ST_FIXTURES = [
    ("resnext-st", resnet.Bottleneck, [1, 2, 1, 1], [16, 32, 32, 64], 4, 8),
    ("wide-resnet-st", resnet.Bottleneck, [1, 1, 2, 1], [8, 16, 16, 24], 1, 128),
]


def module(model, path):
    m = model
    for part in path.split("."):
        m = m[int(part)] if part.isdigit() else getattr(m, part)
    return m


def capturing_forward(model, target, inner, forward):
    """x -> logits, with cap["target"], cap["inner"] set on the way."""
    cap = {}
    hooks = []
    for key, path in (("target", target), ("inner", inner)):
        if path:
            hooks.append(module(model, path).register_forward_hook(
                lambda m, i, o, key=key: cap.__setitem__(key, o)))
    fwd = forward(model, cap) if forward else model
    return fwd, cap, hooks


def grad_cam(logits, feats, c):
    """Grad-CAM of class c over the batch, unnormalised: the samples are
    independent in eval mode, so one backward of sum_b y_bc gives every
    sample's gradient."""
    grads = torch.autograd.grad(logits[:, c].sum(), feats, retain_graph=True)
    cams = []
    for a, g in zip(feats, grads):
        w = g.mean(dim=(2, 3), keepdim=True)
        cams.append(F.relu((w * a).sum(1)))
    return grads, cams


def onnx_names(model, target, inner, forward, opset, main):
    """The names, in MAIN (the exported model), of the target and inner
    tensors: export again with them as outputs, match node i to node i."""
    import tempfile
    fwd, cap, hooks = capturing_forward(model, target, inner, forward)

    def extra(x):
        logits = fwd(x)
        return logits, cap["target"], cap["inner"]

    with tempfile.TemporaryDirectory() as tmp:
        helper = export_model.export_onnx(model, os.path.join(tmp, "h.onnx"), WIDTH, HEIGHT,
                                          None, opset, extra_outputs=extra)
    for h in hooks:
        h.remove()
    a, b = main.graph.node, helper.graph.node
    if [n.op_type for n in a] != [n.op_type for n in b]:
        raise SystemExit("the helper export's nodes differ from the model's")
    names = []
    for want in ("extra0", "extra1"):
        hits = [(i, j) for i, n in enumerate(b) for j, o in enumerate(n.output) if o == want]
        if len(hits) != 1:
            raise SystemExit("%s: no single node produces %s" % (main.graph.name, want))
        i, j = hits[0]
        names.append(a[i].output[j])
    return names


def build_model(build, seed):
    torch.manual_seed(1000 + seed)
    model = export_model.randomise_statistics(build(), 2000 + seed).eval()
    for m in model.modules():
        # torchvision starts some heads at N(0, 0.01): logits of ~1e-3 would make
        # a tolerance on them meaningless; PyTorch's own default is +-1/sqrt(in)
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    return model


def pick_class(logits, feats):
    """A class whose Grad-CAM is positive over part of both layers (an
    all-zero map tests nothing, an all-positive one not the ReLU), its score
    and the positive fractions."""
    def fracs(c):
        return [float((m > 0).float().mean()) for m in grad_cam(logits, feats, c)[1]]

    def score(c):
        return sum(-10 if f == 0 else 0.5 if f == 1 else 1 + min(f, 1 - f) for f in fracs(c))
    c = max(range(logits.shape[1]), key=score)
    return c, fracs(c)


def make_onnx_fixture(seed, name, build, target, inner, opset, forward):
    # At a GAP + linear head the target map is the per-position class score:
    # with some seeds it is negative everywhere for every class. Then the
    # next seed (a few tries) rather than an all-zero reference.
    for attempt in range(6):
        s = seed + 100 * attempt
        model = build_model(build, s)
        x = torch.randn(BATCH, 3, HEIGHT, WIDTH,
                        generator=torch.Generator().manual_seed(3000 + s))
        fwd, cap, hooks = capturing_forward(model, target, inner, forward)
        logits = fwd(x)
        feats = [cap["target"], cap["inner"]]
        c, frac = pick_class(logits, feats)
        if min(frac) > 0:
            break
        for h in hooks:
            h.remove()
    (gt, gi), (ct, ci) = grad_cam(logits, feats, c)
    for h in hooks:
        h.remove()

    meta = export_model.metadata(CLASSES, WIDTH, HEIGHT, "stretch", None, "bilinear")
    path = os.path.join(OUT, name + ".onnx")
    main = export_model.export_onnx(model, path, WIDTH, HEIGHT, meta, opset)
    t_name, i_name = onnx_names(model, target, inner, forward, opset, main)

    with torch.no_grad():
        plain = model(x)
    err = float((plain - logits).abs().max() / plain.abs().max())
    assert err < 1e-5, "capturing forward changed the logits (%g)" % err

    ops = sorted({n.op_type for n in main.graph.node})
    st_io.save(os.path.join(OUT, name + "-expected.safetensors"), {
        "input": x, "logits": logits,
        "target.features": cap["target"], "target.grad": gt, "target.cam": ct,
        "inner.features": cap["inner"], "inner.grad": gi, "inner.cam": ci,
    }, {
        "model": name + ".onnx", "opset": str(opset), "class": str(c),
        "onnx.target": t_name, "onnx.inner": i_name,
        "torch.target": target or "relu(features)", "torch.inner": inner,
        "ops": json.dumps(ops),
    }, dtype="float32")
    size = os.path.getsize(path) + os.path.getsize(os.path.join(OUT, name + "-expected.safetensors"))
    print("%-18s opset %d, %5.0f kB, max|logit| %.2f, logits %s, target %s %s, inner %s %s, class %d, "
          "cam>0 %.0f%%/%.0f%%, ops %s" % (
              name, opset, size / 1024, float(logits.abs().max()), tuple(logits.shape), t_name,
              tuple(cap["target"].shape[1:]), i_name, tuple(cap["inner"].shape[1:]), c,
              100 * float((ct > 0).float().mean()), 100 * float((ci > 0).float().mean()),
              ",".join(ops)))
    return ops


def make_st_fixture(seed, name, block, layers, widths, groups, wpg):
    torch.manual_seed(4000 + seed)
    model = export_model.randomise_statistics(
        TinyResNet(block, layers, widths, groups, wpg), 5000 + seed).eval()
    meta = export_model.metadata(CLASSES, WIDTH, HEIGHT, "stretch", None, "bilinear")
    meta.update({
        "mcam.arch": "resnet", "mcam.block": "bottleneck",
        "mcam.layers": json.dumps(layers), "mcam.widths": json.dumps(widths),
        "mcam.stem": "imagenet",
        # torchvision's ResNet(groups=, width_per_group=): a bottleneck's 3x3
        # conv has int(planes * wpg / 64) * groups channels in `groups` groups
        "mcam.groups": str(groups), "mcam.width-per-group": str(wpg),
    })
    st_io.save(os.path.join(OUT, name + ".safetensors"), model.state_dict(), meta)
    x = torch.randn(BATCH, 3, HEIGHT, WIDTH, generator=torch.Generator().manual_seed(6000 + seed))
    cap = {}
    hk = model.layer4.register_forward_hook(lambda m, i, o: cap.__setitem__("f", o))
    with torch.no_grad():
        logits = model(x)
    hk.remove()
    st_io.save(os.path.join(OUT, name + "-expected.safetensors"),
               {"input": x, "features": cap["f"], "logits": logits},
               {"model": name + ".safetensors"}, dtype="float32")
    print("%-18s safetensors, groups %d, width/group %d, features %s, logits %s" % (
        name, groups, wpg, tuple(cap["f"].shape[1:]), tuple(logits.shape)))


def main():
    only = set(sys.argv[1:])
    os.makedirs(OUT, exist_ok=True)
    for seed, spec in enumerate(FAMILIES):
        if not only or spec[0] in only:
            make_onnx_fixture(seed, *spec)
    for seed, spec in enumerate(ST_FIXTURES):
        if not only or spec[0] in only:
            make_st_fixture(seed, *spec)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("tests/fixtures/onnx: %.0f kB in all" % (total / 1024))


if __name__ == "__main__":
    main()
