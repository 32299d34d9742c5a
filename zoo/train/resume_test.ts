/**
 * Resumable training: a classifier or segmenter run stopped in the middle of
 * an epoch, or a GAN run stopped between steps, and resumed from its
 * checkpoint ends with the same weights as a run that was never stopped. The
 * segmenter's ONNX, exported from 32 px images, runs at 64, 112 and 224 px in
 * onnxruntime as in PyTorch. Needs Debian's python3-torch and python3-onnx
 * (`/usr/bin/python3`); without them the tests say so and are ignored.
 */
import { assertEquals } from "../../tests/assert.ts";
import { PY, pythonHas, runCommand } from "../../tests/python.ts";

const HERE = new URL(".", import.meta.url).pathname;

const torch = pythonHas("zoo/train/resume_test.ts", ["torch"], ["python3-torch", "python3-onnx"]);

async function run(cmd: string, args: string[]): Promise<string> {
  const r = await runCommand(cmd, args);
  if (!r.ok) throw new Error(`${args.join(" ")} failed:\n${r.out}`);
  return r.out;
}

const py = (args: string[]) => run(PY, args);

/** The largest difference between the weights under `keys` of two checkpoints. */
async function maxDiff(a: string, b: string, keys: string[]): Promise<number> {
  const out = await py([
    "-c",
    "import sys, torch\n" +
    "a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2])\n" +
    "print(max((a[k][n].float() - b[k][n].float()).abs().max().item()" +
    " for k in sys.argv[3].split(',') for n in a[k]))",
    a,
    b,
    keys.join(","),
  ]);
  return Number(out.trim().split("\n").at(-1));
}

