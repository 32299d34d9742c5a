"""Convert the paper's reference segmenter, Unified Perceptual Parsing (ResNet-50 + UPerNet, Broden+,
epoch 40), from its released PyTorch checkpoints to an ONNX segmenter the pipeline reads.

  /usr/bin/python3 zoo/paper/convert_upernet.py --dir artifacts/paper/upernet \
      --out artifacts/paper/models

  /usr/bin/python3 zoo/paper/convert_upernet.py --stand-in [--width-div 8 --small-labels] --out DIR

--dir holds the released encoder_epoch_40.pth, decoder_epoch_40.pth and labels.json (--encoder,
--decoder and --labels name them one by one instead). See zoo/paper/SOURCES.md, section 5.

Architecture (the keys of the released files name every module):
- Encoder: a ResNet-50 with a deep stem: conv1 (3x3, 64, stride 2), conv2 (3x3, 64), conv3 (3x3,
  128), each with bn1..3 and a ReLU, a 3x3 max-pool of stride 2, then layer1..4 of [3, 4, 6, 3]
  Bottlenecks (1x1, 3x3 with the stride, 1x1; downsample.0/1 on each first block) with strides 1,
  2, 2, 2 and no dilation: feature maps at strides 4, 8, 16 and 32 (256, 512, 1024, 2048 channels).
- Decoder (FPN width 512): a pyramid pooling module on the stride-32 map (1, 2, 3 and 6 bins, each
  pooled map through ppm_conv.i (1x1 conv, BN, ReLU) and resized bilinearly back), concatenated
  with the map and fused by ppm_last_conv (3x3); the top-down path adds fpn_in.i (1x1 laterals)
  to the bilinearly upsampled coarser level and smooths it with fpn_out.i (3x3); conv_fusion (3x3)
  fuses all four levels at stride 4. object_head and part_head read the fused map, material_head
  the stride-4 level; each head is a 3x3 conv-BN-ReLU and a 1x1 classifier. scene_head's weights
  are loaded (they must be there) but no scene output is exported.
- Pyramid pooling: the paper's code pools with Precise RoI Pooling over the whole map (RoI from
  (0, 0) to (W, H), spatial scale 1), a CUDA-only op: the average over each bin of the map's
  bilinear interpolant, taking the map's values at integer coordinates and 0 outside it (so the
  first row and column weigh half in the 1-bin average: it is not adaptive average pooling). That
  integral is separable and linear in the map, so here it is computed exactly as two matrix
  products with weights from the hat function's antiderivative, which exports to ONNX at any
  input size. zoo/paper/convert_upernet_test.ts checks it against a line-by-line port of the CUDA
  kernel's loops; the CUDA op itself was not run (no GPU), so that it gives the same numbers is
  unconfirmed.

Loading: each file may be a bare state_dict, a {"state_dict": ...} wrapper, with or without
DataParallel's "module." prefixes. The paper's code loads both with strict=False, which lets a
mismatch pass silently; here every key must match by name and shape (BatchNorm's
num_batches_tracked, unused in evaluation, may be there or not): anything missing, unexpected or
misshapen is a one-line error listing it. The heads' class counts come from labels.json and must
equal the decoder's. A stand-in's narrower widths are read from conv1 and ppm_conv.0.

labels.json, as the paper's code reads it: "object" (index 0 "-", the background), "material"
(index 0 "-"), "scene", "part" (every part name) and "object_part" ({owner object: its part list,
first "-"}). The part head's channels are the owners' lists one after another, owners in ascending
object index (the order the decoder was trained with), so its width is the sum of their lengths.
(The paper's segmenter.py pairs the head's blocks with object_part in the file's key order; the two
agree when the keys come in ascending object order, as the label CSVs do; otherwise this script
says so and follows the decoder.)

Writes OUT/upp_resnet50_upernet.onnx:
- input "image": batch x 3 x H x W, H and W multiples of 32 (metadata "size_multiple"), RGB bytes
  minus the mean (122.7717, 115.9465, 102.9801): metadata "preprocess" = range [0, 255], that mean,
  std 1. The paper maps its [-1, 1] RGB to 0-255, flips it to BGR and subtracts the BGR mean
  (102.9801, 115.9465, 122.7717) with no std; the metadata's mean is that one in RGB order and the
  graph flips the channels to BGR first thing, as the pipeline's preprocessing has no channel
  order.
- "object" (batch x objects x H x W) and "material" (batch x materials x H x W): the heads' logits
  resized bilinearly (align_corners False) from stride 4 to the input's size, as the paper resizes
  them to its segmentation size before its softmax (whose argmax is the logits' argmax).
  Metadata "objects" and "materials": labels.json's lists, "-" at 0.
- "part" (batch x parts x H x W): the paper's rule that a part is kept only where the object head
  predicts its owner, as one flat output. Metadata "parts" = "-" then every part name of the
  owners' lists that is not also an object name (door, window, ... count as objects, as the paper
  counts them), each once, in the order the paper numbers them (owners in the file's key order,
  first appearance). At a pixel whose predicted object (the argmax of "object", first of equal
  maxima) owns parts, the scores are that owner's part probabilities (the softmax over its own
  list, of its resized logits) put on the flat channels, channel 0 taking the largest of its "-"
  and of its parts named like objects; at any other pixel channel 0 is 1 and the rest 0. So the
  per-pixel argmax is the owner's most probable part, or "-" when that is "-" or a part named like
  an object. (The paper's part plane holds the object's label for those: a building's "door"
  pixels count for the object door there. Here the pipeline's part plane has no object labels, so
  they are "-".) The graph resizes the part head's logits block by block and maps owners' blocks
  onto the flat channels some 128 channels at a time, so the whole part map never exists at the
  input's size.
- Metadata "model" = "segmenter", "source".
Also OUT/upp_resnet50_upernet.ref/ (reference batches at each of --ref-sizes for
zoo/train/check_ort.ts: the first size in the folder itself, the others in pxN/) and
OUT/upp_resnet50_upernet.json (what was converted, checksums, counts).

The paper resizes each image to 256 x 256 (adaptive average pooling) before the network and its
heads' outputs to a quarter of the image's size; here the model takes the size the pipeline feeds
and answers at that size.

--stand-in writes seeded random checkpoints with the released key names and shapes (widths divided
by --width-div) and a made-up labels.json of the released structure into
OUT/stand-in-upp-resnet50-upernet-divK/, then converts them like a download. Its label counts are
those SOURCES.md infers (336 objects with "-", 26 materials, 365 scenes, 77 owners whose lists
hold 427 entries, 112 flat part names; some part names shared by owners, some also object names);
--small-labels makes them small (20 objects, 6 materials, 5 scenes, 4 owners) for tests.
"""
import argparse
import json
import os
import random
import sys
import time
import warnings
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
import common  # noqa: E402

