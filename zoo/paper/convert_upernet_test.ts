/**
 * The paper's reference segmenter recipe (zoo/paper/convert_upernet.py), run
 * on stand-ins: seeded random checkpoints of the released key names and
 * shapes (widths over 16) and a small labels.json of the released structure
 * convert to ONNX, agree with PyTorch in onnxruntime-node and segment in the
 * pipeline's reader; the flat part output and the pyramid pooling are checked
 * against brute-force readings of what the paper's code does. Needs Debian's
 * python3-torch and python3-onnx (`/usr/bin/python3`); without them the tests
 * say so and are ignored.
 */
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { scratchDir } from "../../tests/helpers.ts";
import { PY, pythonHas, runCommand } from "../../tests/python.ts";
import { inspectBytes, readModelBytes } from "../../onnx/model.ts";
import { Segmenter } from "../../dissection/segmenter.ts";

const HERE = new URL(".", import.meta.url).pathname;
const CONVERT = join(HERE, "convert_upernet.py");
const NAME = "upp_resnet50_upernet";
const STAND_IN = "stand-in-upp-resnet50-upernet-div16";

const torch = pythonHas("zoo/paper/convert_upernet_test.ts", ["torch", "onnx"], [
  "python3-torch",
  "python3-onnx",
]);
const run = runCommand;

/** A Python script run with the converter importable as `c`; what it prints last, as JSON. */
async function python(lines: string[], ...args: string[]) {
  const script = ["import sys, json, torch", `sys.path.insert(0, ${JSON.stringify(HERE)})`]
    .concat("import convert_upernet as c", lines).join("\n");
  const r = await run(PY, ["-c", script, ...args]);
  assert(r.ok, r.out);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function floats(path: string): Promise<Float32Array> {
  const b = await Deno.readFile(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** Per-pixel argmax over axis 1 of [n, k, h, w] (first of equal maxima). */
function argmax(data: Float32Array, [n, k, h, w]: number[]): Int32Array {
  const px = h * w, out = new Int32Array(n * px);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < px; p++) {
      let best = 0, top = data[i * k * px + p];
      for (let c = 1; c < k; c++) {
        const v = data[(i * k + c) * px + p];
        if (v > top) [best, top] = [c, v];
      }
      out[i * px + p] = best;
    }
  }
  return out;
}

type LabelFile = { object: string[]; object_part: Record<string, string[]> };

/** What the paper's code reads from labels.json, worked out here on its own. */
function partLayout(labels: LabelFile) {
  const objects = new Set(labels.object);
  const parts = ["-"];
  for (const list of Object.values(labels.object_part)) {
    for (const p of list) if (p !== "-" && !objects.has(p) && !parts.includes(p)) parts.push(p);
  }
  const owners = Object.keys(labels.object_part)
    .map((name) => ({ id: labels.object.indexOf(name), list: labels.object_part[name], at: 0 }))
    .sort((a, b) => a.id - b.id);
  let at = 0;
  for (const o of owners) [o.at, at] = [at, at + o.list.length];
  return { parts, owners, width: at };
}

Deno.test({
  name:
    "UPerNet (Broden+): a stand-in converts, agrees with PyTorch at two sizes, and segments in the pipeline's reader as PyTorch does",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    const made = await run(PY, [
      CONVERT,
      "--stand-in",
      "--width-div",
      "16",
      "--small-labels",
      "--ref-sizes",
      "64,96",
      "--out",
      tmp.path,
    ]);
    assert(made.ok, made.out);
    const model = join(tmp.path, `${NAME}.onnx`), ref = join(tmp.path, `${NAME}.ref`);
    for (const index of [join(ref, "index.json"), join(ref, "px96", "index.json")]) {
      const check = await run(Deno.execPath(), [
        "run",
        "-A",
        join(HERE, "../train/check_ort.ts"),
        model,
        index,
      ]);
      assert(check.ok, check.out);
      assertMatch(check.out, /onnxruntime agrees with torch/);
    }
    const labels: LabelFile = JSON.parse(
      await Deno.readTextFile(join(tmp.path, STAND_IN, "labels.json")),
    );
    const layout = partLayout(labels);
    const bytes = await readModelBytes(model);
    const meta = inspectBytes(model, bytes).metadata;
    assertEquals(JSON.parse(meta.objects), labels.object);
    assertEquals(JSON.parse(meta.parts), layout.parts);
    assertEquals(JSON.parse(meta.preprocess).mean, [122.7717, 115.9465, 102.9801]);
    assertEquals(meta.size_multiple, "32");

    const odd = await Segmenter.open(model, bytes, 48, 1).catch((e) => e);
    assertMatch(String(odd), /multiples of 32/);
    const seg = await Segmenter.open(model, bytes, 64, 1);
    try {
      assertEquals(seg.labels.object.length, 20);
      assertEquals(seg.labels.material.length, 6);
      assertEquals(seg.labels.part, layout.parts);
      // The reference batch's bytes (its input is bytes minus the mean), through the pipeline.
      const image = await floats(join(ref, "image.f32"));
      const n = 2, px = 64 * 64, mean = [122.7717, 115.9465, 102.9801];
      const rgb = new Uint8Array(n * px * 3);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) {
          for (let p = 0; p < px; p++) {
            rgb[(i * px + p) * 3 + c] = Math.round(image[(i * 3 + c) * px + p] + mean[c]);
          }
        }
      }
      const { planes, maps } = await seg.segment(rgb, n);
      assertEquals(planes.length, n * 5 * px);
      const k = { object: 20, part: layout.parts.length, material: 6 };
      for (const head of ["object", "part", "material"] as const) {
        const want = argmax(await floats(join(ref, `${head}.f32`)), [n, k[head], 64, 64]);
        assertEquals(Array.from(maps[head]), Array.from(want), head);
      }
      // Parts only on their owners, and only their owners' parts.
      const owned = new Map(layout.owners.map((o) => [o.id, o.list]));
      let parts = 0;
      for (let p = 0; p < n * px; p++) {
        const part = maps.part[p];
        if (!part) continue;
        parts++;
        assert(owned.get(maps.object[p])?.includes(layout.parts[part]), `pixel ${p}`);
      }
      assert(parts > 100 && new Set(maps.part).size > 2, "the stand-in predicts a few parts");
    } finally {
      await seg.release();
    }
  },
});

