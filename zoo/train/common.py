"""Shared helpers of the zoo training scripts: split loading, seeding, progress,
ONNX post-processing (tensor names, metadata, checks), PNG writing, JSON.

Only numpy, torch and onnx are needed (the Debian packages python3-torch and
python3-onnx); run everything with /usr/bin/python3.
"""
import hashlib
import json
import os
import random
import struct
import sys
import time
import zlib

import numpy as np

SPLIT_FORMAT = "dissect-world-split/1"
MASKS = ("object", "part", "material", "halfbox")

# Fixed input normalization of the classifier and the segmenter: the model
# input is (rgb / 255 - MEAN) / STD, float32 NCHW. Stored in every card and in
# the ONNX metadata_props under "preprocess".
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
PREPROCESS = {"mean": MEAN, "std": STD, "layout": "NCHW", "range": [0, 1]}


class SplitError(Exception):
    pass


class InputError(Exception):
    """A script's input is not what it must be (a checkpoint's keys, a label file): one line."""


def load_strict(module, state, path, what):
    """Loads `state` into `module`, every key by name and shape (BatchNorm's num_batches_tracked,
    unused in evaluation, may be absent): anything missing, unexpected or misshapen is an InputError
    listing it, "PATH is not the released WHAT state_dict: ..."."""
    optional = lambda k: k.endswith(".num_batches_tracked")  # noqa: E731
    own = module.state_dict()
    missing = [k for k in own if k not in state and not optional(k)]
    extra = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} (expected {tuple(own[k].shape)})"
              for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or extra or shapes:
        short = lambda ks: ", ".join(ks[:6]) + (f" and {len(ks) - 6} more" if len(ks) > 6 else "")  # noqa: E731
        raise InputError(f"{path} is not the released {what} state_dict: " + "; ".join(filter(None, [
            missing and f"missing {short(missing)}", extra and f"unexpected {short(extra)}",
            shapes and f"shapes {', '.join(shapes[:4])}"])))
    module.load_state_dict(state, strict=False)


def run(main, threads=None):
    """Run a script's main(); a bad split or input ends it with one clear line, not a traceback.
    With `threads`, torch computes on that many (at most the machine's cores)."""
    if threads:
        import torch
        torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
    try:
        main()
    except (SplitError, InputError) as e:
        raise SystemExit(f"error: {e}")


