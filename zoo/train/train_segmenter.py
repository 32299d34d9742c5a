"""Train the reference segmenter: a small U-Net with three per-pixel heads
(object, part, material). It plays UPerNet's role in the paper: a trained model,
deliberately not the ground truth, whose errors the dissection inherits.

  /usr/bin/python3 zoo/train/train_segmenter.py --data data/world/train data/world/objects \
      --val data/world/val --out zoo/models --epochs 20 --seed 1 --threads 2 [--resume]

Encoder: 5 stages (64..4 px at 64x64 input) of two 3x3 conv+BN+ReLU (widths --widths, 2x2 max-pool between); decoder:
nearest upsampling, concatenation with the encoder skip, one or two 3x3 conv+BN+ReLU per level;
1x1 conv heads at input resolution. Loss: sum of the three cross-entropies. Augmentation:
horizontal flip and random crop of the reflect-padded image, applied to image and masks alike.

Resumable as the classifier is (common.EpochLoop): OUT/NAME.work/checkpoint.pt is written after
every epoch and every --ckpt-minutes inside one (weights, optimizer, schedule, every RNG state, the
epoch's order and position); --resume continues from it, and a resumed run gives the same weights
as an uninterrupted one. OUT/NAME.work/history.csv holds the per-epoch losses (sum and per head)
and val mean IoU per head; OUT/NAME.work/curves.png draws them after every epoch.

The net is fully convolutional: the ONNX has dynamic batch, height and width (any multiple of
2^(stages-1), stored as metadata "size_multiple"), and OUT/NAME.ref/ holds reference batches at
the training size and, in OUT/NAME.ref/pxS/, at each of --ref-sizes, all replayed by check_ort.ts.

Writes OUT/NAME.onnx (input "image" float32 NCHW normalized as in common.PREPROCESS; outputs
"object", "part", "material": logits N x classes x H x W), OUT/NAME.json (metrics: mean IoU per
head on val, per-class IoU, history), OUT/NAME.pt, OUT/NAME.md, OUT/NAME.curves.png and
OUT/NAME.ref/ (for check_ort.ts).
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common
import curves
import model_card

HEADS = ("object", "part", "material")


def block(cin, cout, n=2):
    layers = []
    for i in range(n):
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class UNet(nn.Module):
    def __init__(self, widths, classes):
        super().__init__()
        self.config = dict(widths=list(widths), classes=dict(classes))
        w = widths
        self.enc = nn.ModuleList([block(3 if i == 0 else w[i - 1], w[i]) for i in range(len(w))])
        # decoder level i merges the upsampled level i+1 with encoder level i
        self.dec = nn.ModuleList([block(w[i] + w[i + 1], w[i], n=1 if i == 0 else 2)
                                  for i in range(len(w) - 1)])
        self.heads = nn.ModuleDict({k: nn.Conv2d(w[0], n, 1) for k, n in classes.items()})

    def forward(self, x):
        skips = []
        for i, enc in enumerate(self.enc):
            x = enc(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for i in reversed(range(len(self.dec))):
            x = self.dec[i](torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), skips[i]], 1))
        return tuple(self.heads[k](x) for k in self.heads)


def load_exported(model, path, side):
    """Loads an exported segmenter (this script's ONNX, BatchNorm folded into each conv) into
    `model`: every conv takes the ONNX's Conv of the same place in the forward pass, and the
    BatchNorm after it becomes the identity plus the folded bias, so the model in eval mode
    computes what the ONNX computes. A graph of other convs or shapes is an InputError."""
    import onnx
    from onnx import numpy_helper
    if not os.path.isfile(path):
        raise common.InputError(f"{path}: no such file")
    try:
        graph = onnx.load(path).graph
    except Exception as e:  # protobuf's DecodeError and kin
        raise common.InputError(f"{path} is not an ONNX model ({type(e).__name__})")
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    exported = [[values.get(name) for name in n.input[1:]] for n in graph.node if n.op_type == "Conv"]
    order = []
    hooks = [m.register_forward_hook(lambda m, *_: order.append(m))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, side, side, device=next(model.parameters()).device))
    for h in hooks:
        h.remove()
    after = {}  # each block conv's BatchNorm
    for seq in model.modules():
        if isinstance(seq, nn.Sequential):
            for a, b in zip(seq, list(seq)[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    after[a] = b
    if len(order) != len(exported):
        raise common.InputError(f"{path} has {len(exported)} convs, this segmenter {len(order)}")
    for k, (conv, wb) in enumerate(zip(order, exported)):
        w = wb[0]
        if w is None or tuple(w.shape) != tuple(conv.weight.shape):
            got = "not a constant" if w is None else tuple(w.shape)
            raise common.InputError(f"{path}: conv {k} is {got}, this segmenter's {tuple(conv.weight.shape)}")
        b = wb[1] if len(wb) > 1 and wb[1] is not None else np.zeros(w.shape[0], np.float32)
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(w.copy()))
            bn = after.get(conv)
            if bn is None:
                conv.bias.copy_(torch.from_numpy(b.copy()))
            else:
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(b.copy()))
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)


def freeze_batchnorm(model):
    """Keeps every BatchNorm's statistics as loaded (eval mode) while the rest trains: a model
    loaded from an export has identity statistics that batch statistics would overturn."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def batch_of(split, idx, device):
    x = common.to_input(split.take("images", idx), device)
    masks = torch.from_numpy(np.stack([split.take(h, idx) for h in HEADS], 1)).to(device)
    return x, masks


def evaluate(model, split, batch, device, sizes):
    model.eval()
    conf = {h: np.zeros((n, n), np.int64) for h, n in zip(HEADS, sizes)}
    loss = {h: 0.0 for h in HEADS}
    with torch.no_grad():
        for i in range(0, len(split), batch):
            idx = np.arange(i, min(i + batch, len(split)))
            x, masks = batch_of(split, idx, device)
            for k, (h, logits) in enumerate(zip(HEADS, model(x))):
                y = masks[:, k].long()
                loss[h] += F.cross_entropy(logits, y, reduction="mean").item() * len(idx)
                n = sizes[k]
                flat = (y * n + logits.argmax(1)).flatten().cpu().numpy()
                conf[h] += np.bincount(flat, minlength=n * n).reshape(n, n)
    return {h: v / len(split) for h, v in loss.items()}, conf


def summarize(conf, names):
    out = {}
    for h, c in conf.items():
        iou = common.confusion_iou(c)
        out[h] = {"miou": float(np.nanmean(iou)),
                  "miou_without_none": float(np.nanmean(iou[1:])) if np.any(~np.isnan(iou[1:])) else None,
                  "pixel_acc": float(np.trace(c) / max(c.sum(), 1)),
                  "classes_present": int(np.sum(~np.isnan(iou))),
                  "iou": {names[h][i]: (None if np.isnan(v) else float(v)) for i, v in enumerate(iou)}}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, nargs="+", help="training split directories (concatenated)")
    ap.add_argument("--val", help="val split directory (default: hold out --holdout of --data)")
    ap.add_argument("--holdout", type=float, default=0.1)
    ap.add_argument("--out", default="zoo/models")
    ap.add_argument("--name", default="segmenter")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--widths", default="16,32,64,128,160", help="encoder widths, one per resolution (halving each time)")
    ap.add_argument("--pad", type=int, default=4, help="random-crop padding in pixels")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images (tests)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0,
                    help="write OUT/NAME.work/checkpoint.pt at least this often (and after every epoch)")
    ap.add_argument("--init-onnx", help="start from an exported segmenter of the same widths and heads "
                    "(BatchNorm folded: it trains with statistics frozen)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/NAME.work/checkpoint.pt")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="checkpoint and exit after this many batches of this run (tests of --resume)")
    ap.add_argument("--chunk", type=int, default=0,
                    help="forward and backward each batch in chunks of this many images, one optimizer step "
                         "per batch (BatchNorm statistics per chunk); 8 is 4x faster per image at 112 px here")
    ap.add_argument("--ref-sizes", default="64,112,224",
                    help="image sides of the extra reference batches in OUT/NAME.ref/pxS/ (check_ort.ts)")
    a = ap.parse_args()
    common.seed_everything(a.seed, a.threads)
    gen = torch.Generator().manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)

    need = ("images",) + HEADS
    parts = [common.Split(d, need=need) for d in a.data]
    train = common.Concat(parts)
    train_idx = np.arange(len(train) if not a.limit else min(a.limit, len(train)))
    if a.val:
        val = common.Split(a.val, need=need)
        common.Concat([parts[0], val])  # raises if the vocabularies differ
        val_desc = val.describe()
    else:
        perm = rng.permutation(train_idx)
        k = max(1, int(len(perm) * a.holdout))
        val, train_idx = common.Subset(train, np.sort(perm[:k])), np.sort(perm[k:])
        val_desc = {"holdout_of": [p.path for p in parts], "fraction": a.holdout, "count": k}
    names = {"object": train.objects, "part": train.parts, "material": train.materials}
    sizes = [len(names[h]) for h in HEADS]
    widths = [int(w) for w in a.widths.split(",")]
    multiple = 2 ** (len(widths) - 1)
    ref_sizes = [int(v) for v in a.ref_sizes.split(",") if v]
    if train.height % multiple or train.width % multiple:
        raise SystemExit(f"image size must be a multiple of {multiple}")
    if any(v % multiple for v in ref_sizes):
        raise SystemExit(f"--ref-sizes must be multiples of {multiple}")
    model = UNet(widths, dict(zip(HEADS, sizes))).to(a.device)
    if a.init_onnx:
        load_exported(model, a.init_onnx, multiple)
        print(f"segmenter: weights from {a.init_onnx}, BatchNorm statistics frozen", flush=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"segmenter: {params:,} parameters, {len(train_idx)} train / {len(val)} val images "
          f"{train.height}x{train.width}, classes {dict(zip(HEADS, sizes))}", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    steps_per_epoch = (len(train_idx) + a.batch - 1) // a.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, a.lr, total_steps=a.epochs * steps_per_epoch,
                                                pct_start=0.1, anneal_strategy="cos")
    config = {"widths": widths, "classes": sizes, "size": [train.height, train.width], "epochs": a.epochs,
              "batch": a.batch, "chunk": a.chunk, "lr": a.lr, "wd": a.wd, "pad": a.pad, "train": len(train_idx),
              "seed": a.seed, **({"init_onnx": common.sha256(a.init_onnx)} if a.init_onnx else {})}
    loop = common.EpochLoop(os.path.join(a.out, a.name + ".work"), config,
                            {"model": model, "opt": opt, "sched": sched}, gen, rng, train_idx, a.batch,
                            a.epochs, sums=("loss_sum",) + tuple(f"loss_{h}" for h in HEADS),
                            ckpt_minutes=a.ckpt_minutes, stop_after=a.stop_after)
    if a.resume:
        loop.resume()

    while loop.epoch <= a.epochs:
        model.train()
        if a.init_onnx:
            freeze_batchnorm(model)
        sums = loop.sums
        for idx in loop.batches(lambda: f"loss {sums['loss_sum'] / sums['seen']:.3f}"):
            x, masks = batch_of(train, idx, a.device)
            both = common.augment(torch.cat([x, masks.float()], 1), a.pad, gen)
            x, masks = both[:, :3], both[:, 3:].round().long()
            opt.zero_grad(set_to_none=True)
            chunk, losses = a.chunk or len(idx), torch.zeros(len(HEADS))
            for c in range(0, len(idx), chunk):  # the batch's mean loss, its gradient summed chunk by chunk
                part = [F.cross_entropy(logits, masks[c:c + chunk, k]) for k, logits in enumerate(model(x[c:c + chunk]))]
                share = len(x[c:c + chunk]) / len(idx)
                (sum(part) * share).backward()
                losses += torch.stack([v.detach().cpu() for v in part]) * share
            opt.step()
            sched.step()
            loop.add(loss_sum=losses.sum().item() * len(idx),
                     **{f"loss_{h}": v.item() * len(idx) for h, v in zip(HEADS, losses)})
        if loop.stopped:
            return
        val_loss, conf = evaluate(model, val, a.chunk or 64, a.device, sizes)
        s = summarize(conf, names)
        epoch, seen = loop.epoch, sums["seen"]
        row = {"train_loss": sums["loss_sum"] / seen, **{f"train_loss_{h}": sums[f"loss_{h}"] / seen for h in HEADS},
               "val_loss": sum(val_loss.values()), **{f"val_loss_{h}": val_loss[h] for h in HEADS},
               **{f"val_miou_{h}": s[h]["miou"] for h in HEADS}, "lr": sched.get_last_lr()[0]}
        row = loop.end_epoch(row, float(np.mean([s[h]["miou"] for h in HEADS])), model)
        print(f"epoch {epoch}/{a.epochs}: train loss {row['train_loss']:.3f} | val loss {row['val_loss']:.3f} mIoU "
              + " ".join(f"{h} {s[h]['miou']:.3f}" for h in HEADS)
              + f" | {row['train_img_per_s']:.1f} img/s, {common.fmt_time(row['seconds'])} so far, "
              f"ETA {common.fmt_time(loop.eta())}", flush=True)

    model.load_state_dict(loop.best_state)
    model = model.cpu().eval()
    val_loss, conf = evaluate(model, val, a.chunk or 64, "cpu", sizes)
    s = summarize(conf, names)
    base = os.path.join(a.out, a.name)
    torch.save({"config": model.config, "state_dict": model.state_dict()}, base + ".pt")
    example = common.to_input(val.take("images", np.arange(min(2, len(val)))), "cpu")
    refs = common.to_input(val.take("images", np.arange(min(3, len(val)))), "cpu")
    meta = {"preprocess": common.PREPROCESS, "labels": names, "objects": names["object"],
            "parts": names["part"], "materials": names["material"], "model": "segmenter",
            "size_multiple": multiple}
    onnx_info = common.export_onnx(model, example, base + ".onnx", "image", list(HEADS), {}, meta, spatial=True)
    with torch.no_grad():
        outs = model(refs)  # another batch size than the export's
    common.save_reference(base + ".ref", {"image": refs}, dict(zip(HEADS, outs)))
    for side in ref_sizes:  # other image sizes than the export's (a few MB each)
        x = F.interpolate(refs[:1 if side > 128 else 2], size=(side, side), mode="bilinear", align_corners=False)
        with torch.no_grad():
            outs = model(x)
        common.save_reference(os.path.join(base + ".ref", f"px{side}"), {"image": x}, dict(zip(HEADS, outs)))
    table = common.layer_table(model, example, [f"enc.{i}" for i in range(len(widths))]
                               + [f"dec.{i}" for i in reversed(range(len(widths) - 1))])
    for row, label in zip(table, [f"enc{i + 1}" for i in range(len(widths))]
                          + [f"dec{i + 1}" for i in reversed(range(len(widths) - 1))]):
        row["name"] = label
    for h, n in zip(HEADS, sizes):
        table.append({"name": f"head {h}", "shape": [n, train.height, train.width],
                      "params": sum(p.numel() for p in model.heads[h].parameters())})
    metrics = {
        "model": "segmenter", "name": a.name, "command": common.command_line(),
        "seconds": loop.seconds(), "torch": torch.__version__, "threads": a.threads, "device": a.device,
        "seed": a.seed,
        "data": {**{f"train{i}": {**p.describe()} for i, p in enumerate(parts)},
                 "train_used": {"count": int(len(train_idx))}, "val": val_desc},
        "preprocess": common.PREPROCESS, "labels": names,
        "architecture": {"params": sum(p.numel() for p in model.parameters()), "layers": table,
                         "widths": widths, "notes": "U-Net, conv+BN+ReLU (BN folded by the exporter)"},
        "training": {"epochs": a.epochs, "batch": a.batch, "optimizer": "AdamW", "lr": a.lr,
                     "chunk": a.chunk or a.batch, "schedule": "one-cycle cosine", "weight_decay": a.wd,
                     **({"init": f"{a.init_onnx} (sha256 {common.sha256(a.init_onnx)[:12]}), "
                                 "BatchNorm statistics frozen"} if a.init_onnx else {}),
                     "augment": f"hflip, reflect-pad {a.pad} + random crop (image and masks)"},
        "history": loop.history,
        "metrics": {"val_loss": sum(val_loss.values()), **{f"val_loss_{h}": val_loss[h] for h in HEADS},
                    **{f"val_miou_{h}": s[h]["miou"] for h in HEADS},
                    **{f"val_miou_{h}_without_none": s[h]["miou_without_none"] for h in HEADS},
                    **{f"val_pixel_acc_{h}": s[h]["pixel_acc"] for h in HEADS},
                    "train_img_per_s": float(np.mean([r["train_img_per_s"] for r in loop.history])),
                    **{f"val_iou_{h}": s[h]["iou"] for h in HEADS}},
        "onnx": onnx_info,
    }
    common.write_json(base + ".json", metrics)
    common.write_png(base + ".curves.png", curves.draw(loop.history))
    model_card.write(base + ".json")
    print("val mIoU " + ", ".join(f"{h} {s[h]['miou']:.3f}" for h in HEADS))
    print(f"wrote {base}.onnx / .json / .md / .pt / .curves.png; training took {common.fmt_time(loop.seconds())}",
          flush=True)


if __name__ == "__main__":
    common.run(main)