NAME = "upp_resnet50_upernet"
RELEASED = {"encoder": "encoder_epoch_40.pth", "decoder": "decoder_epoch_40.pth", "labels": "labels.json"}
BGR_MEAN = [102.9801, 115.9465, 122.7717]
PREPROCESS = {"mean": BGR_MEAN[::-1], "std": [1, 1, 1], "layout": "NCHW", "range": [0, 255]}
SIZE_MULTIPLE = 32
STEM = [64, 64, 128]
BLOCKS = [3, 4, 6, 3]
PLANES = [64, 128, 256, 512]
FPN = 512
BINS = (1, 2, 3, 6)
HEADS = ("object", "part", "material")
NONE = "-"
GROUP = 128  # part head channels per step of the part flattening
# Label counts SOURCES.md section 5 infers; SMALL for tests.
FULL_LABELS = {"objects": 336, "materials": 26, "scenes": 365, "owners": 77, "entries": 427, "parts": 112,
               "object_named": 33}
SMALL_LABELS = {"objects": 20, "materials": 6, "scenes": 5, "owners": 4, "entries": 18, "parts": 8,
                "object_named": 2}


ConvertError = common.InputError


# ---------------------------------------------------------------- labels


class Labels:
    """labels.json: the heads' lists and the part head's layout, and the flat part list."""

    def __init__(self, data, path):
        def names(key):
            v = data.get(key) if isinstance(data, dict) else None
            if not isinstance(v, list) or not v or not all(isinstance(n, str) for n in v):
                raise ConvertError(f"{path}: \"{key}\" must be a non-empty list of names")
            return v

        self.objects, self.materials = names("object"), names("material")
        self.scenes, part_names = names("scene"), set(names("part"))
        owners = data.get("object_part")
        if not isinstance(owners, dict) or not owners:
            raise ConvertError(f"{path}: \"object_part\" must map owner objects to their part lists")
        index = {n: i for i, n in enumerate(self.objects)}
        for owner, parts in owners.items():
            if owner not in index or index[owner] == 0:
                raise ConvertError(f"{path}: object_part owner {owner!r} is not an object")
            if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
                raise ConvertError(f"{path}: object_part[{owner!r}] must be a non-empty list of names")
            unknown = [p for p in parts if p not in part_names]
            if unknown:  # the paper's loader would fail on these too
                raise ConvertError(f"{path}: object_part[{owner!r}] names parts not in \"part\": {unknown[:5]}")
            if len(set(parts)) != len(parts):
                raise ConvertError(f"{path}: object_part[{owner!r}] lists a part twice")
        self.key_order = list(owners)
        # The decoder's layout: owners in ascending object index.
        self.owners = sorted(owners, key=index.get)
        self.owner_ids = [index[o] for o in self.owners]
        self.lists = [owners[o] for o in self.owners]
        objects = set(self.objects)
        # A part named like an object (or "-") reads as no part; the rest are numbered as the paper
        # numbers them: owners in the file's order, first appearance.
        self.parts = [NONE]
        for owner in self.key_order:
            for p in owners[owner]:
                if p != NONE and p not in objects and p not in self.parts:
                    self.parts.append(p)
        flat = {p: i for i, p in enumerate(self.parts)}
        self.flat = [[flat.get(p, 0) for p in parts] for parts in self.lists]
        self.part_width = sum(len(p) for p in self.lists)

    @classmethod
    def read(cls, path):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            raise ConvertError(f"{path}: not a readable JSON file ({e})")
        return cls(data, path)

    def counts(self):
        return {"object": len(self.objects), "part": self.part_width, "material": len(self.materials),
                "scene": len(self.scenes)}


