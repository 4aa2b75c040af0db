#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a PyTorch image classifier to a model file mcam opens (dev time only).

Two ways in:

  torchvision name   resnet*, resnext*, wide_resnet*, densenet*, mobilenet_v2,
                     mobilenet_v3_*, efficientnet_b*, regnet_*, convnext_*, vgg*
                     (random weights from --seed, or --weights NAME where
                     torchvision can download them; the preprocessing keys then
                     come from the weights' own transforms())
  your own module    --module pkg.mod:Class [--module-args JSON]
                     --state-dict FILE.pth (a `module.`/`model.` prefix from
                     DataParallel or Lightning is stripped)

Class names come from --classes FILE (one per line), from the weights'
categories, or are left out (mcam then says it assumes "0".."n-1").

The ONNX file is fp32, opset --opset (13 by default; mcam reads 11-18), with
constant folding, a fixed H x W and a dynamic batch axis, one input "input"
and one output "logits"; the mcam.* keys go into the model's metadata_props
(docs/MODEL-FORMAT.md). --format safetensors writes mcam's safetensors dialect
instead (torchvision ResNet family only: resnet, resnext, wide_resnet).

After writing, the tool checks the file against PyTorch: ONNX's reference
evaluator if this onnx has one (onnx >= 1.13), and `mcam classify --json` on
a generated image when --check-with BUILD/src/cli/mcam is given.

Examples (from the source root):
  /usr/bin/python3 tools/export_model.py densenet121 -o densenet121.onnx --classes classes.txt
  /usr/bin/python3 tools/export_model.py --module mynet:Net --state-dict best.pth \\
      --input 224x224 --classes classes.txt -o mynet.onnx --check-with build/src/cli/mcam
"""
import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

TORCHVISION_NAMES = re.compile(
    r"^(resnet\d+|resnext\d+_\d+x\d+d|wide_resnet\d+_2|densenet\d+|mobilenet_v2|"
    r"mobilenet_v3_(large|small)|efficientnet_(b\d|v2_[sml])|regnet_[xy]_\w+|"
    r"convnext_(tiny|small|base|large)|vgg\d+(_bn)?)$")
RESNET_FAMILY = re.compile(r"^(resnet|resnext|wide_resnet)")


# ---------------------------------------------------------------------------
# building models

def randomise_statistics(model, seed):
    """Random BatchNorm statistics and affine parameters, LayerNorm affine
    parameters and ConvNeXt layer scales: a freshly initialised network has
    mean 0 / var 1 / gamma 1 / beta 0 everywhere, which would let a wrong BN
    fold or a missing LayerNorm affine pass unnoticed."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) * 0.5 + 0.75
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean = torch.randn(n, generator=gen) * 0.1
            m.running_var = torch.rand(n, generator=gen) * 0.5 + 0.75
        elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            n = m.weight.numel()
            m.weight.data = (torch.rand(n, generator=gen) * 0.5 + 0.75).view_as(m.weight)
            m.bias.data = (torch.randn(n, generator=gen) * 0.1).view_as(m.bias)
        # torchvision's CNBlock: layer_scale starts at 1e-6, which hides the block
        if hasattr(m, "layer_scale") and isinstance(m.layer_scale, nn.Parameter):
            n = m.layer_scale.numel()
            m.layer_scale.data = (torch.rand(n, generator=gen) * 0.3 + 0.2).view_as(m.layer_scale)
    return model


def torchvision_weights(name, weights):
    """The torchvision weights enum entry named WEIGHTS (e.g. IMAGENET1K_V1 or
    DEFAULT) for model NAME, or None."""
    if not weights:
        return None
    enum = torchvision.models.get_model_weights(name)
    if weights not in enum.__members__:
        raise SystemExit("export_model: %s has no weights %s (it has %s)"
                         % (name, weights, ", ".join(enum.__members__)))
    return enum[weights]


def build_torchvision(name, seed=0, weights=None, num_classes=None):
    """torchvision model NAME in eval mode: random (seeded, with random
    normalisation statistics) unless WEIGHTS names a weights entry."""
    if not TORCHVISION_NAMES.match(name):
        raise SystemExit("export_model: %s is not a torchvision classifier this tool knows "
                         "(resnet*, resnext*, wide_resnet*, densenet*, mobilenet_v2/v3, "
                         "efficientnet_b*, regnet_*, convnext_*, vgg*)" % name)
    w = torchvision_weights(name, weights)
    kwargs = {}
    if num_classes and not w:
        kwargs["num_classes"] = num_classes
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=w, **kwargs)
    if not w:
        randomise_statistics(model, seed + 1)
    return model.eval(), w


