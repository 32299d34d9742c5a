/**
 * The paper's model recipes, run here on stand-ins: a seeded random
 * checkpoint of the released format's key names and shapes (widths divided
 * so the test stays small) is loaded, exported to ONNX and checked against
 * PyTorch in onnxruntime-node, and the pipeline's own readers accept the
 * result. Needs Debian's python3-torch and python3-onnx (`/usr/bin/python3`,
 * which `.ci/run` installs); without them the tests say so and are ignored.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { scratchDir } from "../../tests/helpers.ts";
import { PY, pythonHas, runCommand } from "../../tests/python.ts";
import { inspectBytes, readModelBytes } from "../../onnx/model.ts";
import { classifierFor } from "../../onnx/classifier.ts";
import { Generator } from "../../onnx/generator.ts";

const HERE = new URL(".", import.meta.url).pathname;

const torch = pythonHas("zoo/paper/convert_test.ts", ["torch", "onnx"], [
  "python3-torch",
  "python3-onnx",
]);
const run = runCommand;

const VGG = join(HERE, "convert_vgg16.py");

/**
 * Converts a stand-in with `script` into `dir` and checks the ONNX file
 * (`name`) against PyTorch in onnxruntime-node; returns its path.
 */
async function convertedStandIn(
  script: string,
  args: string[],
  dir: string,
  name: string,
): Promise<string> {
  const made = await run(PY, [script, "--stand-in", ...args, "--out", dir]);
  assert(made.ok, made.out);
  const model = join(dir, name);
  const check = await run(Deno.execPath(), [
    "run",
    "-A",
    join(HERE, "../train/check_ort.ts"),
    model,
  ]);
  assert(check.ok, check.out);
  assertMatch(check.out, /onnxruntime agrees with torch/);
  return model;
}

Deno.test({
  name:
    "VGG-16 (Places365): a stand-in checkpoint converts, agrees with PyTorch, and reads as a 365-class classifier",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    const model = await convertedStandIn(
      VGG,
      ["--width-div", "16"],
      tmp.path,
      "vgg16_places365.onnx",
    );
    const info = inspectBytes(model, await readModelBytes(model));
    for (const layer of ["conv1_1", "conv3_3", "conv5_3", "fc6", "fc7"]) {
      assert(info.tensors.includes(layer), layer);
    }
    const names = Array.from(
      { length: 365 },
      (_, i) => info.metadata.labels && JSON.parse(info.metadata.labels)[i],
    );
    // Named as the paper's class folders: "/a/stand_in_class_000" is "stand_in_class_000".
    assertEquals(names[0], "stand_in_class_000");
    const opened = classifierFor(model, await readModelBytes(model), {
      labels: names.slice(0, 3),
      height: 224,
      width: 224,
    });
    assertEquals(opened.classes.length, 365);
    assertEquals(opened.pre.mean, [0.485, 0.456, 0.406]);
  },
});

