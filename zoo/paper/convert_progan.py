"""Convert the paper's Progressive GAN generators (LSUN church, kitchen) from their released PyTorch
checkpoints to ONNX.

  /usr/bin/python3 zoo/paper/convert_progan.py \
      --checkpoint artifacts/paper/progan-church/proggan_churchoutdoor-7e701dd5.pth \
      --name gan_church --out artifacts/paper/models

  /usr/bin/python3 zoo/paper/convert_progan.py --stand-in --width-div 16 --name gan_church --out DIR

The generator (zoo/paper/SOURCES.md, section 4): a 512-d latent as a 1x1 map; layer1 is a 4x4
convolution with padding 3 (4x4 out), layer2 a 3x3 one, then pairs of layers, the first of each
pair after a nearest 2x upsampling: layer3-4 at 8x8, layer5-6 16x16, ... layer13-14 256x256. Every
layer: pixel norm of its input (eps 1e-8), [upsample], convolution without bias, the equalised
learning rate's scale sqrt(2) / sqrt(fan_in) plus a per-channel bias, LeakyReLU 0.2. The output
layer (the paper's "layer15", the code's output_256x256): pixel norm, 1x1 convolution to RGB, scale
1 / sqrt(fan_in) plus bias, no activation, in [-1, 1] nominally. The widths are read from the weights.

Keys: layerN.conv.weight, layerN.wscale.b (N = 1..14), output_256x256.conv.weight and .wscale.b; the
older layout (features.N.conv.weight, features.N.wscale.b, output.conv.weight, output.wscale.b), a
{"state_dict": ...} wrapper and "module." prefixes are accepted. Anything missing, left over or of
the wrong shape is an error listing it.

Writes OUT/NAME.onnx: input "z" (batch x 512, standard normal), output "image" (batch x 3 x 256 x
256, RGB in [0, 1] as the pipeline reads generators: (output + 1) / 2, unclamped as the paper leaves
it; the pipeline clamps when it makes bytes), the tensors layer1 ... layer14 (each layer's output after
its LeakyReLU, as the paper dissects them) and layer15 (the RGB layer's output before the mapping to
[0, 1]), all graph outputs; metadata "layers" (their names) and "latent". Also OUT/NAME.ref/ (for
zoo/train/check_ort.ts) and OUT/NAME.json.

--stand-in writes a seeded random checkpoint of the released layout (widths divided by
--width-div) and converts it like a download.
"""
import argparse
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
import common  # noqa: E402

LATENT = 512
LAYERS = 14
# The released generators' widths (SOURCES.md, section 4): 512 up to 16x16, then halving per pair.
WIDTHS = [512] * 6 + [256, 256, 128, 128, 64, 64, 32, 32]
OUTPUT = "output_256x256"


ConvertError = common.InputError


class PixelNorm(nn.Module):
    def forward(self, x):
        return x / torch.sqrt(torch.mean(x * x, dim=1, keepdim=True) + 1e-8)


class WScale(nn.Module):
    """The equalised learning rate: a fixed scale of the convolution's output, plus a bias b."""

    def __init__(self, cout, fan_in, gain):
        super().__init__()
        self.scale = gain / math.sqrt(fan_in)
        self.b = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        return x * self.scale + self.b.view(1, -1, 1, 1)


class Block(nn.Module):
    def __init__(self, cin, cout, kernel, padding, upsample, gain=math.sqrt(2), act=True):
        super().__init__()
        self.norm = PixelNorm()
        self.upsample = upsample
        self.conv = nn.Conv2d(cin, cout, kernel, 1, padding, bias=False)
        self.wscale = WScale(cout, cin * kernel * kernel, gain)
        self.act = nn.LeakyReLU(0.2) if act else nn.Identity()

    def forward(self, x):
        x = self.norm(x)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.act(self.wscale(self.conv(x)))


class ProGAN(nn.Module):
    """layer1 ... layer14 and the RGB layer, with widths `widths`; input z (batch x 512)."""

    def __init__(self, widths):
        super().__init__()
        blocks, cin = OrderedDict(), LATENT
        for i, cout in enumerate(widths, 1):
            kernel, padding = (4, 3) if i == 1 else (3, 1)
            blocks[f"layer{i}"] = Block(cin, cout, kernel, padding, upsample=i >= 3 and i % 2 == 1)
            cin = cout
        blocks[OUTPUT] = Block(cin, 3, 1, 0, upsample=False, gain=1.0, act=False)
        self.blocks = nn.Sequential(blocks)

    def forward(self, z):
        rgb = self.blocks(z[:, :, None, None])  # Unsqueeze: shapes stay known to ONNX inference
        return (rgb + 1) / 2


