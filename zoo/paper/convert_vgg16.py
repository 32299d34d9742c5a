"""Convert the paper's VGG-16 (Places365) from its released PyTorch checkpoint to ONNX.

  /usr/bin/python3 zoo/paper/convert_vgg16.py \
      --checkpoint artifacts/paper/vgg16-places365/vgg16_places365-0bafbc55.pth \
      --labels artifacts/paper/places365-val/categories_places365.txt --out artifacts/paper/models

  /usr/bin/python3 zoo/paper/convert_vgg16.py --stand-in --width-div 16 --out DIR

The checkpoint is a state_dict of torchvision's vgg16(num_classes=365) with its modules renamed to
the research names (features.conv1_1 ... features.conv5_3, classifier.fc6, fc7, fc8a: see
zoo/paper/SOURCES.md, section 3); torchvision's own indices (features.0, classifier.6, ...), a
{"state_dict": ...} wrapper and DataParallel's "module." prefix are accepted too. Every key and shape
must match: anything missing or left over is an error listing it. (A stand-in's narrower widths are
read from its conv1_1.)

Writes OUT/vgg16_places365.onnx: input "image" (batch x 3 x 224 x 224, RGB in [0, 1] normalised with
the ImageNet mean and std, as the paper's code feeds it), output "logits" (batch x 365), and the
tensors conv1_1 ... conv5_3, each conv layer's output after its ReLU (the paper's hook keeps the
conv module's output, which torchvision's in-place ReLU then overwrites), and fc6 and fc7 after
theirs, also graph outputs. The
metadata carries "labels" (the 365 class names, by default as the paper's places_val.zip names its
class folders: "/h/hangar/indoor" is "hangar-indoor", so a folder of that zip is labelled by name;
--label-form category keeps categories_places365.txt's form) and "preprocess". Also
OUT/vgg16_places365.ref/ (a reference batch that zoo/train/check_ort.ts replays through
onnxruntime-node) and OUT/vgg16_places365.json (what was converted, checksums).

--stand-in writes, instead of reading a download, a checkpoint of the released format's key names
and shapes with seeded random weights (widths divided by --width-div, so a test stays small), and a
categories file of 365 made-up names, then converts them like a download: the recipe (load, export,
verify) runs here without the real weights.
"""
import argparse
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
import common  # noqa: E402

CONVS = ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2", "conv3_1", "conv3_2",
         "conv3_3", "pool3", "conv4_1", "conv4_2", "conv4_3", "pool4", "conv5_1", "conv5_2",
         "conv5_3", "pool5"]
WIDTHS = {"conv1": 64, "conv2": 128, "conv3": 256, "conv4": 512, "conv5": 512}
FC = 4096
CLASSES = 365
SIZE = 224
PREPROCESS = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "layout": "NCHW",
              "range": [0, 1]}
# torchvision's module indices of the research names (SOURCES.md, section 3).
TORCHVISION = {
    **{f"features.{i}": f"features.{n}" for i, n in zip(
        [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28], [c for c in CONVS if c.startswith("conv")])},
    "classifier.0": "classifier.fc6", "classifier.3": "classifier.fc7", "classifier.6": "classifier.fc8a",
}


