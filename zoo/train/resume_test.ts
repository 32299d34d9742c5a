/**
 * Resumable training: a classifier run stopped in the middle of an epoch and
 * resumed from its checkpoint ends with the same weights as a run that was
 * never stopped. Needs Debian's python3-torch (`/usr/bin/python3`); without
 * it the test says so and is ignored.
 */
import { assertEquals } from "../../tests/assert.ts";

const PY = "/usr/bin/python3";
const HERE = new URL(".", import.meta.url).pathname;

function hasTorch(): boolean {
  try {
    const r = new Deno.Command(PY, { args: ["-c", "import torch"], stderr: "null" }).outputSync();
    return r.success;
  } catch {
    return false;
  }
}

const torch = hasTorch();
if (!torch) {
  console.log(
    "zoo/train/resume_test.ts: ignored, /usr/bin/python3 has no torch " +
      "(apt-get install python3-torch python3-onnx to run it)",
  );
}

async function py(args: string[]): Promise<string> {
  const r = await new Deno.Command(PY, { args, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${args.join(" ")} failed:\n${out}`);
  return out;
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
      const diff = await py([
        "-c",
        // The last weights (the exported ones are the best epoch's, which may be an early one).
        "import sys, torch\n" +
        "a = torch.load(sys.argv[1])['model']; b = torch.load(sys.argv[2])['model']\n" +
        "print(max((a[k].float() - b[k].float()).abs().max().item() for k in a))",
        `${dir}/whole/classifier.work/checkpoint.pt`,
        `${dir}/split/classifier.work/checkpoint.pt`,
      ]);
      assertEquals(Number(diff.trim()), 0);
      // The history is kept as CSV and drawn, and the card shows the curves.
      const history = await Deno.readTextFile(`${dir}/split/classifier.work/history.csv`);
      assertEquals(history.trim().split("\n").length, 3, history);
      const png = await Deno.readFile(`${dir}/split/classifier.curves.png`);
      assertEquals([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
      const card = await Deno.readTextFile(`${dir}/split/classifier.md`);
      assertEquals(card.includes("![training curves](classifier.curves.png)"), true);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