def strip_prefixes(state):
    """Drop a `module.` (DataParallel) or `model.` (Lightning) prefix shared
    by every key, repeatedly (module.model.x)."""
    changed = True
    while changed:
        changed = False
        for p in ("module.", "model."):
            if state and all(k.startswith(p) for k in state):
                print("export_model: note: stripped the %r prefix from every state_dict key" % p,
                      file=sys.stderr)
                state = {k[len(p):]: v for k, v in state.items()}
                changed = True
    return state


def load_state_dict(path):
    state = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if isinstance(state, nn.Module):
        state = state.state_dict()
    return strip_prefixes(dict(state))


def build_user_module(spec, args_json, state_dict):
    mod_name, _, cls_name = spec.partition(":")
    if not cls_name:
        raise SystemExit("export_model: --module wants pkg.mod:Class, got %s" % spec)
    sys.path.insert(0, os.getcwd())
    cls = getattr(importlib.import_module(mod_name), cls_name)
    kwargs = json.loads(args_json) if args_json else {}
    model = cls(**kwargs)
    if state_dict:
        missing, unexpected = model.load_state_dict(load_state_dict(state_dict), strict=False)
        if missing or unexpected:
            raise SystemExit("export_model: %s does not fit %s: missing %s, unexpected %s"
                             % (state_dict, spec, missing[:5], unexpected[:5]))
    return model.eval()


# ---------------------------------------------------------------------------
# metadata

def interpolation_name(mode):
    s = str(getattr(mode, "value", mode)).lower()
    return {"bilinear": "bilinear", "bicubic": "bicubic", "nearest": "nearest"}.get(s, s)


def metadata(classes, width, height, resize="center-crop", resize_size=None,
             interpolation="bilinear", mean=None, std=None, multilabel=False):
    """The mcam.* keys (docs/MODEL-FORMAT.md) as strings."""
    meta = {
        "mcam.format": "1",
        "mcam.input": "%dx%d" % (width, height),
        "mcam.resize": resize,
        "mcam.interpolation": interpolation,
        "mcam.mean": json.dumps(mean or IMAGENET_MEAN),
        "mcam.std": json.dumps(std or IMAGENET_STD),
        "mcam.multilabel": "true" if multilabel else "false",
    }
    if resize_size:
        meta["mcam.resize-size"] = str(resize_size)
    if classes:
        meta["mcam.classes"] = json.dumps(list(classes), ensure_ascii=False)
    return meta


def metadata_from_weights(w, classes=None):
    """Preprocessing as the weights' own transforms() do it."""
    t = w.transforms()
    crop = t.crop_size[0] if isinstance(t.crop_size, (list, tuple)) else t.crop_size
    rs = t.resize_size[0] if isinstance(t.resize_size, (list, tuple)) else t.resize_size
    return metadata(classes or w.meta.get("categories"), crop, crop, "center-crop", rs,
                    interpolation_name(t.interpolation), list(t.mean), list(t.std))


def read_classes(path):
    with open(path, encoding="utf-8") as f:
        names = [line.strip() for line in f]
    while names and not names[-1]:
        names.pop()
    return names


# ---------------------------------------------------------------------------
# writing

def export_onnx(model, path, width, height, meta, opset=13, extra_outputs=None):
    """Write MODEL as ONNX: input "input" [N,3,H,W] with a dynamic N, output
    "logits", constant folding, no functions; META into metadata_props.

    extra_outputs: a callable x -> (logits, *tensors) to export instead of
    the model (fixtures use it to learn the ONNX names of inner tensors)."""
    import onnx

    class Wrap(nn.Module):
        def __init__(self, inner, fn):
            super().__init__()
            self.inner = inner      # its weights stay parameters, not traced constants
            self.fn = fn

        def forward(self, x):
            return self.fn(x)

    net = model if extra_outputs is None else Wrap(model, extra_outputs).eval()
    x = torch.zeros(1, 3, height, width)
    n_extra = 0
    if extra_outputs is not None:
        with torch.no_grad():
            n_extra = len(extra_outputs(x)) - 1
    names = ["logits"] + ["extra%d" % i for i in range(n_extra)]
    axes = {"input": {0: "batch"}}
    for n in names:
        axes[n] = {0: "batch"}
    torch.onnx.export(net, x, path, input_names=["input"], output_names=names,
                      dynamic_axes=axes, opset_version=opset, do_constant_folding=True,
                      export_modules_as_functions=False)
    m = onnx.load(path)
    if meta:
        onnx.helper.set_model_props(m, meta)
    m.producer_name = "mcam tools/export_model.py (torch %s)" % torch.__version__
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return m


