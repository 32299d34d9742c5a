"""Draw a training history (per-epoch rows) as a PNG of line charts, with numpy only.

  /usr/bin/python3 zoo/train/curves.py zoo/runs/classifier-v2/classifier.work/history.csv OUT.png

One panel per group of series, chosen by the history's columns: the classifier's losses and
accuracies, the segmenter's losses and per-head val mean IoU, or the GAN's hinge losses and its
discriminator's mean outputs on real and generated images. Epochs (the GAN: steps) on x, each
panel's y axis from 0 (or its smallest value, when below 0, with a grey line at 0) to its largest
(accuracies and IoU from 0 to 1), light grid lines at tenths. Colors are fixed per series and
listed by `legend(rows)`, which the model card prints beside the picture (there is no font here
to write labels into the image).
"""
import csv
import sys

import numpy as np

import common

RED, BLUE, GREEN, ORANGE = (214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14)
CLASSIFIER = [("loss", ["train_loss", "val_loss"]), ("accuracy", ["train_acc", "val_acc"])]
SEGMENTER = [("loss", ["train_loss", "val_loss"]),
             ("accuracy", ["val_miou_object", "val_miou_part", "val_miou_material"])]
GAN = [("loss", ["d_loss", "g_loss"]), ("outputs", ["d_real", "d_fake"])]
COLORS = {"train_loss": RED, "val_loss": BLUE, "train_acc": RED, "val_acc": BLUE,
          "val_miou_object": BLUE, "val_miou_part": GREEN, "val_miou_material": ORANGE,
          "d_loss": RED, "g_loss": BLUE, "d_real": GREEN, "d_fake": ORANGE}


def panels(rows):
    if rows and "val_miou_object" in rows[0]:
        return SEGMENTER
    return GAN if rows and "d_loss" in rows[0] else CLASSIFIER


def legend(rows=None):
    """The card's key to the picture of `rows`."""
    if panels(rows) is GAN:
        return ("left: hinge losses, red: discriminator, blue: generator; right: the discriminator's "
                "mean output, green: on real images, orange: on generated ones; both axes from their "
                "smallest value (or 0; a grey line marks 0) to their largest; x: training steps, one "
                "point per 100 steps (each the mean of those steps); grid lines at tenths of each axis")
    if panels(rows) is SEGMENTER:
        return ("left: loss (sum of the three heads' cross-entropies), red: training, blue: validation; "
                "right: val mean IoU (0 to 1), blue: objects, green: parts, orange: materials; "
                "x: epochs 1 to the last; grid lines at tenths of each axis")
    return ("left: loss, right: accuracy (0 to 1); red: training, blue: validation; "
            "x: epochs 1 to the last; grid lines at tenths of each axis")


def _line(img, x0, y0, x1, y1, color):
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    for t in np.linspace(0, 1, n * 2):
        x, y = int(round(x0 + (x1 - x0) * t)), int(round(y0 + (y1 - y0) * t))
        img[max(0, y - 1):y + 1, max(0, x - 1):x + 1] = color


def draw(rows, width=320, height=200, pad=12):
    """An H x W x 3 picture of the rows' series, panel by panel side by side."""
    chosen = panels(rows)
    img = np.full((height, width * len(chosen), 3), 255, np.uint8)
    epochs = [int(r["step" if chosen is GAN else "epoch"]) for r in rows]
    for p, (kind, keys) in enumerate(chosen):
        x_off = p * width
        values = [float(r[k]) for r in rows for k in keys]
        # Each axis spans 0 too, so the zero line is always inside it.
        top = 1.0 if kind == "accuracy" else max(0.0, max(values)) or 1.0
        low = 0.0 if kind == "accuracy" else min(0.0, min(values))
        fx = lambda e: x_off + pad + (width - 2 * pad) * ((e - epochs[0]) / max(1, epochs[-1] - epochs[0]))
        fy = lambda v: height - pad - (height - 2 * pad) * ((v - low) / (top - low))
        for t in range(11):
            y = int(fy(low + (top - low) * t / 10))
            img[y, x_off + pad:x_off + width - pad] = (225, 225, 225)
        if low < 0:  # the zero line, where values go below it
            img[int(fy(0.0)), x_off + pad:x_off + width - pad] = (150, 150, 150)
        img[pad:height - pad, x_off + pad] = (0, 0, 0)
        img[height - pad, x_off + pad:x_off + width - pad] = (0, 0, 0)
        for k in keys:
            pts = [(fx(e), fy(float(r[k]))) for e, r in zip(epochs, rows)]
            for (a, b), (c, d) in zip(pts, pts[1:]):
                _line(img, a, b, c, d, COLORS[k])
            for a, b in pts:
                img[int(b) - 2:int(b) + 3, int(a) - 2:int(a) + 3] = COLORS[k]
    return img


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"{src}: no epochs yet")
    common.write_png(out, draw(rows))
    print(f"wrote {out} ({len(rows)} epochs)")


if __name__ == "__main__":
    main()
