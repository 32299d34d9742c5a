import * as ort from "onnxruntime-node";
import { assert, assertEquals } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { GraphBuilder } from "../onnx/build.ts";
import { PLAIN } from "../onnx/preprocess.ts";
import { AttackedModel, drawTargets } from "./target.ts";

Deno.test("targets are never the source and cover every other class evenly", () => {
  const source = Array.from({ length: 6000 }, (_, i) => i % 3);
  const targets = drawTargets(source, 4, seededRandom(2));
  assert(targets.every((t, i) => t !== source[i] && t >= 0 && t < 4), "a target is another class");
  // Source 0: targets 1, 2, 3 each about a third of the time.
  const of0 = [1, 2, 3].map((c) => targets.filter((t, i) => source[i] === 0 && t === c).length);
  assert(of0.every((k) => Math.abs(k - 667) < 80), `counts ${of0}`);
  assertEquals(drawTargets([1, 2], 4, seededRandom(5)), drawTargets([1, 2], 4, seededRandom(5)));
});

Deno.test("the attacked model's forward logits equal its gradient pass's logits and the plain model's", async () => {
  const rand = seededRandom(4);
  const g = new GraphBuilder();
  const x = g.input("image", ["N", 3, 4, 4]);
  const w = Array.from({ length: 2 * 3 * 3 * 3 }, () => rand() - 0.5);
  const conv = g.node("Conv", [x, g.init("w", [2, 3, 3, 3], w)], "conv", { pads: [1, 1, 1, 1] });
  const flat = g.node("Flatten", [g.node("Relu", [conv], "relu")], "flat");
  const fc = Array.from({ length: 3 * 32 }, () => rand() - 0.5);
  g.node("Gemm", [flat, g.init("fc", [3, 32], fc)], "logits", { transB: 1 });
  g.output("logits", ["N", 3]);
  const bytes = g.toBytes();
  const model = await AttackedModel.open({
    path: "m.onnx",
    bytes,
    input: "image",
    output: "logits",
    layer: "relu",
    classes: 3,
    height: 4,
    width: 4,
    pre: PLAIN,
  });
  const pixels = Float32Array.from({ length: 2 * 3 * 16 }, () => rand());
  const fwd = await model.run(pixels, 2);
  assertEquals(fwd.layer.dims, [2, 2, 4, 4]);
  const term = { targets: [1, 2], c: Float64Array.of(1, 1), confidence: 0 };
  const { logits, grad } = await model.marginGradient(pixels, 2, term);
  assertEquals([...logits].map((v) => +v.toFixed(5)), [...fwd.logits].map((v) => +v.toFixed(5)));
  assertEquals(grad.length, pixels.length);
  const plain = await ort.InferenceSession.create(bytes);
  const direct = (await plain.run({ image: new ort.Tensor("float32", pixels, [2, 3, 4, 4]) }))
    .logits.data as Float32Array;
  assertEquals([...fwd.logits].map((v) => +v.toFixed(5)), [...direct].map((v) => +v.toFixed(5)));
  await plain.release();
  await model.release();
});
