"""Write a small FAKE split in the world exporter's format (data/split_format.ts),
to test the training scripts in seconds without rendering the world. Images are
colored blobs on a gradient sky/ground; the scene class decides which objects
appear, so the classifier and the segmenter have something learnable.

  /usr/bin/python3 zoo/train/fake_split.py --out /tmp/fake/train --count 256 --seed 1
  /usr/bin/python3 zoo/train/fake_split.py --out /tmp/fake/val --count 128 --seed 2
  /usr/bin/python3 zoo/train/fake_split.py --out /tmp/fake/church --split church --count 256 --seed 3

Halfbox encoding as dissection/half_parts.ts defines it: bit 1 top, 2 bottom,
4 left, 8 right half of each object's bounding box.
"""
import argparse
import json
import os

import numpy as np

N_SCENES, N_OBJECTS, N_PARTS, N_MATERIALS = 14, 35, 45, 21
COLORS = ["black", "white", "gray", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--split", default="train", choices=["train", "val", "objects", "church"])
    ap.add_argument("--count", type=int, default=256)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    vocab = np.random.default_rng(0)  # the same world for every split
    obj_color = vocab.integers(0, 256, (N_OBJECTS, 3))
    obj_material = vocab.integers(1, N_MATERIALS, N_OBJECTS)
    scene_objects = [vocab.choice(np.arange(2, N_OBJECTS), 4, replace=False) for _ in range(N_SCENES)]
    sky = vocab.integers(0, 256, (N_SCENES, 2, 3))
    labels = [f"scene{i}" for i in range(N_SCENES)] if a.split != "church" else ["church_outdoor"]
    n, s = a.count, a.size
    images = np.zeros((n, s, s, 3), np.uint8)
    lab = rng.integers(0, len(labels), n).astype(np.uint8)
    obj = np.zeros((n, s, s), np.uint8)
    part = np.zeros_like(obj)
    mat = np.zeros_like(obj)
    half = np.zeros_like(obj)
    yy, xx = np.mgrid[0:s, 0:s]
    for i in range(n):
        c = int(lab[i]) if a.split != "church" else 7
        t = (yy / s)[..., None]
        img = sky[c, 0] * (1 - t) + sky[c, 1] * t
        obj[i] = np.where(yy < s // 2, 1, 28)  # sky above, ground below
        for _ in range(rng.integers(1, 4)):
            o = int(rng.choice(scene_objects[c]))
            h, w = rng.integers(s // 6, s // 2, 2)
            y0, x0 = rng.integers(0, s - h), rng.integers(0, s - w)
            ellipse = ((yy - y0 - h / 2) / (h / 2)) ** 2 + ((xx - x0 - w / 2) / (w / 2)) ** 2 <= 1
            m = ellipse if o % 2 else (yy >= y0) & (yy < y0 + h) & (xx >= x0) & (xx < x0 + w)
            img[m] = obj_color[o] + rng.normal(0, 12, (m.sum(), 3))
            obj[i][m] = o
            mat[i][m] = obj_material[o]
            top = m & (yy < y0 + h / 2)
            part[i][m] = 0
            part[i][top] = 1 + o % (N_PARTS - 1)
            half[i][m] = 0
            half[i][top] |= 1
            half[i][m & ~top] |= 2
            half[i][m & (xx < x0 + w / 2)] |= 4
            half[i][m & (xx >= x0 + w / 2)] |= 8
        images[i] = np.clip(img + rng.normal(0, 6, img.shape), 0, 255)
    os.makedirs(a.out, exist_ok=True)
    if os.path.exists(os.path.join(a.out, "meta.json")):
        os.remove(os.path.join(a.out, "meta.json"))
    for name, arr in [("images", images), ("labels", lab), ("object", obj), ("part", part),
                      ("material", mat), ("halfbox", half)]:
        arr.tofile(os.path.join(a.out, f"{name}.u8"))
    meta = {"format": "dissect-world-split/1", "split": a.split, "count": n, "height": s, "width": s,
            "seed": a.seed, "labels": labels, "objects": ["none"] + [f"object{i}" for i in range(1, N_OBJECTS)],
            "parts": ["none"] + [f"part{i}" for i in range(1, N_PARTS)],
            "materials": ["none"] + [f"material{i}" for i in range(1, N_MATERIALS)], "colors": COLORS,
            "fake": True}
    with open(os.path.join(a.out, "meta.json"), "w") as f:  # last, like the exporter
        json.dump(meta, f, indent=1)
    print(f"wrote {n} fake {a.split} images of {s}x{s} to {a.out}")


if __name__ == "__main__":
    main()