class Split:
    """A split written by world/export.ts, read through numpy.memmap."""

    def __init__(self, path, need=("images", "labels")):
        self.path = path
        meta_path = os.path.join(path, "meta.json")
        if not os.path.isdir(path):
            raise SplitError(f"{path}: no such directory")
        if not os.path.isfile(meta_path):
            raise SplitError(
                f"{path}: no meta.json, so the split is missing or half-written "
                "(the exporter writes meta.json last); re-run world/export.ts")
        with open(meta_path) as f:
            self.meta = json.load(f)
        m = self.meta
        if m.get("format") != SPLIT_FORMAT:
            raise SplitError(f"{meta_path}: format {m.get('format')!r}, expected {SPLIT_FORMAT!r}")
        self.count, self.height, self.width = int(m["count"]), int(m["height"]), int(m["width"])
        self.labels = list(m.get("labels", []))
        self.objects = list(m.get("objects", []))
        self.parts = list(m.get("parts", []))
        self.materials = list(m.get("materials", []))
        self.colors = list(m.get("colors", []))
        n, h, w = self.count, self.height, self.width
        sizes = {"images": n * h * w * 3, "labels": n, **{k: n * h * w for k in MASKS}}
        self.arrays = {}
        for name in need:
            file = os.path.join(path, f"{name}.u8")
            wide = os.path.join(path, f"{name}.u16")
            if not os.path.isfile(file) and os.path.isfile(wide):
                raise SplitError(f"{wide}: 16-bit {name} (more than 256 classes); "
                                 "the training scripts read byte labels only")
            if not os.path.isfile(file):
                raise SplitError(f"{file}: missing")
            got = os.path.getsize(file)
            if got != sizes[name]:
                raise SplitError(f"{file}: {got} bytes, meta.json implies {sizes[name]}")
            shape = {"images": (n, h, w, 3), "labels": (n,)}.get(name, (n, h, w))
            self.arrays[name] = np.memmap(file, dtype=np.uint8, mode="r", shape=shape)
        self._check_ranges()

    def _check_ranges(self):
        limits = {"labels": len(self.labels), "object": len(self.objects),
                  "part": len(self.parts), "material": len(self.materials)}
        for name, limit in limits.items():
            if name not in self.arrays:
                continue
            arr = self.arrays[name]
            sample = arr if arr.ndim == 1 else arr[:: max(1, len(arr) // 64)]
            top = int(np.max(sample)) if sample.size else 0
            if top >= limit:
                raise SplitError(f"{self.path}: {name} value {top} but only {limit} names in meta.json")

    def __len__(self):
        return self.count

    def __getitem__(self, name):
        return self.arrays[name]

    def take(self, name, idx):
        """Rows idx (any order) of one array, as a fresh numpy array."""
        idx = np.asarray(idx)
        order = np.argsort(idx)
        out = np.empty((len(idx),) + self.arrays[name].shape[1:], np.uint8)
        out[order] = self.arrays[name][idx[order]]
        return out

    def describe(self):
        m = self.meta
        return {"path": self.path, "split": m.get("split"), "count": self.count,
                "seed": m.get("seed"), "height": self.height, "width": self.width}


class Subset:
    """A view of some rows of a Split (e.g. a held-out part)."""

    def __init__(self, split, idx):
        self.split, self.idx = split, np.asarray(idx)
        for name in ("labels", "objects", "parts", "materials", "height", "width"):
            setattr(self, name, getattr(split, name, None))

    def __len__(self):
        return len(self.idx)

    def take(self, name, idx):
        return self.split.take(name, self.idx[np.asarray(idx)])


class Concat:
    """Several splits with the same vocabulary and image size, end to end."""

    def __init__(self, splits):
        first = splits[0]
        for s in splits[1:]:
            if (s.objects, s.parts, s.materials, s.height, s.width) != \
                    (first.objects, first.parts, first.materials, first.height, first.width):
                raise SplitError(f"{s.path}: vocabulary or image size differs from {first.path}")
        self.splits = splits
        self.objects, self.parts, self.materials = first.objects, first.parts, first.materials
        self.height, self.width = first.height, first.width
        self.starts = np.cumsum([0] + [len(s) for s in splits])

    def __len__(self):
        return int(self.starts[-1])

    def take(self, name, idx):
        idx = np.asarray(idx)
        which = np.searchsorted(self.starts, idx, side="right") - 1
        out = None
        for k, s in enumerate(self.splits):
            sel = np.nonzero(which == k)[0]
            if len(sel):
                part = s.take(name, idx[sel] - self.starts[k])
                if out is None:
                    out = np.empty((len(idx),) + part.shape[1:], np.uint8)
                out[sel] = part
        return out


def augment(x, pad, gen):
    """Random horizontal flip, then a random crop after reflect-padding by
    `pad` pixels; one draw per image, applied to all channels alike (so masks
    stacked as extra channels stay aligned)."""
    import torch
    import torch.nn.functional as F
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1).to(x.device), x.flip(3), x)
    if pad > 0:
        xp = F.pad(x, (pad, pad, pad, pad), mode="reflect")
        dy, dx = torch.randint(0, 2 * pad + 1, (2, n), generator=gen).tolist()
        x = torch.stack([xp[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    return x


def seed_everything(seed, threads):
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # denormals (e.g. in Adam's moments) can slow CPU steps 10x
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def to_input(images_u8, device):
    """uint8 NHWC -> normalized float32 NCHW tensor (the models' input)."""
    import torch
    x = torch.from_numpy(images_u8).to(device).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    return (x - mean) / std


def fmt_time(s):
    s = int(max(0, s))
    return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class Progress:
    """Prints a line at most every `every` seconds: done/total, rate and ETA."""

    def __init__(self, total, unit, every=10.0):
        self.total, self.unit, self.every = total, unit, every
        self.start = self.last = time.time()
        self.done = 0

    def step(self, n, extra="", force=False):
        self.done += n
        now = time.time()
        if force or now - self.last >= self.every or self.done >= self.total:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / max(rate, 1e-9)
            print(f"  {self.done}/{self.total} {self.unit}  {rate:.1f} {self.unit}/s  "
                  f"elapsed {fmt_time(now - self.start)}  ETA {fmt_time(eta)}  {extra}", flush=True)


def confusion_iou(conf):
    """Per-class IoU from a confusion matrix (rows truth, cols prediction);
    NaN for classes absent from both truth and prediction."""
    conf = conf.astype(np.float64)
    inter = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, np.nan)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def command_line():
    return " ".join(["/usr/bin/python3", os.path.relpath(sys.argv[0])] + sys.argv[1:])


def layer_table(model, example, names):
    """[{name, shape, params}] for the named submodules, via forward hooks
    (shape without the batch axis)."""
    import torch
    mods = dict(model.named_modules())
    rows, hooks = {}, []
    for name in names:
        mod = mods[name]
        params = sum(p.numel() for p in mod.parameters())
        hooks.append(mod.register_forward_hook(
            lambda m, i, o, name=name, params=params: rows.__setitem__(
                name, {"name": name.split(".")[-1], "shape": list(o.shape[1:]), "params": params})))
    with torch.no_grad():
        model(example)
    for h in hooks:
        h.remove()
    return [rows[n] for n in names]


def capture(model, example, layers):
    """{tensor name: output of module path} for one forward pass, plus the model output."""
    import torch
    mods = dict(model.named_modules())
    got, hooks = {}, []
    for tensor, path in layers.items():
        hooks.append(mods[path].register_forward_hook(
            lambda m, i, o, tensor=tensor: got.__setitem__(tensor, o.detach().clone())))
    with torch.no_grad():
        out = model(example)
    for h in hooks:
        h.remove()
    return out, got


# ---------------------------------------------------------------- checkpoints


def rng_states(gen, rng):
    """Every random state a training script draws from: its torch.Generator `gen`
    (augmentation, latents), its numpy Generator `rng` (orders, real images),
    torch's global generators (dropout, initialization; CUDA's when in use) and
    Python's and numpy's global ones. Keys "gen", "torch_rng" and "rng" are
    those of the first checkpoints, which `set_rng_states` still reads."""
    import torch
    s = {"gen": gen.get_state(), "torch_rng": torch.get_rng_state(), "rng": rng.bit_generator.state,
         "python_rng": random.getstate(), "numpy_rng": np.random.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        s["cuda_rng"] = torch.cuda.get_rng_state_all()
    return s


def set_rng_states(ck, gen, rng):
    import torch
    gen.set_state(ck["gen"])
    torch.set_rng_state(ck["torch_rng"])
    rng.bit_generator.state = ck["rng"]
    if "python_rng" in ck:
        random.setstate(ck["python_rng"])
    if "numpy_rng" in ck:
        np.random.set_state(ck["numpy_rng"])
    if "cuda_rng" in ck and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(ck["cuda_rng"])


def save_checkpoint(path, state):
    """torch.save to PATH.tmp, then rename over PATH: a run killed while writing
    leaves the previous checkpoint whole."""
    import torch
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def load_checkpoint(path, config):
    """The checkpoint at `path` (for --resume), refused if missing or written
    with another configuration. Loaded onto the CPU: RNG states must stay there."""
    import torch
    if not os.path.isfile(path):
        raise SystemExit(f"--resume: no checkpoint at {path}")
    ck = torch.load(path, map_location="cpu")
    if ck["config"] != config:
        raise SystemExit(f"--resume: checkpoint config {ck['config']} differs from {config}")
    return ck


def write_history_csv(path, rows):
    """One line per row (the columns of the first row), written atomically."""
    with open(path + ".tmp", "w") as f:
        f.write(",".join(rows[0]) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in rows[0]) + "\n")
    os.replace(path + ".tmp", path)


class EpochLoop:
    """Where an epoch-based training run is, and its checkpoint.

    The position is the epoch under way, its permutation of the training rows
    and the next batch; with it the checkpoint holds the state_dict of every
    object in `parts` (model, optimizer, schedule) under its key, every RNG
    state, the epoch's running sums (`sums`, counted by `add`; "seen" counts
    itself), the history and the best epoch's weights. It is written to
    WORK/checkpoint.pt every `ckpt_minutes` inside an epoch and after every
    epoch; `resume()` continues from it, and a resumed run gives the same
    weights as one never stopped. After each epoch WORK/history.csv gets the
    epoch's row and WORK/curves.png draws the history (zoo/train/curves.py).

        loop = EpochLoop(work, config, {"model": m, "opt": o, "sched": s}, gen, rng, idx, ...)
        if resume: loop.resume()
        while loop.epoch <= epochs:
            for idx in loop.batches(lambda: "loss ..."):
                ...; loop.add(loss_sum=...)
            if loop.stopped: return
            row = loop.end_epoch({...val numbers...}, score, model)
    """

    def __init__(self, work, config, parts, gen, rng, train_idx, batch, epochs, sums=(),
                 ckpt_minutes=5.0, stop_after=0):
        self.work, self.config, self.parts, self.gen, self.rng = work, config, parts, gen, rng
        self.train_idx, self.batch, self.epochs = train_idx, batch, epochs
        self.steps_per_epoch = (len(train_idx) + batch - 1) // batch
        self.sum_keys = ("seen",) + tuple(sums)
        self.ckpt_minutes, self.stop_after = ckpt_minutes, stop_after
        self.path = os.path.join(work, "checkpoint.pt")
        os.makedirs(work, exist_ok=True)
        self.epoch, self.order, self.next_batch = 1, None, 0
        self.history, self.best, self.best_state = [], -1.0, None
        self.seconds_before, self.stopped, self.batches_run = 0.0, False, 0
        self._reset_sums()
        self.t_start = self.last_ckpt = time.time()
        self.cpu_start = time.process_time()

    def _reset_sums(self):
        self.sums = {k: 0 for k in self.sum_keys}
        self.train_time = 0.0

    def seconds(self):
        """Training wall time over all runs (resumes included)."""
        return self.seconds_before + time.time() - self.t_start

    def add(self, **sums):
        for k, v in sums.items():
            self.sums[k] += v

    def save(self, epoch, order, next_batch):
        ck = {"config": self.config, **{k: p.state_dict() for k, p in self.parts.items()},
              **rng_states(self.gen, self.rng), "history": self.history, "best": self.best,
              "best_state": self.best_state, "epoch": epoch, "order": order, "batch": next_batch,
              **self.sums, "train_time": self.train_time, "seconds": self.seconds()}
        save_checkpoint(self.path, ck)
        self.last_ckpt = time.time()

    def resume(self):
        ck = load_checkpoint(self.path, self.config)
        for k, p in self.parts.items():
            p.load_state_dict(ck[k])
        set_rng_states(ck, self.gen, self.rng)
        self.history, self.best, self.best_state = ck["history"], ck["best"], ck["best_state"]
        self.epoch, self.order, self.next_batch = ck["epoch"], ck["order"], ck["batch"]
        self.sums = {k: ck[k] for k in self.sum_keys}
        self.train_time, self.seconds_before = ck["train_time"], ck["seconds"]
        print(f"resumed at epoch {self.epoch}, batch {self.next_batch}/{self.steps_per_epoch} "
              f"from {self.path}", flush=True)

    def batches(self, describe):
        """The rows of each remaining batch of this epoch. After each batch: a
        progress line at most every 10 s (`describe()` adds the running numbers;
        img/s, this epoch's ETA and the run's training ETA, validation not
        counted), a checkpoint when one is due, and the stop of --stop-after."""
        if self.order is None:
            self.order = self.rng.permutation(self.train_idx)
        prog = Progress(len(self.order) - self.next_batch * self.batch, "img")
        for b in range(self.next_batch, self.steps_per_epoch):
            te = time.time()
            idx = self.order[b * self.batch:(b + 1) * self.batch]
            yield idx
            self.sums["seen"] += len(idx)
            self.train_time += time.time() - te
            rate = (prog.done + len(idx)) / max(time.time() - prog.start, 1e-9)
            left = len(self.order) - (b + 1) * self.batch + (self.epochs - self.epoch) * len(self.train_idx)
            prog.step(len(idx), f"epoch {self.epoch}/{self.epochs} {describe()}  "
                                f"run ETA {fmt_time(max(0, left) / max(rate, 1e-9))}")
            last = b + 1 == self.steps_per_epoch
            if time.time() - self.last_ckpt > self.ckpt_minutes * 60 and not last:
                self.save(self.epoch, self.order, b + 1)
            self.batches_run += 1
            if self.stop_after and self.batches_run >= self.stop_after and not last:
                self.save(self.epoch, self.order, b + 1)
                wall, cpu = time.time() - self.t_start, time.process_time() - self.cpu_start
                n = self.batches_run * self.batch
                print(f"stopped after {self.batches_run} batches (--stop-after): {n} images in {wall:.1f} s "
                      f"({n / wall:.1f} img/s; this process's CPU time {cpu:.1f} s); continue with --resume",
                      flush=True)
                self.stopped = True
                return

    def end_epoch(self, row, score, model):
        """Record the epoch: its row (after "epoch": `row`, then "seconds" and
        "train_img_per_s"), the best weights if `score` beats the best so far,
        history.csv, curves.png and a checkpoint at the start of the next epoch.
        Returns the row."""
        import copy
        import curves
        row = {"epoch": self.epoch, **row, "seconds": self.seconds(),
               "train_img_per_s": self.sums["seen"] / max(self.train_time, 1e-9)}
        self.history.append(row)
        if score > self.best:
            self.best, self.best_state = score, copy.deepcopy(model.state_dict())
        self.epoch, self.order, self.next_batch = self.epoch + 1, None, 0
        self._reset_sums()
        write_history_csv(os.path.join(self.work, "history.csv"), self.history)
        write_png(os.path.join(self.work, "curves.png"), curves.draw(self.history))
        self.save(self.epoch, self.order, self.next_batch)
        return row

    def eta(self):
        """Wall time left at the mean pace of the epochs so far (validation included)."""
        done = self.epoch - 1
        return self.seconds() / max(done, 1) * (self.epochs - done)


# ---------------------------------------------------------------- ONNX


def export_onnx(model, example, path, input_name, outputs, layers, metadata, layer_outputs=True,
                spatial=False):
    """Export `model` (eval mode) with opset 17 and a dynamic batch axis, then
    rename the output tensor of each module scope in `layers` ({tensor name:
    module path}) to its tensor name, optionally expose those tensors as extra
    graph outputs (onnxruntime can only fetch graph outputs), add metadata_props
    and check the result. With `spatial` (a fully convolutional model) the
    input's and outputs' axes 2 and 3 are dynamic too, named height and width.
    Returns a summary for the metrics JSON."""
    import onnx
    import torch
    model.eval()
    axes = {0: "batch", 2: "height", 3: "width"} if spatial else {0: "batch"}
    dyn = {n: axes for n in [input_name] + outputs}
    with torch.no_grad():
        torch.onnx.export(model, example, path, opset_version=17, input_names=[input_name],
                          output_names=outputs, dynamic_axes=dyn, do_constant_folding=True)
    proto = onnx.load(path)
    g = proto.graph
    for tensor, scope in layers.items():
        prefix = "/" + scope.replace(".", "/") + "/"
        inside = [n for n in g.node if n.name.startswith(prefix)]
        if not inside:
            raise RuntimeError(f"no ONNX node in module scope {prefix}")
        old = inside[-1].output[0]  # nodes are topologically sorted: the last one is the block's output
        if old in outputs:  # a primary output keeps its name; the layer name becomes an alias
            g.node.append(onnx.helper.make_node("Identity", [old], [tensor], name=f"/{tensor}/Identity"))
            continue
        for n in g.node:
            n.input[:] = [tensor if x == old else x for x in n.input]
            n.output[:] = [tensor if x == old else x for x in n.output]
    del g.value_info[:]
    proto = onnx.shape_inference.infer_shapes(proto)
    g = proto.graph
    if layer_outputs:
        info = {v.name: v for v in g.value_info}
        for tensor in layers:
            vi = onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None)
            if tensor in info:
                vi.CopyFrom(info[tensor])
                dims = vi.type.tensor_type.shape.dim
                if len(dims):  # every layer tensor is batch-first; inference may call the axis unk__N
                    dims[0].Clear()
                    dims[0].dim_param = "batch"
            g.output.append(vi)
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    proto.producer_name = "dissect zoo/train"
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)
    return check_onnx(path, input_name, outputs, list(layers), metadata, spatial)


