"""Write a model card (markdown) from a training script's metrics JSON.

  /usr/bin/python3 zoo/train/model_card.py zoo/models/classifier.json [--out zoo/models/classifier.md]

The training scripts call this themselves at the end; run it again after moving
or re-checking a model. The ONNX digest is recomputed from the file beside the JSON.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import curves  # noqa: E402


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, (list, dict)):
        return "`" + json.dumps(v) + "`"
    return str(v)


def render(m, onnx_path):
    arch, out = m["architecture"], []
    add = out.append
    add(f"# Model card: {m['name']} ({m['model']})\n")
    add(f"- parameters: **{arch['params']:,}** (as exported)")
    add(f"- input: `{m['onnx']['input']['name']}` {m['onnx']['input']['shape']}")
    if "preprocess" in m:
        p = m["preprocess"]
        add(f"- preprocessing: RGB in {p['range']}, minus mean {p['mean']}, divided by std {p['std']}, {p['layout']}")
    for k, v in arch.items():
        if k not in ("params", "layers"):
            add(f"- {k}: {_fmt(v)}")
    add("\n## Architecture\n")
    add("| layer | output shape (C, H, W) | parameters |")
    add("|---|---|---|")
    for row in arch["layers"]:
        add(f"| {row['name']} | {' x '.join(map(str, row['shape']))} | {row['params']:,} |")
    add("\n## Data\n")
    for role, d in m["data"].items():
        add(f"- {role}: " + ", ".join(f"{k} {v}" for k, v in d.items()))
    add("\n## Training\n")
    add(f"```\n{m['command']}\n```\n")
    for k, v in m.get("training", {}).items():
        add(f"- {k}: {_fmt(v)}")
    add(f"- seed {m['seed']}, torch {m['torch']}, {m['threads']} threads, device {m['device']}")
    add(f"- wall time: {common.fmt_time(m['seconds'])}")
    curves_png = os.path.splitext(onnx_path)[0] + ".curves.png"
    if os.path.isfile(curves_png):
        add("\n## Training curves\n")
        add(f"![training curves]({os.path.basename(curves_png)})\n")
        add(curves.legend(m.get("history")))
    add("\n## Metrics\n")
    tables = {}
    for k, v in m["metrics"].items():
        if isinstance(v, dict):
            tables[k] = v
        else:
            add(f"- {k}: {_fmt(v)}")
    for k, table in tables.items():
        add(f"\n### {k}\n")
        add("| name | value |")
        add("|---|---|")
        for name, v in table.items():
            add(f"| {name} | {'n/a' if v is None else _fmt(v)} |")
    if m.get("history"):
        keys = list(m["history"][0])
        add("\n### History\n")
        add("| " + " | ".join(keys) + " |")
        add("|" + "---|" * len(keys))
        for row in m["history"]:
            add("| " + " | ".join(_fmt(row[k]) for k in keys) + " |")
    add("\n## ONNX\n")
    o = m["onnx"]
    digest = common.sha256(onnx_path) if os.path.isfile(onnx_path) else "(file missing)"
    add(f"- file: `{o['file']}`, {o['bytes']:,} bytes, opset {o['opset']}")
    add(f"- sha256: `{digest}`" + ("" if digest == o["sha256"] else f" (training run wrote `{o['sha256']}`)"))
    add(f"- metadata_props: {', '.join(o['metadata_keys'])}")
    add(f"- outputs: " + ", ".join(f"`{x['name']}` {x['shape']}" for x in o["outputs"]))
    return "\n".join(out) + "\n"


def write(metrics_path, out=None):
    with open(metrics_path) as f:
        m = json.load(f)
    onnx_path = os.path.join(os.path.dirname(metrics_path), m["onnx"]["file"])
    out = out or os.path.splitext(metrics_path)[0] + ".md"
    with open(out, "w") as f:
        f.write(render(m, onnx_path))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics")
    ap.add_argument("--out")
    a = ap.parse_args()
    print("wrote", write(a.metrics, a.out))


if __name__ == "__main__":
    main()
