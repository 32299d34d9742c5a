"""Train the church generator: a Progressive-GAN-shaped generator, trained
non-progressively at full resolution (hinge loss, spectral-norm discriminator).

  /usr/bin/python3 zoo/train/train_gan.py --data data/world/church --out zoo/models --name gan_church \
      --steps 20000 --batch 32 --seed 1 --threads 2 [--device cuda] [--resume]
  ... --size 64 --widths 512,512,512,512,256,256,128,128,64,64   # ProGAN's 512 units at layer1..4

Generator (layer order and naming follow the Progressive GAN dissected in the paper, where each
layer pixel-normalizes its input, then (upsamples,) convolves and applies leaky ReLU 0.2):
  layer1   z (pixel-normalized) -> dense -> 4x4          layer2   3x3 conv, 4x4
  layer3   2x nearest upsample + 3x3 conv, 8x8          layer4   3x3 conv, 8x8
  layer5   upsample + conv, 16x16                       layer6   conv, 16x16
  layer7   upsample + conv, 32x32                       layer8   conv, 32x32
  layer9   upsample + conv, 64x64                       layer10  conv, 64x64
  output   pixel norm + 1x1 conv to RGB, image = (tanh + 1) / 2 in [0, 1]
(two more layers per doubling for larger images). Widths: --width at 4..16 px, then halved at
each doubling; or --widths, one per layer (layer1..layerN). The output side is --size (default:
the split's, which must then be a power of two); real images of another size are resized to it
(antialiased bilinear). Discriminator: the mirror image (1x1 fromRGB, two 3x3 convs + 2x2 average
pool per resolution, minibatch-stddev channel and a dense output at 4x4), spectral norm on every
layer; its widths are --d-width at full resolution, doubled per halving up to --d-cap (default
--width; a light D: it costs about as much as G at the default widths). Adam (betas 0, 0.99; --lr and --d-lr, both 2e-4), --d-steps D
steps per G step (1), horizontal flips of the real images. The exported generator is an
exponential moving average (0.999) of the trained one.

Every --sample-every steps a grid of 32 samples of fixed latents goes to OUT/NAME.work/samples/;
every --ckpt-every steps (and at the end) OUT/NAME.work/checkpoint.pt is written, with the loss
history (every 100 steps) in OUT/NAME.work/history.csv; --resume
continues from it (same RNG streams, so an interrupted run equals an uninterrupted one;
common.rng_states / save_checkpoint / load_checkpoint, shared with the other scripts).
At the end: OUT/NAME.onnx (input "z" [batch, latent] standard normal; output "image" NCHW RGB
in [0,1]; tensors layer1..layerN, also graph outputs), OUT/NAME.json, .md, .pt, .samples.png,
.curves.png (the loss history, zoo/train/curves.py), .ref/
"""
import argparse
import copy
import math
import os
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

import common
import model_card
import curves


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


class First(nn.Module):
    """layer1: the latent, pixel-normalized, through a dense layer to C x 4 x 4."""

    def __init__(self, latent, cout):
        super().__init__()
        self.norm, self.dense, self.act = PixelNorm(), nn.Linear(latent, cout * 16), nn.LeakyReLU(0.2)
        self.cout = cout

    def forward(self, z):
        return self.act(self.dense(self.norm(z)).view(-1, self.cout, 4, 4))


class Layer(nn.Module):
    def __init__(self, cin, cout, up):
        super().__init__()
        self.norm, self.up = PixelNorm(), up
        self.conv, self.act = nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.2)

    def forward(self, x):
        x = self.norm(x)
        if self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.act(self.conv(x))