def _dims(vi):
    return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]


def check_onnx(path, input_name, outputs, tensors, metadata, spatial=False):
    """Re-load and check: checker, names present, batch axis dynamic (and with
    `spatial` height and width: the input's and the outputs' axes 2 and 3), metadata."""
    import onnx
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    g = proto.graph
    produced = {o for n in g.node for o in n.output}
    missing = [t for t in outputs + tensors if t not in produced]
    if missing:
        raise RuntimeError(f"{path}: tensors not found: {missing}")
    ins = {i.name: i for i in g.input}
    if list(ins) != [input_name] or _dims(ins[input_name])[0] != "batch":
        raise RuntimeError(f"{path}: expected one input {input_name} with a dynamic batch axis")
    outs = {o.name: o for o in g.output}
    for name in outputs + [t for t in tensors if t in outs]:
        if name not in outs or _dims(outs[name])[0] != "batch":
            raise RuntimeError(f"{path}: output {name} missing or without a dynamic batch axis")
    if spatial:
        for vi in [ins[input_name]] + [outs[n] for n in outputs]:
            if _dims(vi)[2:] != ["height", "width"]:
                raise RuntimeError(f"{path}: {vi.name} has shape {_dims(vi)}, expected dynamic height and width")
    props = {p.key: p.value for p in proto.metadata_props}
    for key in metadata:
        if key not in props:
            raise RuntimeError(f"{path}: metadata {key} missing")
    return {"file": os.path.basename(path), "sha256": sha256(path), "bytes": os.path.getsize(path),
            "opset": proto.opset_import[0].version,
            "input": {"name": input_name, "shape": _dims(ins[input_name])},
            "outputs": [{"name": o.name, "shape": _dims(o)} for o in g.output],
            "metadata_keys": sorted(props)}


def save_reference(ref_dir, inputs, outputs):
    """Write a reference input/outputs pair (raw float32 files + index.json) into
    ref_dir, which zoo/train/check_ort.ts replays through onnxruntime-node."""
    os.makedirs(ref_dir, exist_ok=True)
    index = {}
    for kind, tensors in (("inputs", inputs), ("outputs", outputs)):
        index[kind] = {}
        for name, t in tensors.items():
            arr = np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))
            arr.tofile(os.path.join(ref_dir, f"{name}.f32"))
            index[kind][name] = {"file": f"{name}.f32", "shape": list(arr.shape)}
    write_json(os.path.join(ref_dir, "index.json"), index)


# ---------------------------------------------------------------- PNG


def write_png(path, rgb):
    """Minimal PNG writer for an HxWx3 uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def grid(images, cols, pad=2):
    """NHWC uint8 -> one HxWx3 grid image."""
    n, h, w, _ = images.shape
    rows = (n + cols - 1) // cols
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = im
    return out
