import * as ort from "onnxruntime-node";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { GraphBuilder } from "../onnx/build.ts";
import { PLAIN } from "../onnx/preprocess.ts";
import { attackedBrightest } from "../tests/fixtures/attacked.ts";
import {
  AttackedModel,
  chooseAttacks,
  drawTargets,
  firstCorrect,
  logitRows,
  peakChanges,
} from "./target.ts";

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
    threads: 1,
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

Deno.test("the images to attack are the first the model gets right, up to a limit", async () => {
  // Class = the brightest channel.
  const model = await attackedBrightest();
  // Five images, each one color (R, G or B bright); labels right for images 0, 2, 3, 4.
  const colors = [0, 1, 2, 0, 1], labels = [0, 2, 2, 0, 1];
  const rgb = new Uint8Array(5 * 4 * 3);
  colors.forEach((c, i) => {
    for (let p = 0; p < 4; p++) rgb[(i * 4 + p) * 3 + c] = 200;
  });
  const data = {
    count: 5,
    read: (s: number, e: number) => ({
      images: rgb.subarray(s * 12, e * 12),
      labels: labels.slice(s, e),
    }),
  };
  assertEquals(await firstCorrect(model, data, [0, 1, 2], 3), {
    images: [0, 2, 3],
    source: [0, 2, 0],
  });
  // Data labels in another order than the model's classes: mapped by toModel.
  assertEquals(await firstCorrect(model, data, [0, 2, 1], 9), {
    images: [0, 1, 3],
    source: [0, 1, 0],
  });
  await model.release();
});

Deno.test("a campaign's attacks: the first images right, seeded targets, and none right refused", async () => {
  const model = await attackedBrightest();
  // Four one-color images (R, G, B, R); data labels right for images 1 and 3.
  const rgb = new Uint8Array(4 * 4 * 3);
  [0, 1, 2, 0].forEach((c, i) => {
    for (let p = 0; p < 4; p++) rgb[(i * 4 + p) * 3 + c] = 200;
  });
  const data = (labels: number[]) => ({
    count: 4,
    read: (s: number, e: number) => ({
      images: rgb.subarray(s * 12, e * 12),
      labels: labels.slice(s, e),
    }),
  });
  const chosen = await chooseAttacks(
    model,
    data([2, 1, 0, 0]),
    [0, 1, 2],
    { images: 5, seed: 3 },
    "n",
  );
  assertEquals(chosen.images, [1, 3]);
  assertEquals(chosen.source, [1, 0]);
  assertEquals(chosen.target, drawTargets([1, 0], 3, seededRandom(3)));
  assertEquals(
    await chooseAttacks(model, data([2, 1, 0, 0]), [0, 1, 2], { images: 5, seed: 3 }, "n"),
    chosen,
  );
  await assertRejects(
    () => chooseAttacks(model, data([1, 0, 0, 2]), [0, 1, 2], { images: 5, seed: 3 }, "cw-x"),
    (e) => assertEquals(e.message, "cw-x: the classifier gets no held-out image right"),
  );
  await model.release();
});

Deno.test("per-image logit rows and peak changes read image i of a batch", () => {
  assertEquals(logitRows(7, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 1, 2), [
    { image: 7, version: "original", label: 0, logit: 3 },
    { image: 7, version: "adversarial", label: 0, logit: 7 },
    { image: 7, version: "original", label: 1, logit: 4 },
    { image: 7, version: "adversarial", label: 1, logit: 8 },
  ]);
  // 2 images, 2 units, 1x2 maps: image 1's units are values 4..7.
  const before = Float32Array.of(0, 0, 0, 0, 1, 3, 2, 0), after = before.map((v) => v * 2);
  assertEquals(peakChanges(before, after, 1, [2, 2, 1, 2]), [
    { unit: 0, before: 3, after: 6 },
    { unit: 1, before: 2, after: 4 },
  ]);
});