Deno.test({
  name: "a classifier run stopped mid-epoch and resumed equals an uninterrupted run",
  ignore: !torch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "resume-test-" });
    try {
      await py([`${HERE}fake_split.py`, "--out", `${dir}/train`, "--count", "192", "--seed", "1"]);
      await py([`${HERE}fake_split.py`, "--out", `${dir}/val`, "--count", "64", "--seed", "2"]);
      const common = [
        `${HERE}train_classifier.py`,
        ...["--data", `${dir}/train`, "--val", `${dir}/val`, "--epochs", "2", "--batch", "32"],
        ...["--widths", "4,4,8,8,8", "--fc", "8", "--threads", "1"],
      ];
      await py([...common, "--out", `${dir}/whole`]);
      const first = await py([...common, "--out", `${dir}/split`, "--stop-after", "4"]);
      assertEquals(first.includes("stopped after 4 batches"), true, first);
      const second = await py([...common, "--out", `${dir}/split`, "--resume"]);
      assertEquals(second.includes("resumed at epoch 1, batch 4/"), true, second);
      // The last weights (the exported ones are the best epoch's, which may be an early one).
      const diff = await maxDiff(
        `${dir}/whole/classifier.work/checkpoint.pt`,
        `${dir}/split/classifier.work/checkpoint.pt`,
        ["model"],
      );
      assertEquals(diff, 0);
      // The history is kept as CSV and drawn, and the card shows the curves.
      const history = await Deno.readTextFile(`${dir}/split/classifier.work/history.csv`);
      assertEquals(history.trim().split("\n").length, 3, history);
      const png = await Deno.readFile(`${dir}/split/classifier.curves.png`);
      assertEquals([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
      const card = await Deno.readTextFile(`${dir}/split/classifier.md`);
      assertEquals(card.includes("![training curves](classifier.curves.png)"), true);
      // Fine-tuning starts from another run's best weights; other widths are refused by name.
      const init = `${dir}/whole/classifier.work/checkpoint.pt`;
      const tuned = await py([
        ...common,
        "--out",
        `${dir}/tuned`,
        "--init",
        init,
        "--stop-after",
        "1",
      ]);
      assertEquals(tuned.includes(`weights from ${init} (its best epoch`), true, tuned);
      const wrong = await runCommand(PY, [
        ...common.map((a) => a === "4,4,8,8,8" ? "4,4,8,8,16" : a),
        ...["--out", `${dir}/wrong`, "--init", init],
      ]);
      assertEquals(wrong.ok, false);
      assertEquals(wrong.out.includes(init), true, wrong.out);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a segmenter run stopped mid-epoch and resumed equals an uninterrupted run; " +
    "its ONNX runs at 64, 112 and 224 px as in torch",
  ignore: !torch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "resume-test-" });
    try {
      const fake = `${HERE}fake_split.py`;
      await py([fake, "--out", `${dir}/train`, "--count", "160", "--seed", "1", "--size", "32"]);
      await py([fake, "--out", `${dir}/val`, "--count", "48", "--seed", "2", "--size", "32"]);
      const common = [
        `${HERE}train_segmenter.py`,
        ...["--data", `${dir}/train`, "--val", `${dir}/val`, "--epochs", "2", "--batch", "16"],
        ...["--widths", "4,8,8", "--chunk", "8", "--threads", "1"],
      ];
      await py([...common, "--out", `${dir}/whole`, "--ref-sizes", ""]);
      const first = await py([...common, "--out", `${dir}/split`, "--stop-after", "4"]);
      assertEquals(first.includes("stopped after 4 batches"), true, first);
      const second = await py([...common, "--out", `${dir}/split`, "--resume"]);
      assertEquals(second.includes("resumed at epoch 1, batch 4/10"), true, second);
      const diff = await maxDiff(
        `${dir}/whole/segmenter.work/checkpoint.pt`,
        `${dir}/split/segmenter.work/checkpoint.pt`,
        ["model"],
      );
      assertEquals(diff, 0);
      const history = await Deno.readTextFile(`${dir}/split/segmenter.work/history.csv`);
      const lines = history.trim().split("\n");
      assertEquals(lines.length, 3, history);
      for (const h of ["object", "part", "material"]) {
        assertEquals(lines[0].split(",").includes(`val_miou_${h}`), true, lines[0]);
        assertEquals(lines[0].split(",").includes(`train_loss_${h}`), true, lines[0]);
      }
      const png = await Deno.readFile(`${dir}/split/segmenter.curves.png`);
      assertEquals([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
      const card = await Deno.readTextFile(`${dir}/split/segmenter.md`);
      assertEquals(card.includes("![training curves](segmenter.curves.png)"), true);
      assertEquals(card.includes("val mean IoU"), true);
      // Exported from 32 px with dynamic height and width: onnxruntime agrees with torch at
      // the training size and at 64, 112 and 224 px.
      const model = `${dir}/split/segmenter.onnx`;
      for (const ref of ["", "px64/", "px112/", "px224/"]) {
        const out = await run(Deno.execPath(), [
          ...[
            "run",
            "-A",
            `${HERE}check_ort.ts`,
            model,
            `${dir}/split/segmenter.ref/${ref}index.json`,
          ],
        ]);
        assertEquals(out.includes("onnxruntime agrees with torch"), true, out);
      }
      // Fine-tuning from an export: loaded, the net computes what the exported one did.
      const exported = `${dir}/whole/segmenter.onnx`;
      const same = await py([
        "-c",
        "import sys, torch\n" +
        `sys.path.insert(0, ${JSON.stringify(HERE)})\n` +
        "import train_segmenter as ts\n" +
        "ck = torch.load(sys.argv[1]); c = ck['config']\n" +
        "a = ts.UNet(c['widths'], c['classes']); a.load_state_dict(ck['state_dict']); a.eval()\n" +
        "b = ts.UNet(c['widths'], c['classes']); ts.load_exported(b, sys.argv[2], 4); b.eval()\n" +
        "x = torch.randn(2, 3, 32, 32)\n" +
        "print('gap', max((p - q).abs().max().item() for p, q in zip(a(x), b(x))))",
        `${dir}/whole/segmenter.pt`,
        exported,
      ]);
      const gap = Number(same.match(/^gap (\S+)$/m)?.[1]);
      assertEquals(gap < 1e-4, true, `loaded export differs by ${gap}`);
      const tuned = await py([
        ...common,
        ...["--out", `${dir}/tuned`, "--init-onnx", exported, "--stop-after", "1"],
      ]);
      assertEquals(tuned.includes(`weights from ${exported}, BatchNorm statistics frozen`), true);
      const wrong = await runCommand(PY, [
        ...common.map((a) => a === "4,8,8" ? "4,8,16" : a),
        ...["--out", `${dir}/wrong`, "--init-onnx", exported],
      ]);
      assertEquals(wrong.ok, false);
      assertEquals(wrong.out.trim().split("\n").at(-1)?.includes(exported), true, wrong.out);
      const missing = await runCommand(PY, [
        ...common,
        ...["--out", `${dir}/missing`, "--init-onnx", `${dir}/none.onnx`],
      ]);
      assertEquals(missing.out.trim(), `error: ${dir}/none.onnx: no such file`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a GAN run with per-layer widths and a resized output, stopped and resumed, " +
    "equals an uninterrupted run",
  ignore: !torch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "resume-test-" });
    try {
      const church = ["--out", `${dir}/church`, "--split", "church", "--count", "64"];
      await py([`${HERE}fake_split.py`, ...church, "--seed", "3", "--size", "24"]);
      const common = [
        `${HERE}train_gan.py`,
        ...["--data", `${dir}/church`, "--size", "16", "--widths", "32,32,32,32,16,16"],
        ...["--steps", "6", "--batch", "8", "--d-width", "8", "--d-cap", "32", "--threads", "1"],
        ...["--sample-every", "3", "--ckpt-every", "3"],
      ];
      await py([...common, "--out", `${dir}/whole`]);
      const first = await py([...common, "--out", `${dir}/split`, "--stop-after", "2"]);
      assertEquals(first.includes("stopped after 2 steps"), true, first);
      // A snapshot of the run as it stands: exported elsewhere, the run itself untouched
      // (the resumed run below still equals the uninterrupted one).
      await py([...common, "--out", `${dir}/split`, "--resume", "--snapshot", `${dir}/snap`]);
      const snap = await Deno.readTextFile(`${dir}/snap/gan_church.json`);
      assertEquals(JSON.parse(snap).metrics.steps, 2);
      const snapCard = await Deno.readTextFile(`${dir}/snap/gan_church.md`);
      assertEquals(snapCard.includes("step 2 of a run of"), true, snapCard);
      assertEquals(snapCard.includes("s_per_step_last_run"), false, snapCard); // no steps ran
      assertEquals((await Deno.stat(`${dir}/snap/gan_church.onnx`)).isFile, true);
      const second = await py([...common, "--out", `${dir}/split`, "--resume"]);
      assertEquals(second.includes("resumed at step 2"), true, second);
      const diff = await maxDiff(
        `${dir}/whole/gan_church.work/checkpoint.pt`,
        `${dir}/split/gan_church.work/checkpoint.pt`,
        ["G", "D", "G_ema"],
      );
      assertEquals(diff, 0);
      const card = await Deno.readTextFile(`${dir}/split/gan_church.md`);
      assertEquals(card.includes("| layer4 | 32 x 8 x 8 |"), true, card);
      assertEquals(card.includes("| output (image) | 3 x 16 x 16 |"), true, card);
      // The loss history (a row per 100 steps, and the last) is kept as CSV and drawn in the card.
      const history = await Deno.readTextFile(`${dir}/split/gan_church.work/history.csv`);
      assertEquals(history.split("\n")[0], "step,d_loss,g_loss,d_real,d_fake,seconds");
      assertEquals(history.trim().split("\n").length, 2, history);
      const png = await Deno.readFile(`${dir}/split/gan_church.curves.png`);
      assertEquals([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
      assertEquals(card.includes("![training curves](gan_church.curves.png)"), true, card);
      assertEquals(card.includes("green: on real images"), true, card);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "curves draw a GAN history whose values lie all below zero, or all at zero, inside the picture",
  ignore: !torch,
  async fn() {
    const out = await py([
      "-c",
      `import sys; sys.path.insert(0, ${JSON.stringify(HERE)}); import curves\n` +
      "rows = lambda r, f: [{'step': 100 * i, 'd_loss': 1.5, 'g_loss': 0.5, 'd_real': r, 'd_fake': f} for i in (1, 2)]\n" +
      "for r, f in ((-0.1, -0.15), (0.0, 0.0)):\n" +
      "    img = curves.draw(rows(r, f))\n" +
      "    print(img.shape, int((img[:, 320:] == 150).all(axis=2).sum() > 0))",
    ]);
    // Both pictures drawn; the first has its grey zero line (the second spans 0 to 1: no line).
    assertEquals(out.trim().split("\n"), ["(200, 640, 3) 1", "(200, 640, 3) 0"]);
  },
});
