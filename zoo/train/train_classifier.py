"""Train the scene classifier: VGG-16's topology with reduced widths.

  /usr/bin/python3 zoo/train/train_classifier.py --data data/world/train --val data/world/val \
      --out zoo/models --epochs 30 --seed 1 --threads 2

Layers: conv1_1 conv1_2 | pool | conv2_1 conv2_2 | pool | conv3_1..3 | pool | conv4_1..3 | pool |
conv5_1..3 | pool | fc6 fc7 (ReLU, dropout) | fc8 (logits). Training uses BatchNorm after each
conv; it is folded into the conv before export, so the ONNX graph is plain Conv+Relu like VGG.
Augmentation: random horizontal flip and a random crop of the image padded by --pad pixels
(reflect). SGD with momentum, cosine learning rate; the epoch with the best val accuracy is kept.

Resumable: OUT/NAME.work/checkpoint.pt is written after every epoch and every --ckpt-minutes
inside one (weights, optimizer, schedule, every RNG state, the epoch's order and position);
--resume continues from it, and a resumed run gives the same weights as an uninterrupted one.
OUT/NAME.work/history.csv holds the per-epoch loss and accuracy.

Writes OUT/NAME.onnx (input "image" float32 NCHW, normalized as in common.PREPROCESS; output
"logits"; the ReLU output of every conv layer is the tensor conv1_1..conv5_3 and the fc outputs
are fc6, fc7, fc8, all also graph outputs), OUT/NAME.json (metrics), OUT/NAME.pt (folded torch
weights), OUT/NAME.md (model card) and OUT/NAME.ref/ (a reference batch for check_ort.ts).
"""
import argparse
import os
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common
import curves
import model_card