Deno.test({
  name:
    "UPerNet (Broden+): the flat part output's argmax is the predicted owner's most probable part, as a brute-force reading of labels.json says",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    const made = await python([
      "out = sys.argv[1]",
      "data = c.stand_in_labels(c.SMALL_LABELS, 3)",
      "# Owners listed out of object order: blocks follow object order, part numbers the file's",
      "data['object_part'] = dict(reversed(list(data['object_part'].items())))",
      "json.dump(data, open(out + '/labels.json', 'w'))",
      "labels = c.Labels(data, 'labels')",
      "g = torch.Generator().manual_seed(5)",
      "obj = torch.randn(3, len(labels.objects), 12, 12, generator=g)",
      "obj[:, labels.owner_ids] += 1.5  # owners win half the pixels",
      "part = torch.randn(3, labels.part_width, 12, 12, generator=g) * 2",
      "class Flat(torch.nn.Module):",
      "    def __init__(self, group):",
      "        super().__init__()",
      "        self.f = c.PartFlattener(labels, group)",
      "    def forward(self, o, p):",
      "        return self.f(o, p, o.shape[2:])",
      "# Owners a few at a time (as the full-size model's 427 channels go) and all at once",
      "m, whole = Flat(5), Flat(1000)",
      "assert len(m.f.groups) > 2 and len(whole.f.groups) == 1",
      "with torch.no_grad():",
      "    flat = m(obj, part)",
      "    assert torch.equal(flat, whole(obj, part))",
      "axes = {0: 'batch', 2: 'height', 3: 'width'}",
      "torch.onnx.export(m, (obj[:1], part[:1]), out + '/flat.onnx', opset_version=17,",
      "    input_names=['o', 'p'], output_names=['flat'], dynamic_axes={'o': axes, 'p': axes})",
      "for name, t in (('obj', obj), ('part', part), ('flat', flat)):",
      "    t.numpy().tofile(out + '/' + name + '.f32')",
      "print(json.dumps({'flat': list(flat.shape)}))",
    ], tmp.path);
    const labels: LabelFile = JSON.parse(await Deno.readTextFile(join(tmp.path, "labels.json")));
    const { parts, owners, width } = partLayout(labels);
    const n = 3, h = 12, px = h * h, objects = labels.object.length;
    assertEquals(made.flat, [n, parts.length, h, h]);
    const obj = await floats(join(tmp.path, "obj.f32"));
    const part = await floats(join(tmp.path, "part.f32"));
    const want = new Int32Array(n * px);
    const seen = { notOwner: 0, dash: 0, objectNamed: 0, part: 0 };
    const winner = argmax(obj, [n, objects, h, h]);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < px; p++) {
        const owner = owners.find((o) => o.id === winner[i * px + p]);
        if (!owner) {
          seen.notOwner++;
          continue;
        }
        let best = 0;
        const at = (j: number) => part[(i * width + owner.at + j) * px + p];
        for (let j = 1; j < owner.list.length; j++) if (at(j) > at(best)) best = j;
        const name = owner.list[best];
        want[i * px + p] = Math.max(0, parts.indexOf(name));
        if (name === "-") seen.dash++;
        else if (labels.object.includes(name)) seen.objectNamed++;
        else seen.part++;
      }
    }
    // Every case of the rule shows up in the random logits.
    assert(Object.values(seen).every((v) => v > 5), JSON.stringify(seen));
    const dims = [n, parts.length, h, h];
    assertEquals(Array.from(argmax(await floats(join(tmp.path, "flat.f32")), dims)), [...want]);
    const session = await ort.InferenceSession.create(join(tmp.path, "flat.onnx"));
    try {
      const got = await session.run({
        o: new ort.Tensor("float32", obj, [n, objects, h, h]),
        p: new ort.Tensor("float32", part, [n, width, h, h]),
      });
      assertEquals(Array.from(argmax(got.flat.data as Float32Array, dims)), [...want]);
    } finally {
      await session.release();
    }
  },
});