def released_keys(state, path):
    """The checkpoint's weights under layerN / output_256x256 names, from either released layout."""
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    out = OrderedDict()
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        parts = key.split(".")
        if parts[0] == "features" and len(parts) > 1 and parts[1].isdigit():
            # The older layout numbers the layers from 0.
            key = ".".join([f"layer{int(parts[1]) + 1}"] + parts[2:])
        elif parts[0] == "output":
            key = ".".join([OUTPUT] + parts[1:])
        out[key] = value
    return out


def read_checkpoint(path):
    """Weights under the released names (layerN.conv.weight, ...) and the widths they imply."""
    state = released_keys(torch.load(path, map_location="cpu"), path)
    widths = []
    for i in range(1, LAYERS + 1):
        w = state.get(f"layer{i}.conv.weight")
        if w is None or w.dim() != 4:
            raise ConvertError(f"{path} is not the released Progressive GAN state_dict: "
                               f"no layer{i}.conv.weight (keys: {', '.join(list(state)[:6])} ...)")
        widths.append(int(w.shape[0]))
    return state, widths


def write_stand_in(out, name, div, seed):
    """A seeded random checkpoint of the released layout and names, widths divided by `div`."""
    torch.manual_seed(seed)
    model = ProGAN([w // div for w in WIDTHS])
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight)  # the equalised learning rate keeps weights at unit scale
        if isinstance(m, WScale):
            nn.init.uniform_(m.b, -0.1, 0.1)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"stand-in-{name}-div{div}.pth")
    torch.save(OrderedDict((k.removeprefix("blocks."), v) for k, v in model.state_dict().items()), path)
    return path


def convert(checkpoint, name, out, stand_in=False, batch=2, seed=0):
    state, widths = read_checkpoint(checkpoint)
    model = ProGAN(widths)
    common.load_strict(model.blocks, state, checkpoint, "Progressive GAN")
    model.eval()
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, name)
    layers = {f"layer{i}": f"blocks.layer{i}" for i in range(1, LAYERS + 1)}
    layers["layer15"] = f"blocks.{OUTPUT}"
    meta = {"layers": list(layers), "latent": str(LATENT), "output": "image in [0, 1] = (layer15 + 1) / 2",
            "source": "stand-in (random weights)" if stand_in else os.path.basename(checkpoint)}
    example = torch.zeros(batch, LATENT)
    info = common.export_onnx(model, example, base + ".onnx", "z", ["image"], layers, meta)
    z = torch.randn(batch, LATENT, generator=torch.Generator().manual_seed(seed))
    image, acts = common.capture(model, z, layers)
    common.save_reference(base + ".ref", {"z": z}, {"image": image, **acts})
    common.write_json(base + ".json", {
        "checkpoint": os.path.basename(checkpoint), "checkpoint_sha256": common.sha256(checkpoint),
        "stand_in": stand_in, "widths": widths, "onnx": info,
    })
    return base + ".onnx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", help="a released .pth (proggan_churchoutdoor-7e701dd5.pth, ...)")
    ap.add_argument("--name", default="gan_church", help="the ONNX file's name (gan_church, gan_kitchen)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--stand-in", action="store_true", help="convert a seeded random stand-in instead")
    ap.add_argument("--width-div", type=int, default=1, help="a stand-in's widths divided by this")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.stand_in:
        checkpoint = write_stand_in(a.out, a.name, a.width_div, a.seed)
    elif not a.checkpoint:
        ap.error("--checkpoint is needed (or --stand-in)")
    else:
        checkpoint = a.checkpoint
    if not os.path.isfile(checkpoint):
        raise ConvertError(f"{checkpoint}: no such file (deno task fetch-paper --only progan-church)")
    path = convert(checkpoint, a.name, a.out, a.stand_in, seed=a.seed)
    print(f"wrote {path}; check it with: deno run -A zoo/train/check_ort.ts {path}")


if __name__ == "__main__":
    common.run(main, threads=2)