MAX_BATCH = 4

# Objects the pipeline's claims ask a segmenter for by name (trees removed, doors inserted, the
# window and airplane units, the paint palette): a stand-in names its first objects so, so that a
# run on stand-ins reaches every stage. The rest of its names are made up.
CLAIM_OBJECTS = ["tree", "door", "window", "airplane", "building", "sky", "grass", "person", "car",
                 "road", "wall", "floor"]


def stand_in_labels(spec, seed):
    """A labels.json of the released structure with made-up names and the counts of `spec`."""
    rng = random.Random(seed)
    named = CLAIM_OBJECTS[:spec["objects"] - 1]
    objects = [NONE] + named + [f"object {i:03d}" for i in range(len(named) + 1, spec["objects"])]
    owner_ids = sorted(rng.sample(range(1, spec["objects"]), spec["owners"]))
    named = spec["entries"] - spec["owners"]
    # List lengths (after "-"): at least one part each, the rest spread at random.
    lengths = [1] * spec["owners"]
    for _ in range(named - spec["owners"]):
        lengths[rng.randrange(spec["owners"])] += 1
    part_pool = [f"part {i:03d}" for i in range(spec["parts"])]
    object_pool = rng.sample([o for i, o in enumerate(objects) if i and i not in owner_ids], spec["object_named"])
    pool = part_pool + object_pool
    if max(lengths) > len(pool):
        raise ValueError("stand-in label spec: a list longer than the names to fill it")
    # Every name at least once (so the flat list has spec["parts"] names), then random picks.
    slots = [(o, k) for o, n in enumerate(lengths) for k in range(n)]
    rng.shuffle(slots)
    lists = [[] for _ in lengths]
    todo = list(pool)
    for o, _ in slots:
        choices = [p for p in (todo or pool) if p not in lists[o]]
        if not choices:
            choices = [p for p in pool if p not in lists[o]]
        p = rng.choice(choices)
        lists[o].append(p)
        if p in todo:
            todo.remove(p)
    if todo:
        raise ValueError(f"stand-in label spec: names left unused: {todo[:3]}")
    used = [p for parts in lists for p in parts]
    return {
        "object": objects,
        "material": [NONE] + [f"material {i:02d}" for i in range(1, spec["materials"])],
        "scene": [f"scene {i:03d}" for i in range(spec["scenes"])],
        "part": [NONE] + list(OrderedDict.fromkeys(used)),
        "object_part": {objects[o]: [NONE] + parts for o, parts in zip(owner_ids, lists)},
    }