Deno.test({
  name:
    "UPerNet (Broden+): the pyramid pooling's matrix form equals a port of Precise RoI Pooling's CUDA loops, which adaptive average pooling does not",
  ignore: !torch,
  async fn() {
    // The kernel's loops for the whole-map RoI (0, 0, W, H): per bin, per unit cell it overlaps,
    // the integral of the cell's bilinear interpolant (0 outside the map), over the bin's area.
    const made = await python([
      "import math",
      "def at(f, y, x):",
      "    return f[y][x] if 0 <= y < len(f) and 0 <= x < len(f[0]) else 0.0",
      "def cell(f, sh, sw, eh, ew, y0, x0, y1, x1):",
      "    def i(a, b): return b - 0.5 * b * b - a + 0.5 * a * a",
      "    return (at(f, sh, sw) * i(x0 - sw, x1 - sw) * i(y0 - sh, y1 - sh)",
      "            + at(f, sh, ew) * i(ew - x1, ew - x0) * i(y0 - sh, y1 - sh)",
      "            + at(f, eh, sw) * i(x0 - sw, x1 - sw) * i(eh - y1, eh - y0)",
      "            + at(f, eh, ew) * i(ew - x1, ew - x0) * i(eh - y1, eh - y0))",
      "def prroi(f, k):",
      "    H, W = len(f), len(f[0])",
      "    bh, bw = H / k, W / k",
      "    out = [[0.0] * k for _ in range(k)]",
      "    for ph in range(k):",
      "        for pw in range(k):",
      "            h0, w0 = ph * bh, pw * bw",
      "            h1, w1 = h0 + bh, w0 + bw",
      "            s = 0.0",
      "            for x in range(math.floor(w0), math.ceil(w1)):",
      "                for y in range(math.floor(h0), math.ceil(h1)):",
      "                    s += cell(f, y, x, y + 1, x + 1, max(h0, y), max(w0, x), min(h1, y + 1), min(w1, x + 1))",
      "            out[ph][pw] = s / (bh * bw)",
      "    return out",
      "g = torch.Generator().manual_seed(1)",
      "worst, adaptive = 0.0, 0.0",
      "for H, W in ((1, 1), (2, 2), (2, 3), (4, 4), (5, 9), (7, 7), (8, 8), (12, 6)):",
      "    f = torch.randn(2, 3, H, W, generator=g, dtype=torch.float64)",
      "    for k in c.BINS:",
      "        got = c.PrecisePool(k)(f)",
      "        want = torch.tensor([[prroi(f[b, ch].tolist(), k) for ch in range(3)] for b in range(2)], dtype=torch.float64)",
      "        worst = max(worst, (got - want).abs().max().item())",
      "        adaptive = max(adaptive, (torch.nn.functional.adaptive_avg_pool2d(f, k) - want).abs().max().item())",
      "    f32 = f.float()",
      "    worst = max(worst, (c.PrecisePool(6)(f32).double() - c.PrecisePool(6)(f)).abs().max().item())",
      "print(json.dumps({'worst': worst, 'adaptive': adaptive}))",
    ]);
    const { worst, adaptive } = made;
    assert(worst < 1e-5, `the matrix form is off by ${worst}`);
    assert(adaptive > 0.1, `adaptive average pooling is off by only ${adaptive}`);
  },
});