class PlacesVGG16(nn.Module):
    """torchvision's VGG-16 with the research names; widths divided by `div` for stand-ins."""

    def __init__(self, div=1, classes=CLASSES):
        super().__init__()
        layers, cin = OrderedDict(), 3
        for name in CONVS:
            if name.startswith("pool"):
                layers[name] = nn.MaxPool2d(2, 2)
                continue
            cout = WIDTHS[name[:5]] // div
            layers[name] = nn.Conv2d(cin, cout, 3, padding=1)
            layers["relu" + name[4:]] = nn.ReLU(inplace=True)
            cin = cout
        self.features = nn.Sequential(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        fc = FC // div
        self.classifier = nn.Sequential(OrderedDict([
            ("fc6", nn.Linear(cin * 49, fc)), ("relu6", nn.ReLU(inplace=True)), ("drop6", nn.Dropout()),
            ("fc7", nn.Linear(fc, fc)), ("relu7", nn.ReLU(inplace=True)), ("drop7", nn.Dropout()),
            ("fc8a", nn.Linear(fc, classes)),
        ]))

    def forward(self, image):
        x = self.avgpool(self.features(image))
        return self.classifier(torch.flatten(x, 1))


ConvertError = common.InputError


def research_keys(state):
    """The checkpoint's weights under the research names, whichever naming it was saved with."""
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    out = OrderedDict()
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        module, _, param = key.rpartition(".")
        out[f"{TORCHVISION.get(module, module)}.{param}"] = value
    return out


def read_checkpoint(path):
    """The checkpoint's weights under the research names, and its width divisor (1: VGG-16's own)."""
    state = research_keys(torch.load(path, map_location="cpu"))
    first = state.get("features.conv1_1.weight")
    if first is None or first.dim() != 4 or WIDTHS["conv1"] % first.shape[0]:
        raise ConvertError(f"{path} is not the released VGG-16 (Places365) state_dict: "
                           "no features.conv1_1.weight of 64 filters (or a divisor of 64, for a stand-in)")
    return state, WIDTHS["conv1"] // first.shape[0]


def folder_name(category):
    """The paper's data set's folder for a category: "/h/hangar/indoor" is "hangar-indoor"."""
    return "-".join(category.split("/")[2:])


def read_labels(path):
    """Class names from categories_places365.txt ("/a/abbey 0" lines), in index order."""
    names = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise ConvertError(f"{path}, line {n}: expected \"name index\", got {line.strip()!r}")
            names[int(parts[1])] = parts[0]
    if sorted(names) != list(range(len(names))):
        raise ConvertError(f"{path}: class indices are not 0..{len(names) - 1}")
    return [names[i] for i in range(len(names))]


def write_stand_in(out, div, seed):
    """A seeded random checkpoint in the released format's names and shapes, and a categories file."""
    torch.manual_seed(seed)
    model = PlacesVGG16(div)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.uniform_(m.bias, -0.1, 0.1)
    os.makedirs(out, exist_ok=True)
    checkpoint = os.path.join(out, f"stand-in-vgg16_places365-div{div}.pth")
    torch.save(model.state_dict(), checkpoint)
    labels = os.path.join(out, "stand-in-categories_places365.txt")
    with open(labels, "w") as f:
        for i in range(CLASSES):
            f.write(f"/{chr(97 + i % 26)}/stand_in_class_{i:03d} {i}\n")
    return checkpoint, labels


def convert(checkpoint, labels_path, out, stand_in=False, batch=2, seed=0, label_form="folder"):
    labels = read_labels(labels_path)
    if label_form == "folder":
        labels = [folder_name(c) for c in labels]
    if len(labels) != CLASSES:
        raise ConvertError(f"{labels_path}: {len(labels)} classes, the model has {CLASSES}")
    state, div = read_checkpoint(checkpoint)
    model = PlacesVGG16(div)
    common.load_strict(model, state, checkpoint, "VGG-16 (Places365)")
    model.eval()
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, "vgg16_places365")
    example = torch.zeros(batch, 3, SIZE, SIZE)
    layers = {c: f"features.relu{c[4:]}" for c in CONVS if c.startswith("conv")}
    # fc6 and fc7 after their ReLUs, as the zoo's classifier names them (gan.featureLayer reads fc7).
    layers.update(fc6="classifier.relu6", fc7="classifier.relu7")
    meta = {"labels": labels, "preprocess": PREPROCESS,
            "source": "stand-in (random weights)" if stand_in else os.path.basename(checkpoint)}
    info = common.export_onnx(model, example, base + ".onnx", "image", ["logits"], layers, meta)
    # A fixed, non-trivial input: normalised pixels of a seeded random image.
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.rand(batch, 3, SIZE, SIZE, generator=gen)
    mean = torch.tensor(PREPROCESS["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(PREPROCESS["std"]).view(1, 3, 1, 1)
    x = (pixels - mean) / std
    logits, acts = common.capture(model, x, layers)
    common.save_reference(base + ".ref", {"image": x}, {"logits": logits, **acts})
    common.write_json(base + ".json", {
        "checkpoint": os.path.basename(checkpoint), "checkpoint_sha256": common.sha256(checkpoint),
        "labels": os.path.basename(labels_path), "stand_in": stand_in, "width_div": div,
        "onnx": info,
    })
    return base + ".onnx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", help="the released .pth (vgg16_places365-0bafbc55.pth)")
    ap.add_argument("--labels", help="categories_places365.txt")
    ap.add_argument("--out", required=True, help="folder for the ONNX model and its reference")
    ap.add_argument("--stand-in", action="store_true", help="convert a seeded random stand-in instead")
    ap.add_argument("--width-div", type=int, default=1,
                    help="a stand-in's widths divided by this (1: full size); a checkpoint's are read from it")
    ap.add_argument("--label-form", choices=["folder", "category"], default="folder",
                    help='class names as the paper\'s places_val.zip folders ("hangar-indoor", the '
                         'default) or as categories_places365.txt writes them ("/h/hangar/indoor")')
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.stand_in:
        checkpoint, labels = write_stand_in(a.out, a.width_div, a.seed)
    elif not a.checkpoint or not a.labels:
        ap.error("--checkpoint and --labels are needed (or --stand-in)")
    else:
        checkpoint, labels = a.checkpoint, a.labels
    for path in (checkpoint, labels):
        if not os.path.isfile(path):
            raise ConvertError(f"{path}: no such file (deno task fetch-paper --only vgg16-places365 places365-val)")
    path = convert(checkpoint, labels, a.out, a.stand_in, seed=a.seed, label_form=a.label_form)
    print(f"wrote {path}; check it with: deno run -A zoo/train/check_ort.ts {path}")


if __name__ == "__main__":
    common.run(main, threads=2)