Deno.test({
  name:
    "VGG-16 (Places365): torchvision's own key names load alike; a checkpoint missing a key is refused naming it",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    const made = await run(PY, [VGG, "--stand-in", "--width-div", "16", "--out", tmp.path]);
    assert(made.ok, made.out);
    const ckpt = join(tmp.path, "stand-in-vgg16_places365-div16.pth");
    const labels = join(tmp.path, "stand-in-categories_places365.txt");
    // The same weights under torchvision's indices, in a {"state_dict": ...} wrapper with "module.".
    const renamed = join(tmp.path, "torchvision.pth"), broken = join(tmp.path, "broken.pth");
    const script = [
      "import sys, torch",
      `sys.path.insert(0, ${JSON.stringify(HERE)})`,
      "import convert_vgg16 as c",
      "s = torch.load(sys.argv[1])",
      "back = {v: k for k, v in c.TORCHVISION.items()}",
      "out = {}",
      "for k, v in s.items():",
      "    m, _, p = k.rpartition('.')",
      "    out['module.' + back.get(m, m) + '.' + p] = v",
      "assert any(k.startswith('module.features.28.') for k in out)",
      "torch.save({'state_dict': out}, sys.argv[2])",
      "del s['features.conv5_3.weight']",
      "torch.save(s, sys.argv[3])",
    ].join("\n");
    const r = await run(PY, ["-c", script, ckpt, renamed, broken]);
    assert(r.ok, r.out);
    const again = join(tmp.path, "again");
    const viaTorchvision = await run(PY, [
      VGG,
      "--checkpoint",
      renamed,
      "--labels",
      labels,
      "--out",
      again,
    ]);
    assert(viaTorchvision.ok, viaTorchvision.out);
    const logits = (dir: string) => Deno.readFile(join(dir, "vgg16_places365.ref", "logits.f32"));
    assertEquals(await logits(again), await logits(tmp.path));
    const bad = await run(PY, [
      VGG,
      "--checkpoint",
      broken,
      "--labels",
      labels,
      "--out",
      join(tmp.path, "bad"),
    ]);
    assertEquals(bad.ok, false);
    assertMatch(
      bad.out,
      /^error: .*broken\.pth is not the released VGG-16 \(Places365\) state_dict: missing features\.conv5_3\.weight/m,
    );
  },
});

const GAN = join(HERE, "convert_progan.py");

Deno.test({
  name:
    "Progressive GAN: a stand-in checkpoint converts, agrees with PyTorch, and samples 256-px images in the pipeline's reader",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    // Widths over 8 (4 channels at 256 px): with 2, pixel norm of near-zero maps magnifies
    // float rounding past check_ort's tolerance; the full-size model has 32.
    const model = await convertedStandIn(GAN, ["--width-div", "8"], tmp.path, "gan_church.onnx");
    const info = inspectBytes(model, await readModelBytes(model));
    assertEquals(
      JSON.parse(info.metadata.layers),
      Array.from({ length: 15 }, (_, i) => `layer${i + 1}`),
    );
    const g = await Generator.open(model, await readModelBytes(model), 1);
    try {
      assertEquals(g.latent, 512);
      const { data, size } = await g.generate(new Float32Array(512).fill(0.5), 1);
      assertEquals(size, 256);
      assert(data.every(Number.isFinite));
    } finally {
      await g.release();
    }
  },
});

Deno.test({
  name:
    "Progressive GAN: the older key layout loads alike; a checkpoint missing a key is refused naming it",
  ignore: !torch,
  async fn() {
    await using tmp = await scratchDir();
    const made = await run(PY, [GAN, "--stand-in", "--width-div", "8", "--out", tmp.path]);
    assert(made.ok, made.out);
    const ckpt = join(tmp.path, "stand-in-gan_church-div8.pth");
    const older = join(tmp.path, "older.pth"), broken = join(tmp.path, "broken.pth");
    const script = [
      "import sys, torch",
      "s = torch.load(sys.argv[1])",
      "out = {}",
      "for k, v in s.items():",
      "    head, _, rest = k.partition('.')",
      "    head = 'output' if head == 'output_256x256' else 'features.%d' % (int(head[5:]) - 1)",
      "    out[head + '.' + rest] = v",
      "torch.save({'state_dict': out}, sys.argv[2])",
      "del s['layer9.wscale.b']",
      "torch.save(s, sys.argv[3])",
    ].join("\n");
    const r = await run(PY, ["-c", script, ckpt, older, broken]);
    assert(r.ok, r.out);
    const again = join(tmp.path, "again");
    const viaOlder = await run(PY, [GAN, "--checkpoint", older, "--out", again]);
    assert(viaOlder.ok, viaOlder.out);
    const image = (dir: string) => Deno.readFile(join(dir, "gan_church.ref", "image.f32"));
    assertEquals(await image(again), await image(tmp.path));
    const bad = await run(PY, [GAN, "--checkpoint", broken, "--out", join(tmp.path, "bad")]);
    assertEquals(bad.ok, false);
    assertMatch(
      bad.out,
      /^error: .*broken\.pth is not the released Progressive GAN state_dict: missing layer9\.wscale\.b/m,
    );
  },
});
