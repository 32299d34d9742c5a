"""Make a fully convolutional ONNX model (such as zoo/models/segmenter.onnx, exported at a
fixed 64x64 before the training script exported dynamic sizes) accept any image size,
without its training checkpoint:

  /usr/bin/python3 zoo/train/dynamic_size.py zoo/models/segmenter.onnx OUT.onnx \\
      [--ref DIR --sizes 64,112,224]
  deno run -A zoo/train/check_ort.ts OUT.onnx DIR/px112/index.json     # for each size

The input's axes 2 and 3 become dim_params "height" and "width", and so do those of every
output at the input's resolution (other outputs' spatial axes become unknown); the stale
value_info is dropped and shapes are inferred again. Before that the graph is checked to hold
nothing that ties it to the old size: only ops that work at any size (convolutions, pools,
pointwise ops, Concat, Resize by constant `scales` and never by `sizes`), and no constant
operand with a spatial extent. The downsampling factor is followed through the graph: Concat
inputs must meet at the same factor, and the largest factor (the size the input's sides must
be a multiple of) is added as metadata "size_multiple". Weights, node order and every other
byte of the graph stay as they were, so outputs at the old size are unchanged.

With --ref, the converted graph is also run by a small PyTorch interpreter of those ops on
seeded images at each of --sizes, and the inputs and outputs are written as DIR/pxS/ in
check_ort.ts's format: onnxruntime must then agree with that independent computation.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

POINTWISE = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Identity", "Add", "Sub", "Mul", "Div"}
STRIDED = {"Conv", "MaxPool", "AveragePool"}
ALLOWED = POINTWISE | STRIDED | {"BatchNormalization", "Concat", "Resize", "Constant"}


def constants(g):
    import onnx
    from onnx import numpy_helper
    out = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            out[n.output[0]] = numpy_helper.to_array(onnx.helper.get_attribute_value(n.attribute[0]))
    return out


def attrs(n):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}


def check_size_free(g):
    """Refuse a graph whose computation depends on the input size; returns the
    largest downsampling factor reached (the sides must be multiples of it)."""
    const = constants(g)
    factor = {i.name: 1.0 for i in g.input}
    problems = []
    for n in g.node:
        where = f"{n.op_type} node {n.name or n.output[0]}"
        if n.op_type not in ALLOWED:
            problems.append(f"{where}: not an op known to work at any input size")
            continue
        if n.op_type == "Constant":
            continue
        ins = [x for x in n.input if x and x not in const]
        f = [factor[x] for x in ins if x in factor]
        if n.op_type in POINTWISE:
            for x in n.input:
                if x in const and const[x].ndim >= 3 and any(d > 1 for d in const[x].shape[-2:]):
                    problems.append(f"{where}: constant operand {x} of shape {list(const[x].shape)} has a spatial extent")
        if n.op_type == "Concat" and len(set(f)) > 1:
            problems.append(f"{where}: joins tensors at different resolutions (factors {f})")
        out = f[0] if f else 1.0
        if n.op_type in STRIDED:
            strides = attrs(n).get("strides", [1, 1])
            if len(set(strides)) > 1:
                problems.append(f"{where}: unequal strides {strides}")
            out *= strides[0]
        if n.op_type == "Resize":
            sizes = n.input[3] if len(n.input) > 3 else ""
            scales = n.input[2] if len(n.input) > 2 else ""
            if sizes:
                problems.append(f"{where}: resizes to fixed sizes ({sizes}), not by scales")
            elif scales not in const:
                problems.append(f"{where}: its scales are computed, not constant")
            else:
                s = const[scales]
                if len(s) != 4 or s[0] != 1 or s[1] != 1 or s[2] != s[3]:
                    problems.append(f"{where}: scales {list(s)} are not (1, 1, s, s)")
                else:
                    out /= float(s[2])
        for o in n.output:
            factor[o] = out
    if problems:
        raise SystemExit("the graph depends on its input size:\n  " + "\n  ".join(problems))
    top = max(factor.values())
    return int(2 ** math.ceil(math.log2(top))) if top > 1 else 1


def make_dynamic(proto):
    import onnx
    g = proto.graph
    if len(g.input) != 1:
        raise SystemExit(f"expected one graph input, got {[i.name for i in g.input]}")
    dims = g.input[0].type.tensor_type.shape.dim
    if len(dims) != 4:
        raise SystemExit(f"input {g.input[0].name}: rank {len(dims)}, expected NCHW")
    old = [d.dim_value for d in dims[2:]]
    multiple = check_size_free(g)
    for vi in [g.input[0]] + list(g.output):
        d = vi.type.tensor_type.shape.dim
        if len(d) != 4:
            continue
        same = [x.dim_value for x in d[2:]] == old
        for k, name in ((2, "height"), (3, "width")):
            d[k].Clear()
            if same:
                d[k].dim_param = name
    del g.value_info[:]
    proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    props = {p.key: p for p in proto.metadata_props}
    if "size_multiple" in props:
        props["size_multiple"].value = json.dumps(multiple)
    else:
        e = proto.metadata_props.add()
        e.key, e.value = "size_multiple", json.dumps(multiple)
    onnx.checker.check_model(proto, full_check=True)
    return proto, old, multiple


def run_torch(g, feeds):
    """The graph's outputs computed by PyTorch, op by op (the ops of ALLOWED)."""
    import torch
    import torch.nn.functional as F
    env = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in constants(g).items()}
    env.update(feeds)
    for n in g.node:
        if n.op_type == "Constant":
            continue
        at, x = attrs(n), [env[i] if i else None for i in n.input]
        op = n.op_type
        if op in ("Conv", "MaxPool", "AveragePool"):
            pads = list(at.get("pads", [0, 0, 0, 0]))
            if pads[:2] != pads[2:] or at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise SystemExit(f"{n.name}: asymmetric or automatic padding is not interpreted here")
        if op == "Conv":
            y = F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=at.get("strides", [1, 1]),
                         padding=pads[:2], dilation=at.get("dilations", [1, 1]), groups=at.get("group", 1))
        elif op == "MaxPool":
            y = F.max_pool2d(x[0], at["kernel_shape"], at.get("strides", [1, 1]), pads[:2],
                             ceil_mode=bool(at.get("ceil_mode", 0)))
        elif op == "AveragePool":
            y = F.avg_pool2d(x[0], at["kernel_shape"], at.get("strides", [1, 1]), pads[:2],
                             ceil_mode=bool(at.get("ceil_mode", 0)),
                             count_include_pad=bool(at.get("count_include_pad", 0)))
        elif op == "Resize":
            mode = (at.get("mode", b"nearest"), at.get("coordinate_transformation_mode", b"half_pixel"),
                    at.get("nearest_mode", b"round_prefer_floor"))
            if mode != (b"nearest", b"asymmetric", b"floor"):
                raise SystemExit(f"{n.name}: Resize {mode} is not interpreted here (torch's nearest only)")
            s = x[2].tolist()
            y = F.interpolate(x[0], scale_factor=(s[2], s[3]), mode="nearest")
        elif op == "BatchNormalization":
            y = F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, at.get("epsilon", 1e-5))
        elif op == "Concat":
            y = torch.cat(x, at["axis"])
        elif op == "Relu":
            y = F.relu(x[0])
        elif op == "LeakyRelu":
            y = F.leaky_relu(x[0], at.get("alpha", 0.01))
        elif op == "Sigmoid":
            y = torch.sigmoid(x[0])
        elif op == "Tanh":
            y = torch.tanh(x[0])
        elif op == "Identity":
            y = x[0]
        else:
            y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](x[0], x[1])
        env[n.output[0]] = y
    return {o.name: env[o.name] for o in g.output}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="ONNX model with a fixed-size NCHW input")
    ap.add_argument("out", help="where to write the converted model")
    ap.add_argument("--ref", help="write reference batches (torch-interpreted) under REF/pxS/")
    ap.add_argument("--sizes", default="64,112,224", help="image sides of the reference batches")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    import onnx
    import torch
    proto, old, multiple = make_dynamic(onnx.load(a.model))
    onnx.save(proto, a.out)
    g = proto.graph
    print(f"{a.out}: input {g.input[0].name} was {old[0]}x{old[1]}, now any height and width "
          f"(multiples of {multiple}); sha256 {common.sha256(a.out)}")
    if not a.ref:
        return
    torch.set_num_threads(1)
    props = {p.key: p.value for p in proto.metadata_props}
    pre = json.loads(props.get("preprocess", json.dumps(common.PREPROCESS)))
    mean = torch.tensor(pre["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(pre["std"]).view(1, 3, 1, 1)
    gen = torch.Generator().manual_seed(a.seed)
    for side in [int(v) for v in a.sizes.split(",")]:
        if side % multiple:
            raise SystemExit(f"--sizes: {side} is not a multiple of {multiple}")
        n = 2 if side <= 128 else 1
        # smooth random images: noise at 1/8 resolution, upsampled
        rgb = torch.rand(n, 3, side // 8, side // 8, generator=gen)
        rgb = torch.nn.functional.interpolate(rgb, size=(side, side), mode="bilinear", align_corners=False)
        x = (rgb - mean) / std
        with torch.no_grad():
            outs = run_torch(g, {g.input[0].name: x})
        ref = os.path.join(a.ref, f"px{side}")
        common.save_reference(ref, {g.input[0].name: x}, outs)
        print(f"  {ref}/index.json: {n} image(s) at {side}x{side}, outputs "
              + ", ".join(f"{k} {list(v.shape)}" for k, v in outs.items()))


if __name__ == "__main__":
    main()