def export_safetensors(model, path, name, meta):
    """mcam's safetensors dialect: the torchvision state_dict plus mcam.arch
    (a torchvision name mcam knows) and the preprocessing keys."""
    if not RESNET_FAMILY.match(name):
        raise SystemExit("export_model: --format safetensors is for the ResNet family "
                         "(resnet*, resnext*, wide_resnet*); use ONNX for %s" % name)
    meta = dict(meta, **{"mcam.arch": name})
    st_io.save(path, model.state_dict(), meta)


# ---------------------------------------------------------------------------
# checking

def test_image(width, height, seed=3):
    """A smooth random RGB image (uint8 HxWx3): photo-like, so the logits
    are not dominated by 8-bit noise."""
    gen = torch.Generator().manual_seed(seed)
    small = torch.rand(1, 3, max(2, height // 8), max(2, width // 8), generator=gen)
    img = torch.nn.functional.interpolate(small, size=(height, width), mode="bilinear",
                                          align_corners=False)
    img = img + 0.08 * torch.rand(1, 3, height, width, generator=gen)
    return (img.clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def write_png(path, rgb):
    """PNG via GdkPixbuf if present, else a minimal zlib encoder."""
    import struct
    import zlib
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def normalise(rgb, mean, std):
    x = torch.from_numpy(rgb.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def max_rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def check_reference_evaluator(path, model, width, height):
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return None
    x = torch.randn(2, 3, height, width, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        want = model(x).numpy()
    got = ReferenceEvaluator(path).run(None, {"input": x.numpy()})[0]
    return max_rel(got, want)


def check_with_mcam(mcam, path, model, width, height, meta, fmt):
    """Run `mcam classify --json` on a W x H image through a copy of the file
    whose preprocessing is a plain stretch (no resampling: the check is about
    the network, not the resize) and compare with PyTorch on the same pixels."""
    import onnx
    rgb = test_image(width, height)
    mean = json.loads(meta["mcam.mean"])
    std = json.loads(meta["mcam.std"])
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "check.png")
        write_png(png, rgb)
        copy = os.path.join(tmp, "check." + ("onnx" if fmt == "onnx" else "safetensors"))
        stretch = dict(meta, **{"mcam.resize": "stretch"})
        stretch.pop("mcam.resize-size", None)
        if fmt == "onnx":
            m = onnx.load(path)
            del m.metadata_props[:]
            onnx.helper.set_model_props(m, stretch)
            onnx.save(m, copy)
        else:
            tensors, _ = st_io.load(path)
            st_io.save(copy, tensors, stretch)
        out = subprocess.run([mcam, "classify", "--model", copy, "--json", png],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit("export_model: %s classify failed: %s" % (mcam, out.stderr.strip()))
        got = np.array(json.loads(out.stdout)["images"][0]["logits"])
    with torch.no_grad():
        want = model(normalise(rgb, mean, std)).numpy()[0]
    return max_rel(got, want)


# ---------------------------------------------------------------------------

def parse_size(s):
    m = re.match(r"^(\d+)x(\d+)$", s or "")
    if not m:
        raise SystemExit("export_model: --input wants WIDTHxHEIGHT, got %s" % s)
    return int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("name", nargs="?", help="torchvision model name (or use --module)")
    ap.add_argument("-o", "--output", required=True, help="file to write (.onnx or .safetensors)")
    ap.add_argument("--format", choices=["onnx", "safetensors"],
                    help="default: from the output's extension, else onnx")
    ap.add_argument("--module", help="your nn.Module class, pkg.mod:Class (importable from here)")
    ap.add_argument("--module-args", help="JSON object of keyword arguments for the class")
    ap.add_argument("--state-dict", help="weights for --module (.pth/.pt, prefixes stripped)")
    ap.add_argument("--weights", help="torchvision weights (e.g. IMAGENET1K_V1, DEFAULT; "
                    "needs network access); default: random weights from --seed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--classes", help="class names, one per line")
    ap.add_argument("--num-classes", type=int, help="head size of a random torchvision model")
    ap.add_argument("--input", help="WIDTHxHEIGHT the network sees (default 224x224, or the "
                    "weights' crop size)")
    ap.add_argument("--resize", choices=["center-crop", "stretch"], default="center-crop")
    ap.add_argument("--resize-size", type=int,
                    help="shorter side before the centre crop, at least the input's larger "
                    "side (default: larger input side x 256/224)")
    ap.add_argument("--interpolation", default="bilinear",
                    choices=["bilinear", "bicubic", "nearest"])
    ap.add_argument("--mean", help="JSON array of 3 (default ImageNet)")
    ap.add_argument("--std", help="JSON array of 3 (default ImageNet)")
    ap.add_argument("--multilabel", action="store_true", help="sigmoid scores, not softmax")
    ap.add_argument("--opset", type=int, default=13, help="ONNX opset (13-17; mcam reads 11-18)")
    ap.add_argument("--check-with", metavar="MCAM", help="also compare `MCAM classify --json`")
    args = ap.parse_args()

    fmt = args.format or ("safetensors" if args.output.endswith(".safetensors") else "onnx")
    if not 11 <= args.opset <= 18:
        raise SystemExit("export_model: mcam reads opset 11-18")
    classes = read_classes(args.classes) if args.classes else None

    w = None
    if args.module:
        model = build_user_module(args.module, args.module_args, args.state_dict)
        name = args.module
    elif args.name:
        if args.state_dict:
            model, _ = build_torchvision(args.name, args.seed,
                                         num_classes=len(classes) if classes else args.num_classes)
            model.load_state_dict(load_state_dict(args.state_dict))
            model.eval()
        else:
            model, w = build_torchvision(args.name, args.seed, args.weights,
                                         len(classes) if classes and not args.weights
                                         else args.num_classes)
        name = args.name
    else:
        raise SystemExit("export_model: name a torchvision model or give --module")

    if w is not None and not args.input:
        meta = metadata_from_weights(w, classes)
        width, height = parse_size(meta["mcam.input"])
    else:
        width, height = parse_size(args.input or "224x224")
        # mcam's own default (docs/MODEL-FORMAT.md): from the larger side, so
        # that the crop always fits inside the resized image
        rs = args.resize_size or (round(max(width, height) * 256 / 224)
                                  if args.resize == "center-crop" else None)
        meta = metadata(classes or (w.meta.get("categories") if w else None), width, height,
                        args.resize, rs, args.interpolation,
                        json.loads(args.mean) if args.mean else None,
                        json.loads(args.std) if args.std else None, args.multilabel)

    with torch.no_grad():
        n_out = model(torch.zeros(1, 3, height, width)).shape
    if len(n_out) != 2:
        raise SystemExit("export_model: the model's output is %s; mcam wants logits [N, classes]"
                         % list(n_out))
    if classes and len(classes) != n_out[1]:
        raise SystemExit("export_model: %s has %d names but the model has %d outputs"
                         % (args.classes, len(classes), n_out[1]))

    if fmt == "onnx":
        export_onnx(model, args.output, width, height, meta, args.opset)
    else:
        export_safetensors(model, args.output, name, meta)
    print("export_model: wrote %s (%s, %s, input %dx%d, %d classes)"
          % (args.output, name, fmt, width, height, n_out[1]))

    checked = False
    if fmt == "onnx":
        err = check_reference_evaluator(args.output, model, width, height)
        if err is not None:
            checked = True
            print("export_model: ONNX reference evaluator vs PyTorch: max |diff| / max |logit| "
                  "= %.2e %s" % (err, "ok" if err <= 1e-4 else "TOO LARGE"))
            if err > 1e-4:
                sys.exit(1)
    if args.check_with:
        checked = True
        err = check_with_mcam(args.check_with, args.output, model, width, height, meta, fmt)
        print("export_model: mcam classify vs PyTorch: max |diff| / max |logit| = %.2e %s"
              % (err, "ok" if err <= 1e-4 else "TOO LARGE"))
        if err > 1e-4:
            sys.exit(1)
    if not checked:
        print("export_model: not checked (this onnx %s has no reference evaluator; "
              "give --check-with BUILD/src/cli/mcam)" % __import__("onnx").__version__,
              file=sys.stderr)


if __name__ == "__main__":
    main()