# ---------------------------------------------------------------- model


def conv_bn_relu(cin, cout, kernel):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, 1, kernel // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Encoder(nn.Module):
    """The deep-stem ResNet-50 under the released encoder's names; widths divided by `div`."""

    def __init__(self, div=1):
        super().__init__()
        stem = [w // div for w in STEM]
        cin = 3
        for i, w in enumerate(stem, 1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, w, 3, 2 if i == 1 else 1, 1, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(w))
            cin = w
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.widths = []
        for i, (n, planes, stride) in enumerate(zip(BLOCKS, PLANES, (1, 2, 2, 2)), 1):
            planes //= div
            blocks = []
            for b in range(n):
                blocks.append(Bottleneck(cin, planes, stride if b == 0 else 1))
                cin = planes * 4
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
            self.widths.append(cin)

    def forward(self, x):
        for i in (1, 2, 3):
            x = self.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        x = self.maxpool(x)
        maps = []
        for i in (1, 2, 3, 4):
            x = getattr(self, f"layer{i}")(x)
            maps.append(x)
        return maps


def _hat_integral(t):
    """The integral of the hat function max(0, 1 - |s|) from -inf to t."""
    t = t.clamp(-1.0, 1.0)  # constant beyond; small numbers keep float32 exact enough
    ramp = lambda u: 0.5 * F.relu(u) ** 2  # noqa: E731
    return ramp(t + 1) - 2 * ramp(t) + ramp(t - 1)


def precise_pool_weights(ones, bins):
    """[bins, n] weights of Precise RoI Pooling over a whole axis of length n (`ones`: n ones, so
    the length stays a tensor in an export): bin i averages, over [i n / bins, (i + 1) n / bins],
    the linear interpolant of values at 0 .. n - 1 (0 beyond), i.e. sums value y times the integral
    of the hat centred at y over the bin, over the bin's length."""
    pos = torch.cumsum(ones, 0) - 1
    width = ones.sum() / bins
    edges = torch.arange(bins + 1, dtype=ones.dtype) * width
    return (_hat_integral(edges[1:, None] - pos[None, :]) - _hat_integral(edges[:-1, None] - pos[None, :])) / width


class PrecisePool(nn.Module):
    """Precise RoI Pooling of the whole map into bins x bins, as the paper's PPM calls it."""

    def __init__(self, bins):
        super().__init__()
        self.bins = bins

    def forward(self, x):
        rows = precise_pool_weights(torch.ones_like(x[0, 0, :, 0]), self.bins)
        cols = precise_pool_weights(torch.ones_like(x[0, 0, 0, :]), self.bins)
        return torch.matmul(torch.matmul(rows, x), cols.transpose(0, 1))


class Decoder(nn.Module):
    """UPerNet under the released decoder's names; widths divided by `div`, class counts given."""

    def __init__(self, classes, div=1):
        super().__init__()
        top, fpn = 2048 // div, FPN // div
        inplanes = [256 // div, 512 // div, 1024 // div]
        self.ppm_pooling = [PrecisePool(b) for b in BINS]
        self.ppm_conv = nn.ModuleList(conv_bn_relu(top, fpn, 1) for _ in BINS)
        self.ppm_last_conv = conv_bn_relu(top + len(BINS) * fpn, fpn, 3)
        self.fpn_in = nn.ModuleList(conv_bn_relu(c, fpn, 1) for c in inplanes)
        self.fpn_out = nn.ModuleList(nn.Sequential(conv_bn_relu(fpn, fpn, 3)) for _ in inplanes)
        self.conv_fusion = conv_bn_relu(4 * fpn, fpn, 3)
        self.scene_head = nn.Sequential(conv_bn_relu(fpn, fpn, 3), nn.AdaptiveAvgPool2d(1),
                                        nn.Conv2d(fpn, classes["scene"], 1))
        for head in HEADS:
            setattr(self, f"{head}_head", nn.Sequential(conv_bn_relu(fpn, fpn, 3), nn.Conv2d(fpn, classes[head], 1)))

    def forward(self, maps):
        """Logits at stride 4: object, part, material."""
        top = maps[-1]
        size = top.shape[2:]
        pooled = [top] + [conv(F.interpolate(pool(top), size, mode="bilinear", align_corners=False))
                          for pool, conv in zip(self.ppm_pooling, self.ppm_conv)]
        f = self.ppm_last_conv(torch.cat(pooled, 1))
        levels = [f]
        for i in reversed(range(len(maps) - 1)):
            lateral = self.fpn_in[i](maps[i])
            f = lateral + F.interpolate(f, lateral.shape[2:], mode="bilinear", align_corners=False)
            levels.insert(0, self.fpn_out[i](f))
        size = levels[0].shape[2:]
        fused = self.conv_fusion(torch.cat(
            [levels[0]] + [F.interpolate(x, size, mode="bilinear", align_corners=False) for x in levels[1:]], 1))
        return self.object_head(fused), self.part_head(fused), self.material_head(levels[0])


class PartFlattener(nn.Module):
    """The part head's per-owner blocks as one flat score map (see the module docstring)."""

    def __init__(self, labels, group=GROUP):
        super().__init__()
        self.owner_ids = list(labels.owner_ids)
        self.blocks, start = [], 0
        for flat in labels.flat:
            self.blocks.append((start, start + len(flat)))
            start += len(flat)
        # Owners in groups of about `group` channels: a group's gated probabilities are mapped onto
        # the flat channels by one 1x1 convolution (few passes over the flat map, and never the
        # whole part map at full size).
        self.groups = []
        for k, flat in enumerate(labels.flat):
            if not self.groups or sum(len(labels.flat[i]) for i in self.groups[-1]) + len(flat) > group:
                self.groups.append([])
            self.groups[-1].append(k)
        self.has_none = []
        for g, owners in enumerate(self.groups):
            local = [f for k in owners for f in labels.flat[k]]
            weight = torch.zeros(len(labels.parts) - 1, len(local), 1, 1)
            for j, f in enumerate(local):
                if f:
                    weight[f - 1, j] = 1
            self.register_buffer(f"to_flat{g}", weight, persistent=False)
            # "-" and the parts named like objects: channel 0 takes the largest of them.
            none = [j for j, f in enumerate(local) if not f]
            self.has_none.append(bool(none))
            self.register_buffer(f"none{g}", torch.tensor(none, dtype=torch.long), persistent=False)
        owner = torch.zeros(len(labels.objects))
        owner[self.owner_ids] = 1
        self.register_buffer("is_owner", owner, persistent=False)

    def forward(self, object_logits, part_logits, size):
        """Flat part scores at `size` from object logits at `size` and part logits at any size."""
        winner = torch.argmax(object_logits, 1, keepdim=True)
        named, none = None, None
        for g, owners in enumerate(self.groups):
            gated = []
            for k in owners:
                a, b = self.blocks[k]
                # Resized per block (resizing is per channel), as the paper resizes each owner's.
                logits = F.interpolate(part_logits[:, a:b], size, mode="bilinear", align_corners=False)
                gated.append(torch.softmax(logits, 1) * (winner == self.owner_ids[k]).to(logits.dtype))
            probs = torch.cat(gated, 1)
            # Only the predicted owner's probabilities are not zero and it lists a part once, so each
            # flat channel gets one term: the sums are exact.
            part = F.conv2d(probs, getattr(self, f"to_flat{g}"))
            named = part if named is None else named + part
            if self.has_none[g]:
                top = torch.amax(torch.index_select(probs, 1, getattr(self, f"none{g}")), 1, keepdim=True)
                none = top if none is None else torch.maximum(none, top)
        free = 1 - self.is_owner[winner]  # 1 where the predicted object owns no parts
        return torch.cat([free if none is None else torch.maximum(none, free), named], 1)


class UPerNetSegmenter(nn.Module):
    """Image (RGB minus the RGB-order mean) -> object logits, flat part scores, material logits."""

    def __init__(self, labels, div=1):
        super().__init__()
        self.encoder = Encoder(div)
        self.decoder = Decoder(labels.counts(), div)
        self.flatten = PartFlattener(labels)

    def forward(self, image):
        x = image[:, [2, 1, 0]]  # the network reads BGR
        size = image.shape[2:]
        obj, part, material = self.decoder(self.encoder(x))
        up = lambda t: F.interpolate(t, size, mode="bilinear", align_corners=False)  # noqa: E731
        obj = up(obj)
        return obj, self.flatten(obj, part, size), up(material)


# ---------------------------------------------------------------- checkpoints


def _unwrap(state):
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        return None
    return OrderedDict((k[len("module."):] if k.startswith("module.") else k, v) for k, v in state.items())


def read_state(path, what, probe):
    """A checkpoint's weights (unwrapped, without "module."), and its width divisor from `probe`:
    (key, full-size output channels)."""
    try:
        state = _unwrap(torch.load(path, map_location="cpu"))
    except Exception as e:  # a truncated or foreign file
        raise ConvertError(f"{path}: not a PyTorch checkpoint ({type(e).__name__}: {e})")
    key, full = probe
    w = state.get(key) if state is not None else None
    if not torch.is_tensor(w) or w.dim() != 4 or full % w.shape[0]:
        raise ConvertError(f"{path} is not the released {what} state_dict: no {key} of {full} filters "
                           "(or a divisor of it, for a stand-in)")
    return state, full // w.shape[0]


def check_heads(state, labels, path, labels_path):
    """The decoder's classifier widths against labels.json's lists, one line naming a mismatch."""
    for head, count in labels.counts().items():
        key = f"{head}_head.{2 if head == 'scene' else 1}.weight"
        w = state.get(key)
        if torch.is_tensor(w) and w.dim() == 4 and w.shape[0] != count:
            what = "the sum of its object_part lists" if head == "part" else f"its {head} list"
            raise ConvertError(f"{path}: {key} has {w.shape[0]} classes but {labels_path} gives {count} "
                               f"({what})")


def load_model(paths):
    labels = Labels.read(paths["labels"])
    enc, div = read_state(paths["encoder"], "UPerNet encoder (ResNet-50)", ("conv1.weight", STEM[0]))
    dec, ddiv = read_state(paths["decoder"], "UPerNet decoder", ("ppm_conv.0.0.weight", FPN))
    if ddiv != div:
        raise ConvertError(f"{paths['decoder']}: widths divided by {ddiv}, but the encoder's by {div}")
    check_heads(dec, labels, paths["decoder"], paths["labels"])
    model = UPerNetSegmenter(labels, div)
    common.load_strict(model.encoder, enc, paths["encoder"], "UPerNet encoder (ResNet-50)")
    common.load_strict(model.decoder, dec, paths["decoder"], "UPerNet decoder")
    return model.eval(), labels, div


def write_stand_in(out, div, small, seed, claims_only=False):
    """Seeded random checkpoints and a labels.json in the released names, shapes and structure.
    With `claims_only` the object head can only predict "-" and the objects the claims ask for (its
    other classes' weights are zero), so that a pipeline run on stand-ins finds units for each."""
    torch.manual_seed(seed)
    data = stand_in_labels(SMALL_LABELS if small else FULL_LABELS, seed)
    labels = Labels(data, "stand-in labels")
    model = UPerNetSegmenter(labels, div)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.uniform_(m.bias, -0.1, 0.1)
        elif isinstance(m, nn.BatchNorm2d):
            # Random statistics exercise the folding; weights below 1 keep 16 residual blocks tame.
            nn.init.uniform_(m.weight, 0.8, 1.2)
            nn.init.uniform_(m.bias, -0.1, 0.1)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    if claims_only:
        # Random rows over ReLU features let a few classes win almost everywhere. Instead each
        # object the claims ask for reads one feature channel, those most often the largest on the
        # reference images, and wins where its channel leads; the other rows are zero.
        kept = 1 + sum(name in CLAIM_OBJECTS for name in data["object"])
        head = model.decoder.object_head
        features = []
        hook = head[0].register_forward_hook(lambda m, i, o: features.append(o))
        model.eval()
        with torch.no_grad():
            model(reference_input(2, 128, seed))
        hook.remove()
        wins = torch.bincount(features[0].argmax(dim=1).flatten(), minlength=features[0].shape[1])
        channels = wins.argsort(descending=True)[: kept - 1].tolist()
        with torch.no_grad():
            head[1].weight.zero_()
            head[1].bias.zero_()
            for k, c in enumerate(channels, 1):
                head[1].weight[k, c] = 1
    folder = os.path.join(out, f"stand-in-upp-resnet50-upernet-div{div}")
    os.makedirs(folder, exist_ok=True)
    torch.save(model.encoder.state_dict(), os.path.join(folder, RELEASED["encoder"]))
    torch.save(model.decoder.state_dict(), os.path.join(folder, RELEASED["decoder"]))
    common.write_json(os.path.join(folder, RELEASED["labels"]), data)
    return folder


# ---------------------------------------------------------------- export


def reference_input(batch, size, seed):
    """Seeded random images (smooth colour fields plus noise, as bytes), preprocessed as the metadata
    says (bytes minus the RGB-order mean): regions, unlike plain noise, give the heads regions too."""
    gen = torch.Generator().manual_seed(seed)
    low = torch.rand(batch, 3, max(1, size // 16), max(1, size // 16), generator=gen) * 255
    rgb = F.interpolate(low, (size, size), mode="bilinear", align_corners=False)
    rgb = (rgb + 8 * torch.randn(rgb.shape, generator=gen)).clamp(0, 255).round()
    return rgb - torch.tensor(PREPROCESS["mean"]).view(1, 3, 1, 1)


def fix_class_axes(path, classes, meta):
    """States each output's class count: a resize to a size read from the input leaves it unknown to
    ONNX shape inference, and the pipeline reads it from the graph."""
    import onnx
    proto = onnx.load(path)
    for out in proto.graph.output:
        dim = out.type.tensor_type.shape.dim[1]
        dim.Clear()
        dim.dim_value = classes[out.name]
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)
    return common.check_onnx(path, "image", list(HEADS), [], meta, spatial=True)


def convert(paths, out, stand_in=False, ref_sizes=(224,), seed=0):
    model, labels, div = load_model(paths)
    if labels.key_order != labels.owners:
        print(f"note: {paths['labels']}: object_part's keys are not in ascending object order; the part "
              "head is read in ascending order, as the decoder was trained (the paper's segmenter.py pairs "
              "its blocks with the keys in file order)", file=sys.stderr)
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, NAME)
    meta = {"model": "segmenter", "objects": labels.objects, "parts": labels.parts,
            "materials": labels.materials, "preprocess": PREPROCESS, "size_multiple": str(SIZE_MULTIPLE),
            # About 0.7 GB of activations an image at 224 px: the pipeline runs this many at once.
            "max_batch": str(MAX_BATCH),
            "source": "stand-in (random weights)" if stand_in else
            "Unified Perceptual Parsing, ResNet-50 + UPerNet, Broden+, epoch 40 (" +
            ", ".join(os.path.basename(paths[k]) for k in ("encoder", "decoder", "labels")) + ")"}
    started = time.time()
    example = reference_input(1, ref_sizes[0], seed)
    common.export_onnx(model, example, base + ".onnx", "image", list(HEADS), {}, meta, spatial=True)
    info = fix_class_axes(base + ".onnx", {"object": len(labels.objects), "part": len(labels.parts),
                                           "material": len(labels.materials)}, meta)
    exported = time.time() - started
    for k, size in enumerate(ref_sizes):
        x = reference_input(2 if k == 0 else 1, size, seed + k)
        with torch.no_grad():
            outs = model(x)
        common.save_reference(base + ".ref" if k == 0 else os.path.join(base + ".ref", f"px{size}"),
                              {"image": x}, dict(zip(HEADS, outs)))
    common.write_json(base + ".json", {
        "files": {k: {"file": os.path.basename(p), "sha256": common.sha256(p)} for k, p in paths.items()},
        "stand_in": stand_in, "width_div": div,
        "classes": {"object": len(labels.objects), "part_head": labels.part_width, "part": len(labels.parts),
                    "material": len(labels.materials), "scene": len(labels.scenes), "owners": len(labels.owners)},
        "pooling": "Precise RoI Pooling of the whole map, computed exactly by matrix products (unconfirmed "
                   "against the CUDA op)",
        "export_seconds": round(exported, 1), "onnx": info,
    })
    return base + ".onnx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", help="folder of the released encoder_epoch_40.pth, decoder_epoch_40.pth, labels.json")
    for k in RELEASED:
        ap.add_argument(f"--{k}", help=f"the released {RELEASED[k]} (default: in --dir)")
    ap.add_argument("--out", required=True, help="folder for the ONNX model and its reference")
    ap.add_argument("--stand-in", action="store_true", help="convert seeded random stand-ins instead")
    ap.add_argument("--width-div", type=int, default=1,
                    help="a stand-in's widths divided by this (1: full size); a checkpoint's are read from it")
    ap.add_argument("--small-labels", action="store_true", help="a stand-in with few classes, for tests")
    ap.add_argument("--claims-only", action="store_true",
                    help="a stand-in whose object head predicts only the objects the claims ask for")
    ap.add_argument("--ref-sizes", default="224", help="sides of the reference batches, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    try:
        sizes = [int(s) for s in a.ref_sizes.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(s <= 0 or s % SIZE_MULTIPLE for s in sizes):
        ap.error(f"--ref-sizes must be multiples of {SIZE_MULTIPLE}, got {a.ref_sizes}")
    if a.stand_in:
        if a.width_div < 1 or STEM[0] % a.width_div:
            ap.error(f"--width-div must divide {STEM[0]}")
        a.dir = write_stand_in(a.out, a.width_div, a.small_labels, a.seed, a.claims_only)
    paths = {k: getattr(a, k) or (a.dir and os.path.join(a.dir, name)) for k, name in RELEASED.items()}
    if not all(paths.values()):
        ap.error("--dir (or --encoder, --decoder and --labels) is needed, or --stand-in")
    for path in paths.values():
        if not os.path.isfile(path):
            raise ConvertError(f"{path}: no such file (the paper's segmenter: "
                               "https://dissect.csail.mit.edu/models/segmodel/upp-resnet50-upernet/)")
    path = convert(paths, a.out, a.stand_in, sizes, a.seed)
    print(f"wrote {path}; check it with: deno run -A zoo/train/check_ort.ts {path}")


if __name__ == "__main__":
    # The exporter's notice on every resize to a size read from a shape; the graph is checked after.
    warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")
    common.run(main, threads=2)
