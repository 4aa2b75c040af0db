#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the CNN engine's reference fixtures (tests/fixtures/net-*.safetensors).

Each fixture is a small custom ResNet built from torchvision's own BasicBlock
and Bottleneck modules (so the state_dict names and the block maths are
torchvision's), with random weights AND random BatchNorm statistics (running
mean/var, gamma, beta) so BN folding is really exercised, plus a second file
with an input batch and what PyTorch computes for it in eval mode:

  net-NAME.safetensors            the model, with mcam.* metadata (DESIGN 3)
  net-NAME-expected.safetensors   input [B,3,H,W], features [B,c,h,w], logits [B,C]

Run from the source root:  /usr/bin/python3 tools/make_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, Bottleneck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


class CustomResNet(nn.Module):
    """torchvision's ResNet with free stage widths and a choice of stem.

    torchvision.models.ResNet fixes the widths at 64..512; this keeps its
    parameter names (conv1, bn1, layerN.M..., fc) and its block wiring."""

    def __init__(self, block, layers, widths, stem, num_classes):
        super().__init__()
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, widths[0], layers[0], 1)
        self.layer2 = self._make_layer(block, widths[1], layers[1], 2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], 2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        mods = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            mods.append(block(self.inplanes, planes))
        return nn.Sequential(*mods)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        f = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return f, self.fc(torch.flatten(self.avgpool(f), 1))


def randomise_batchnorm(model, gen):
    """Non-trivial BN statistics: folding must get mean, var, gamma, beta right."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.2
            m.running_mean = torch.randn(n, generator=gen) * 0.2
            m.running_var = torch.rand(n, generator=gen) * 1.5 + 0.5


def count_flops(model, h, w):
    """2 x multiply-accumulates of the convolutions and the head, one image."""
    total = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            k = mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1]
            total[0] += 2 * k * out.numel()
        elif isinstance(mod, nn.Linear):
            total[0] += 2 * mod.in_features * mod.out_features

    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w))
    for hk in hooks:
        hk.remove()
    return total[0]


FIXTURES = [
    # name, block, layers, widths, stem, (W, H), batch, classes, multilabel
    ("basic", BasicBlock, [2, 1, 1, 1], [8, 16, 24, 32], "imagenet", (48, 40), 2,
     ["cat", "dog", "bird", "3", "fish"], False),
    ("bottleneck", Bottleneck, [1, 2, 1, 1], [8, 8, 16, 16], "small", (32, 32), 3,
     ["a", "b", "c", "d"], True),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed, (name, block, layers, widths, stem, (w, h), batch, classes, ml) in enumerate(FIXTURES):
        torch.manual_seed(100 + seed)
        gen = torch.Generator().manual_seed(200 + seed)
        model = CustomResNet(block, layers, widths, stem, len(classes))
        randomise_batchnorm(model, gen)
        model.eval()
        x = torch.randn(batch, 3, h, w, generator=gen)
        # an input of another size than mcam.input: ResNets pool globally
        x2 = torch.randn(1, 3, h + 17, w + 9, generator=gen)
        with torch.no_grad():
            f, logits = model(x)
            f2, logits2 = model(x2)
        meta = {
            "mcam.format": "1",
            "mcam.arch": "resnet",
            "mcam.block": "basic" if block is BasicBlock else "bottleneck",
            "mcam.layers": json.dumps(layers),
            "mcam.widths": json.dumps(widths),
            "mcam.stem": stem,
            "mcam.input": "%dx%d" % (w, h),
            "mcam.resize": "stretch",
            "mcam.mean": json.dumps([0.485, 0.456, 0.406]),
            "mcam.std": json.dumps([0.229, 0.224, 0.225]),
            "mcam.classes": json.dumps(classes),
            "mcam.multilabel": "true" if ml else "false",
        }
        # num_batches_tracked is an int64 buffer torchvision saves too: keep
        # it, a user's state_dict has it.
        st_io.save(os.path.join(OUT, "net-%s.safetensors" % name), model.state_dict(), meta)
        st_io.save(os.path.join(OUT, "net-%s-expected.safetensors" % name),
                   {"input": x, "features": f, "logits": logits,
                    "input_other_size": x2, "features_other_size": f2,
                    "logits_other_size": logits2},
                   {"flops": str(count_flops(model, h, w)),
                    "n_params": str(sum(p.numel() for p in model.parameters()))},
                   dtype="float32")
        print("net-%s: input %s, f %s, logits %s, |logits| max %.3f"
              % (name, tuple(x.shape), tuple(f.shape), tuple(logits.shape), logits.abs().max()))


if __name__ == "__main__":
    main()
