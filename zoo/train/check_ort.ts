// Replays a reference input through an exported model with onnxruntime-node and
// compares every output with what PyTorch computed (written by the training
// scripts into <model>.ref/: index.json and raw float32 files).
//
//   deno run -A zoo/train/check_ort.ts zoo/models/classifier.onnx
//
// Prints the metadata, inputs and outputs and the max abs error per output;
// exits 1 if any output differs by more than 1e-3 (relative to its scale).
import * as ort from "onnxruntime-node";
import { dirname, join } from "node:path";

const model = Deno.args[0];
if (!model) throw new Error("usage: check_ort.ts MODEL.onnx [REF_DIR/index.json]");
const refPath = Deno.args[1] ?? model.replace(/\.onnx$/, ".ref/index.json");
const ref = JSON.parse(await Deno.readTextFile(refPath));
const dir = dirname(refPath);

type Entry = { file: string; shape: number[] };
async function load(e: Entry): Promise<Float32Array> {
  const bytes = await Deno.readFile(join(dir, e.file));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

const session = await ort.InferenceSession.create(model);
console.log("inputs:", session.inputNames.join(", "));
console.log("outputs:", session.outputNames.join(", "));
const feeds: Record<string, ort.Tensor> = {};
for (const [name, e] of Object.entries(ref.inputs as Record<string, Entry>)) {
  feeds[name] = new ort.Tensor("float32", await load(e), e.shape);
}
const result = await session.run(feeds);
let ok = true;
for (const [name, e] of Object.entries(ref.outputs as Record<string, Entry>)) {
  const want = await load(e);
  const got = result[name];
  if (!got) {
    console.log(`${name}: MISSING`);
    ok = false;
    continue;
  }
  const data = got.data as Float32Array;
  let err = 0, scale = 1e-6;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(data[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  const same = JSON.stringify(got.dims) === JSON.stringify(e.shape);
  const good = same && err <= 1e-3 * Math.max(1, scale);
  ok &&= good;
  console.log(
    `${name}: dims ${JSON.stringify(got.dims)} max|err| ${err.toExponential(2)} (scale ${
      scale.toFixed(3)
    }) ${good ? "ok" : "FAIL"}`,
  );
}
console.log(ok ? "onnxruntime agrees with torch" : "MISMATCH");
Deno.exit(ok ? 0 : 1);