STAGES = (2, 2, 3, 3, 3)  # convs per stage, as in VGG-16


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, bn):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=not bn)
        self.bn = nn.BatchNorm2d(cout) if bn else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class VGG(nn.Module):
    def __init__(self, widths, n_classes, size, fc=256, bn=True, dropout=0.5):
        super().__init__()
        self.config = dict(widths=list(widths), n_classes=n_classes, size=list(size), fc=fc, dropout=dropout)
        layers, cin = OrderedDict(), 3
        for s, (reps, w) in enumerate(zip(STAGES, widths), 1):
            for j in range(1, reps + 1):
                layers[f"conv{s}_{j}"] = ConvBlock(cin, w, bn)
                cin = w
            layers[f"pool{s}"] = nn.MaxPool2d(2)
        self.features = nn.Sequential(layers)
        # Five 2x2 pools, each flooring as VGG's do: 112 px gives conv5 at 7x7 and pool5 at 3x3.
        flat = cin * (size[0] // 16 // 2) * (size[1] // 16 // 2)
        self.fc6 = nn.Sequential(nn.Linear(flat, fc), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.fc7 = nn.Sequential(nn.Linear(fc, fc), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.fc8 = nn.Linear(fc, n_classes)

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        return self.fc8(self.fc7(self.fc6(x)))

    def conv_names(self):
        return [n for n in self.features._modules if n.startswith("conv")]

    def folded(self):
        """A copy without BatchNorm: each BN folded into the conv before it."""
        plain = VGG(bn=False, **self.config)
        state = {k: v for k, v in self.state_dict().items() if ".bn." not in k}
        for name in self.conv_names():
            block = self.features._modules[name]
            if isinstance(block.bn, nn.BatchNorm2d):
                bn = block.bn
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                bias = block.conv.bias if block.conv.bias is not None else torch.zeros_like(scale)
                state[f"features.{name}.conv.weight"] = block.conv.weight * scale.view(-1, 1, 1, 1)
                state[f"features.{name}.conv.bias"] = (bias - bn.running_mean) * scale + bn.bias
        plain.load_state_dict({k: v.detach().clone() for k, v in state.items()})
        return plain.eval()


def evaluate(model, split, batch, device, n_classes):
    model.eval()
    conf = np.zeros((n_classes, n_classes), np.int64)
    loss = 0.0
    with torch.no_grad():
        for i in range(0, len(split), batch):
            idx = np.arange(i, min(i + batch, len(split)))
            y = torch.from_numpy(split.take("labels", idx).astype(np.int64)).to(device)
            logits = model(common.to_input(split.take("images", idx), device))
            loss += F.cross_entropy(logits, y, reduction="sum").item()
            np.add.at(conf, (y.cpu().numpy(), logits.argmax(1).cpu().numpy()), 1)
    return {"loss": loss / len(split), "acc": float(np.trace(conf) / max(conf.sum(), 1)), "confusion": conf}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="train split directory")
    ap.add_argument("--val", help="val split directory (default: hold out --holdout of --data)")
    ap.add_argument("--holdout", type=float, default=0.1)
    ap.add_argument("--out", default="zoo/models")
    ap.add_argument("--name", default="classifier")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--widths", default="16,32,64,128,256", help="conv widths of the 5 stages")
    ap.add_argument("--fc", type=int, default=256, help="width of fc6 and fc7")
    ap.add_argument("--pad", type=int, default=4, help="random-crop padding in pixels")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images (tests)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0,
                    help="write OUT/NAME.work/checkpoint.pt at least this often (and after every epoch)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/NAME.work/checkpoint.pt")
    ap.add_argument("--init", help="start from the best weights of another run's NAME.work/checkpoint.pt "
                                   "(fine-tuning: same widths and classes; optimizer and schedule start anew)")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="checkpoint and exit after this many batches of this run (tests of --resume)")
    a = ap.parse_args()
    common.seed_everything(a.seed, a.threads)
    gen = torch.Generator().manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()

    train = common.Split(a.data)
    train_idx = np.arange(len(train) if not a.limit else min(a.limit, len(train)))
    if a.val:
        val, val_desc = common.Split(a.val), None
        val_view = val
    else:  # deterministic hold-out of the training split
        perm = rng.permutation(train_idx)
        k = max(1, int(len(perm) * a.holdout))
        val_view = common.Subset(train, np.sort(perm[:k]))
        train_idx = np.sort(perm[k:])
        val_desc = {**train.describe(), "holdout": a.holdout, "count": k}
    labels = train.labels
    if a.val and val.labels != labels:
        raise SystemExit("train and val splits have different label lists")
    size = (train.height, train.width)
    if size[0] % 16 or size[1] % 16 or min(size) < 32:
        raise SystemExit(f"image size {size} must be a multiple of 16 and at least 32 (four exact 2x2 poolings)")
    widths = [int(w) for w in a.widths.split(",")]
    model = VGG(widths, len(labels), size, fc=a.fc).to(a.device)
    params = sum(p.numel() for p in model.parameters())
    print(f"classifier: {params:,} parameters (with BN), {len(train_idx)} train / {len(val_view)} val images, "
          f"{len(labels)} classes", flush=True)

    if a.init:
        ck = torch.load(a.init, map_location="cpu")
        if ck.get("best_state") is None:
            raise SystemExit(f"--init: {a.init} has no finished epoch, so no best weights yet")
        common.load_strict(model, ck["best_state"], a.init, "classifier checkpoint")
        print(f"classifier: weights from {a.init} (its best epoch, val acc {ck['best']:.4f})", flush=True)

    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd, nesterov=True)
    steps_per_epoch = (len(train_idx) + a.batch - 1) // a.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, a.lr, total_steps=a.epochs * steps_per_epoch,
                                                pct_start=0.15, anneal_strategy="cos")
    work = os.path.join(a.out, a.name + ".work")
    config = {"widths": widths, "fc": a.fc, "classes": len(labels), "size": list(size), "epochs": a.epochs,
              "batch": a.batch, "lr": a.lr, "train": len(train_idx), "seed": a.seed,
              **({"init": a.init} if a.init else {})}
    loop = common.EpochLoop(work, config, {"model": model, "opt": opt, "sched": sched}, gen, rng, train_idx,
                            a.batch, a.epochs, sums=("correct", "loss_sum"), ckpt_minutes=a.ckpt_minutes,
                            stop_after=a.stop_after)
    if a.resume:
        loop.resume()

    while loop.epoch <= a.epochs:
        model.train()
        sums = loop.sums
        for idx in loop.batches(lambda: f"loss {sums['loss_sum'] / sums['seen']:.3f} "
                                        f"acc {sums['correct'] / sums['seen']:.3f}"):
            x = common.augment(common.to_input(train.take("images", idx), a.device), a.pad, gen)
            y = torch.from_numpy(train.take("labels", idx).astype(np.int64)).to(a.device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loop.add(correct=(logits.argmax(1) == y).sum().item(), loss_sum=loss.item() * len(idx))
        if loop.stopped:
            return
        ev = evaluate(model, val_view, 256, a.device, len(labels))
        epoch = loop.epoch
        row = loop.end_epoch({"train_loss": sums["loss_sum"] / sums["seen"], "train_acc": sums["correct"] / sums["seen"],
                              "val_loss": ev["loss"], "val_acc": ev["acc"], "lr": sched.get_last_lr()[0]},
                             ev["acc"], model)
        print(f"epoch {epoch}/{a.epochs}: train loss {row['train_loss']:.3f} acc {row['train_acc']:.3f} | "
              f"val loss {ev['loss']:.3f} acc {ev['acc']:.3f} (best {loop.best:.3f}) | "
              f"{row['train_img_per_s']:.0f} img/s, {common.fmt_time(row['seconds'])} so far, "
              f"ETA {common.fmt_time(loop.eta())}", flush=True)
    history, best_state, seconds = loop.history, loop.best_state, loop.seconds

    model.load_state_dict(best_state)
    model = model.cpu().eval()
    plain = model.folded()
    ev = evaluate(plain, val_view, 256, "cpu", len(labels))
    check = evaluate(model, val_view, 256, "cpu", len(labels))
    print(f"best epoch {max(history, key=lambda r: r['val_acc'])['epoch']}: val acc {ev['acc']:.4f} "
          f"(folded) vs {check['acc']:.4f} (with BN)", flush=True)
    conf = ev["confusion"]
    per_class = {labels[c]: (float(conf[c, c] / conf[c].sum()) if conf[c].sum() else None)
                 for c in range(len(labels))}

    base = os.path.join(a.out, a.name)
    torch.save({"config": plain.config, "state_dict": plain.state_dict()}, base + ".pt")
    example = common.to_input(val_view.take("images", np.arange(min(2, len(val_view)))), "cpu")
    refs = common.to_input(val_view.take("images", np.arange(min(3, len(val_view)))), "cpu")
    with torch.no_grad():  # folding must not change the function
        diff = (model(refs) - plain(refs)).abs().max().item()
    if diff > 1e-3:
        raise SystemExit(f"BatchNorm folding changed the logits by {diff}")
    convs = plain.conv_names()
    layers = {**{n: f"features.{n}" for n in convs}, "fc6": "fc6", "fc7": "fc7", "fc8": "fc8"}
    meta = {"preprocess": common.PREPROCESS, "labels": labels, "model": "classifier",
            "layers": list(layers)}
    onnx_info = common.export_onnx(plain, example, base + ".onnx", "image", ["logits"], layers, meta)
    logits, acts = common.capture(plain, refs, layers)  # another batch size than the export's
    common.save_reference(base + ".ref", {"image": refs}, {"logits": logits, **acts})
    table = common.layer_table(plain, example, [f"features.{n}" for n in plain.features._modules]
                               + ["fc6", "fc7", "fc8"])
    metrics = {
        "model": "classifier", "name": a.name, "command": common.command_line(),
        "seconds": seconds(), "torch": torch.__version__, "threads": a.threads, "device": a.device,
        "seed": a.seed,
        "data": {"train": {**train.describe(), "used": int(len(train_idx))},
                 "val": val_desc or val.describe()},
        "preprocess": common.PREPROCESS, "labels": labels,
        "architecture": {"params": sum(p.numel() for p in plain.parameters()), "layers": table,
                         "widths": widths, "fc": a.fc, "input_chw": [3, *size],
                         "notes": "BatchNorm during training, folded into the convs for export"},
        "training": {"epochs": a.epochs, "batch": a.batch, "optimizer": "SGD nesterov momentum 0.9",
                     "lr": a.lr, "schedule": "one-cycle cosine", "weight_decay": a.wd,
                     "augment": f"hflip, reflect-pad {a.pad} + random crop"},
        "history": history,
        "metrics": {"val_top1": ev["acc"], "val_loss": ev["loss"], "chance": 1 / len(labels),
                    "best_epoch": max(history, key=lambda r: r["val_acc"])["epoch"],
                    "train_img_per_s": float(np.mean([r["train_img_per_s"] for r in history])),
                    "per_class_val_acc": per_class},
        "confusion": conf.tolist(),
        "onnx": onnx_info,
    }
    common.write_json(base + ".json", metrics)
    common.write_png(base + ".curves.png", curves.draw(history))
    model_card.write(base + ".json")
    print(f"wrote {base}.onnx / .json / .md / .pt; training took {common.fmt_time(seconds())}", flush=True)


if __name__ == "__main__":
    common.run(main)