class Output(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.norm, self.conv = PixelNorm(), nn.Conv2d(cin, 3, 1)

    def forward(self, x):
        return (torch.tanh(self.conv(self.norm(x))) + 1) / 2


def widths_for(size, width):
    """Channel count per resolution: `width` up to 16 px, then halved per doubling."""
    res, out = 4, {}
    while res <= size:
        out[res] = max(16, width >> max(0, int(math.log2(res / 16))))
        res *= 2
    return out


def layer_count(size):
    """Two layers per resolution from 4 px to `size`: layer1, layer2 at 4x4, layer3, layer4 at 8x8, ..."""
    return 2 * (int(math.log2(size)) - 1)


def layer_widths(size, width):
    """--width's channels, one per layer."""
    w = widths_for(size, width)
    return [w[4 << (i // 2)] for i in range(layer_count(size))]


class Generator(nn.Module):
    def __init__(self, latent, size, width=128, widths=None):
        super().__init__()
        # A run without --widths keeps the configuration (and so the checkpoints) of the first runs.
        self.config = dict(latent=latent, size=size, width=width) if widths is None else \
            dict(latent=latent, size=size, widths=list(widths))
        w = layer_widths(size, width) if widths is None else list(widths)
        if len(w) != layer_count(size):
            raise ValueError(f"{size} px needs {layer_count(size)} layer widths, got {len(w)}")
        layers = OrderedDict(layer1=First(latent, w[0]), layer2=Layer(w[0], w[1], False))
        for i in range(2, len(w)):  # upsample at the first layer of each resolution (odd numbers)
            layers[f"layer{i + 1}"] = Layer(w[i - 1], w[i], i % 2 == 0)
        self.layers = nn.Sequential(layers)
        self.output = Output(w[-1])

    def forward(self, z):
        return self.output(self.layers(z))

    def layer_names(self):
        return list(self.layers._modules)


def d_widths_for(size, full, cap):
    """Discriminator channels: `full` at the image resolution, doubled per halving, at most `cap`."""
    return {size >> k: min(cap, full << k) for k in range(int(math.log2(size)) - 1)}


class Discriminator(nn.Module):
    def __init__(self, size, full, cap):
        super().__init__()
        w = d_widths_for(size, full, cap)
        sn = spectral_norm
        self.from_rgb = sn(nn.Conv2d(3, w[size], 1))
        blocks, res = [], size
        while res > 4:
            blocks += [sn(nn.Conv2d(w[res], w[res], 3, padding=1)), nn.LeakyReLU(0.2),
                       sn(nn.Conv2d(w[res], w[res // 2], 3, padding=1)), nn.LeakyReLU(0.2), nn.AvgPool2d(2)]
            res //= 2
        self.blocks = nn.Sequential(*blocks)
        self.final = sn(nn.Conv2d(w[4] + 1, w[4], 3, padding=1))
        self.dense = sn(nn.Linear(w[4] * 16, 1))

    def forward(self, x):
        x = self.blocks(F.leaky_relu(self.from_rgb(x), 0.2))
        std = x.std(0, unbiased=False).mean().expand(x.shape[0], 1, 4, 4)  # minibatch stddev
        x = F.leaky_relu(self.final(torch.cat([x, std], 1)), 0.2)
        return self.dense(x.flatten(1)).squeeze(1)


def real_batch(split, idx, device, gen, size):
    x = torch.from_numpy(split.take("images", np.sort(idx))).to(device).permute(0, 3, 1, 2).float() / 255
    if x.shape[2:] != (size, size):  # e.g. world v2's 112 px churches for a 64 px generator
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True).clamp_(0, 1)
    flip = (torch.rand(len(idx), generator=gen) < 0.5).view(-1, 1, 1, 1).to(device)
    return torch.where(flip, x.flip(3), x)


def color_hist(images01, bins=8):
    """Normalized joint RGB histogram of NCHW images in [0,1]."""
    q = (images01.clamp(0, 1 - 1e-6) * bins).long()
    code = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    return torch.bincount(code.flatten().cpu(), minlength=bins ** 3).double() / code.numel()


def to_u8(images01):
    return (images01.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="church split directory")
    ap.add_argument("--out", default="zoo/models")
    ap.add_argument("--name", default="gan_church")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--latent", type=int, default=128)
    ap.add_argument("--width", type=int, default=128, help="channels at 4..16 px (halved per doubling after)")
    ap.add_argument("--widths", help="channels of each layer, layer1 first (2 per resolution from 4 px: "
                                     "10 at 64 px, 12 at 128); replaces --width for the generator")
    ap.add_argument("--size", type=int, help="output side, a power of two (default: the split's image side); "
                                             "real images of another size are resized to it")
    ap.add_argument("--d-width", type=int, default=16,
                    help="discriminator channels at full resolution (doubled per halving, at most --d-cap)")
    ap.add_argument("--d-cap", type=int, help="most discriminator channels (default --width)")
    ap.add_argument("--lr", type=float, default=2e-4, help="generator learning rate")
    ap.add_argument("--d-lr", type=float, default=2e-4, help="discriminator learning rate")
    ap.add_argument("--d-steps", type=int, default=1, help="discriminator steps per generator step")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--sample-every", type=int, default=500)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--resume", action="store_true", help="continue from OUT/NAME.work/checkpoint.pt")
    ap.add_argument("--snapshot", help="with --resume: export the checkpoint's generator as it stands into "
                                       "this folder (ONNX, card, samples), without training or touching the run")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="checkpoint and exit after this many steps of this run (tests of --resume)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    if a.snapshot and not a.resume:
        raise SystemExit("--snapshot exports a run's checkpoint: give --resume too")
    common.seed_everything(a.seed, a.threads)
    dev = a.device
    data = common.Split(a.data)
    size = a.size or data.height
    if data.height != data.width:
        raise SystemExit(f"images must be square, got {data.height}x{data.width}")
    if size & (size - 1) or size < 8:
        raise SystemExit(f"the output side must be a power of two (at least 8), got {size}"
                         + ("" if a.size else ": give --size"))
    widths = [int(v) for v in a.widths.split(",")] if a.widths else None
    if widths is not None and len(widths) != layer_count(size):
        raise SystemExit(f"--widths: {size} px has {layer_count(size)} layers, got {len(widths)} widths")
    d_cap = a.d_cap or a.width
    work = os.path.join(a.out, a.name + ".work")
    os.makedirs(os.path.join(work, "samples"), exist_ok=True)
    ckpt_path = os.path.join(work, "checkpoint.pt")

    G = Generator(a.latent, size, a.width, widths).to(dev)
    D = Discriminator(size, a.d_width, d_cap).to(dev)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    opt_g = torch.optim.Adam(G.parameters(), lr=a.lr, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(D.parameters(), lr=a.d_lr, betas=(0.0, 0.99))
    gen = torch.Generator().manual_seed(a.seed)  # latents and flips, drawn on the CPU for any device
    rng = np.random.default_rng(a.seed)  # which real images
    fixed_z = torch.randn(32, a.latent, generator=torch.Generator().manual_seed(a.seed + 1000)).to(dev)
    step, history, seconds_before = 0, [], 0.0
    d_config = {"d_width": a.d_width, "d_cap": d_cap}
    if a.resume:
        ck = common.load_checkpoint(ckpt_path, G.config)
        for k, v in d_config.items():  # (a checkpoint written before d_config was recorded passes)
            if ck.get("d_config", {}).get(k, v) != v:
                raise SystemExit(f"--resume: checkpoint discriminator {ck['d_config']} differs from {d_config}")
        G.load_state_dict(ck["G"]), D.load_state_dict(ck["D"]), G_ema.load_state_dict(ck["G_ema"])
        opt_g.load_state_dict(ck["opt_g"]), opt_d.load_state_dict(ck["opt_d"])
        common.set_rng_states(ck, gen, rng)
        step, history, seconds_before = ck["step"], ck["history"], ck["seconds"]
        print(f"resumed at step {step} from {ckpt_path}", flush=True)

    t_start, step_start, cpu_start = time.time(), step, time.process_time()

    def seconds():  # training wall time over all runs (resumes included)
        return seconds_before + time.time() - t_start

    def save_checkpoint():
        common.save_checkpoint(ckpt_path, {
            "config": G.config, "d_config": d_config, "G": G.state_dict(), "D": D.state_dict(),
            "G_ema": G_ema.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            **common.rng_states(gen, rng), "step": step, "history": history, "seconds": seconds()})
        if history:
            common.write_history_csv(os.path.join(work, "history.csv"), history)

    def save_samples(path):
        with torch.no_grad():
            z = fixed_z.to(next(G_ema.parameters()).device)
            common.write_png(path, common.grid(to_u8(G_ema(z)), 8))

    g_params = sum(p.numel() for p in G.parameters())
    d_params = sum(p.numel() for p in D.parameters())
    print(f"generator {g_params:,} parameters, discriminator {d_params:,}; {len(data)} real images "
          f"{data.height}x{data.width}, output {size}x{size}; steps {step}..{a.steps}, batch {a.batch}", flush=True)
    prog = common.Progress(max(1, a.steps - step), "step")
    acc = {"d_loss": 0.0, "g_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
    n_acc = 0
    while step < a.steps and not a.snapshot:
        for _ in range(a.d_steps):
            real = real_batch(data, rng.integers(0, len(data), a.batch), dev, gen, size) * 2 - 1
            z = torch.randn(a.batch, a.latent, generator=gen).to(dev)
            fake = G(z) * 2 - 1
            d_real, d_fake = D(real), D(fake.detach())
            d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        g_loss = -D(fake).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        with torch.no_grad():
            beta = min(a.ema, (1 + step) / (10 + step))
            for pe, p in zip(G_ema.parameters(), G.parameters()):
                pe.lerp_(p, 1 - beta)
        step += 1
        for k, v in (("d_loss", d_loss), ("g_loss", g_loss), ("d_real", d_real.mean()), ("d_fake", d_fake.mean())):
            acc[k] += v.item()
        n_acc += 1
        prog.step(1, " ".join(f"{k} {v / n_acc:.3f}" for k, v in acc.items()))
        if step % 100 == 0 or step == a.steps:
            history.append({"step": step, **{k: v / n_acc for k, v in acc.items()}, "seconds": seconds()})
            acc, n_acc = {k: 0.0 for k in acc}, 0
        if step % a.sample_every == 0 or step == a.steps:
            save_samples(os.path.join(work, "samples", f"step_{step:07d}.png"))
        if step % a.ckpt_every == 0 or step == a.steps:
            save_checkpoint()
        if a.stop_after and step - step_start >= a.stop_after and step < a.steps:
            save_checkpoint()
            n, wall, cpu = step - step_start, time.time() - t_start, time.process_time() - cpu_start
            print(f"stopped after {n} steps (--stop-after): {wall / n:.3f} s/step "
                  f"(this process's CPU time {cpu / n:.3f} s/step); continue with --resume", flush=True)
            return
    run_steps, run_seconds = step - step_start, time.time() - t_start
    s_per_step = run_seconds / run_steps if run_steps else None

    # ------------------------------------------------------------ export
    if a.snapshot:
        os.makedirs(a.snapshot, exist_ok=True)
    base = os.path.join(a.snapshot or a.out, a.name)
    G_ema = G_ema.cpu().eval()
    save_samples(base + ".samples.png")
    if history:
        common.write_png(base + ".curves.png", curves.draw(history))
    torch.save({"config": G_ema.config, "state_dict": G_ema.state_dict()}, base + ".pt")
    refs = torch.randn(3, a.latent, generator=torch.Generator().manual_seed(a.seed + 2000))
    example = refs[:2]  # export with one batch size, check with another
    layers = {n: f"layers.{n}" for n in G_ema.layer_names()}
    meta = {"model": "generator", "latent": {"name": "z", "dim": a.latent, "distribution": "standard normal"},
            "output": {"name": "image", "layout": "NCHW", "range": [0, 1], "channels": "RGB"},
            "labels": data.labels, "layers": list(layers)}
    onnx_info = common.export_onnx(G_ema, example, base + ".onnx", "z", ["image"], layers, meta)
    image, acts = common.capture(G_ema, refs, layers)
    common.save_reference(base + ".ref", {"z": refs}, {"image": image, **acts})
    # a cheap sanity number: L1 distance of joint color histograms, 512 samples vs 512 real images
    with torch.no_grad():
        zs = torch.randn(512, a.latent, generator=torch.Generator().manual_seed(a.seed + 3000))
        fake_h = color_hist(torch.cat([G_ema(zs[i:i + 64]) for i in range(0, 512, 64)]))
        pick = np.random.default_rng(a.seed + 3000).choice(len(data), min(512, len(data)), replace=False)
        real_h = color_hist(real_batch(data, pick, "cpu", torch.Generator().manual_seed(0), size))
    table = common.layer_table(G_ema, example, [f"layers.{n}" for n in layers] + ["output"])
    table[-1]["name"] = "output (image)"
    metrics = {
        "model": "generator", "name": a.name, "command": common.command_line(), "seconds": seconds(),
        "torch": torch.__version__, "threads": a.threads, "device": dev, "seed": a.seed,
        "data": {"train": data.describe()},
        "architecture": {"params": g_params, "discriminator_params": d_params, "layers": table,
                         "latent": a.latent, **({"width": a.width} if widths is None else {}),
                         "widths": [r["shape"][0] for r in table[:-1]], "d_width": a.d_width, "d_cap": d_cap,
                         "output_px": size,
                         "notes": "ProGAN-shaped generator, pixel norm + leaky ReLU 0.2; exported weights are the EMA"},
        "training": {"steps": a.steps, "batch": a.batch, "loss": "hinge", "discriminator": "spectral norm, minibatch stddev",
                     "optimizer": "Adam betas (0, 0.99)", "lr": a.lr, "d_lr": a.d_lr, "d_steps": a.d_steps, "ema": a.ema, "augment": "hflip of real images",
                     "progressive": False},
        "history": history,
        "metrics": {"steps": step, **({"s_per_step_last_run": s_per_step} if s_per_step else {}),
                    **({"snapshot": f"step {step} of a run of {a.steps} steps"} if a.snapshot else {}),
                    "final_d_loss": history[-1]["d_loss"] if history else None,
                    "final_g_loss": history[-1]["g_loss"] if history else None,
                    "color_hist_l1_vs_real": float((fake_h - real_h).abs().sum())},
        "onnx": onnx_info,
    }
    common.write_json(base + ".json", metrics)
    model_card.write(base + ".json")
    pace = f", {s_per_step:.3f} s/step" if s_per_step else ""
    print(f"wrote {base}.onnx / .json / .md / .pt / .samples.png / .curves.png; {step} steps{pace}", flush=True)


if __name__ == "__main__":
    common.run(main)