Deno.test({
  name:
    "UPerNet (Broden+): wrapped, prefixed checkpoints load alike; a missing key or a head of the wrong class count is refused naming it",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    const dir = join(tmp.path, "released");
    const made = await python([
      "d = sys.argv[1]",
      "src = c.write_stand_in(d, 16, True, 1)",
      "enc = torch.load(src + '/encoder_epoch_40.pth')",
      "dec = torch.load(src + '/decoder_epoch_40.pth')",
      "import os, shutil",
      "def folder(name, e, dd):",
      "    os.makedirs(d + '/' + name)",
      "    torch.save(e, d + '/' + name + '/encoder_epoch_40.pth')",
      "    torch.save(dd, d + '/' + name + '/decoder_epoch_40.pth')",
      "    shutil.copy(src + '/labels.json', d + '/' + name)",
      "# DataParallel's prefixes in a wrapper, without BatchNorm's counters",
      "wrap = lambda s: {'state_dict': {'module.' + k: v for k, v in s.items() if 'num_batches' not in k}}",
      "folder('wrapped', wrap(enc), wrap(dec))",
      "short = dict(enc)",
      "del short['layer3.2.conv2.weight']",
      "folder('missing', short, dec)",
      "narrow = dict(dec)",
      "narrow['object_head.1.weight'] = narrow['object_head.1.weight'][:19]",
      "narrow['object_head.1.bias'] = narrow['object_head.1.bias'][:19]",
      "folder('narrow', enc, narrow)",
      "extra = dict(dec)",
      "extra['ppm_pooling.0.weight'] = torch.zeros(1)",
      "folder('extra', enc, extra)",
      "paths = lambda name: {k: d + '/' + name + '/' + f for k, f in c.RELEASED.items()}",
      "a, b = c.load_model(paths(src.rsplit('/', 1)[1]))[0], c.load_model(paths('wrapped'))[0]",
      "sa, sb = a.state_dict(), b.state_dict()",
      "same = all(torch.equal(sa[k], sb[k]) for k in sa if 'num_batches' not in k)",
      "print(json.dumps({'same': same, 'keys': len(sa)}))",
    ], dir);
    assert(made.same, JSON.stringify(made));
    const [missing, narrow, extra] = await Promise.all(
      ["missing", "narrow", "extra"].map(async (name) => {
        const r = await run(PY, [CONVERT, "--dir", join(dir, name), "--out", join(tmp.path, name)]);
        assertEquals(r.ok, false, r.out);
        return r.out;
      }),
    );
    assertMatch(
      missing,
      /^error: .*missing\/encoder_epoch_40\.pth is not the released UPerNet encoder \(ResNet-50\) state_dict: missing layer3\.2\.conv2\.weight$/m,
    );
    assertMatch(
      narrow,
      /^error: .*narrow\/decoder_epoch_40\.pth: object_head\.1\.weight has 19 classes but .*labels\.json gives 20 \(its object list\)$/m,
    );
    assertMatch(
      extra,
      /^error: .*extra\/decoder_epoch_40\.pth is not the released UPerNet decoder state_dict: unexpected ppm_pooling\.0\.weight$/m,
    );
  },
});
