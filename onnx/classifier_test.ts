import { assertEquals, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { GraphBuilder } from "./build.ts";
import { checkLogits, classifierFor, imageFeed, predictionRows } from "./classifier.ts";

/** Image (N x 3 x 8 x 8) -> average pool -> Gemm to `classes` logits; `dims` as declared. */
function head(classes: number, opts: { labels?: string[]; dims?: (number | string)[] } = {}) {
  const g = new GraphBuilder();
  g.input("image", ["N", 3, 8, 8]);
  const flat = g.node("Flatten", [g.node("GlobalAveragePool", ["image"], "gap")], "flat");
  const w = g.init("w", [classes, 3], Array.from({ length: classes * 3 }, (_, i) => i % 5));
  g.node("Gemm", [flat, w], "logits", { transB: 1 });
  g.output("logits", opts.dims ?? ["N", classes]);
  return g.toBytes(opts.labels ? { metadata: { labels: JSON.stringify(opts.labels) } } : {});
}

const DATA = { height: 8, width: 8, labels: ["beach", "forest", "street"] };

Deno.test("a head of another width than the data's classes is refused before anything runs", () => {
  // 365 logits and no class names in the model: the data's 3 labels cannot be its classes.
  assertThrows(
    () => classifierFor("places.onnx", head(365), DATA),
    DissectError,
    'places.onnx: output "logits" has shape Nx365, but the data set has 3 classes',
  );
  // Named classes that do not match the head's width.
  assertThrows(
    () => classifierFor("m.onnx", head(4, { labels: DATA.labels }), DATA),
    DissectError,
    'output "logits" has shape Nx4, but its metadata names 3 classes',
  );
});

Deno.test("the data's labels must be classes of the model, matched by name", () => {
  const labels = ["street", "airfield", "beach", "forest"];
  const c = classifierFor("m.onnx", head(4, { labels }), DATA);
  assertEquals(c.classes, labels);
  assertEquals(c.toModel, [2, 3, 0]);
  assertEquals([c.input.name, c.output], ["image", "logits"]);
  assertThrows(
    () => classifierFor("m.onnx", head(2, { labels: ["beach", "forest"] }), DATA),
    DissectError,
    "does not know the data set's label(s) street",
  );
});

Deno.test("a head without a fixed width is checked on its logits", () => {
  const c = classifierFor("m.onnx", head(3, { dims: ["N", "classes"] }), DATA);
  assertEquals(c.classes, DATA.labels);
  checkLogits("m.onnx", new Float32Array(6), 2, 3);
  assertThrows(
    () => checkLogits("m.onnx", new Float32Array(730), 2, 3),
    DissectError,
    "m.onnx: 365 values per image, expected one per class (3)",
  );
});

Deno.test("an image feed is the model's input name, planar and preprocessed as its metadata says", () => {
  const pre = {
    mean: [0.5, 0, 0],
    std: [0.5, 1, 1],
    layout: "NCHW" as const,
    range: [0, 1] as [number, number],
  };
  const opened = classifierFor("m.onnx", head(3), DATA);
  // Two 8x8 images: image 0 all (255, 0, 51), image 1 all (0, 255, 102).
  const rgb = new Uint8Array(2 * 64 * 3);
  for (let p = 0; p < 64; p++) rgb.set([255, 0, 51], p * 3), rgb.set([0, 255, 102], (64 + p) * 3);
  const feed = imageFeed({ ...opened, pre }, rgb, 2, 8, 8);
  assertEquals(Object.keys(feed), ["image"]);
  assertEquals(feed.image.dims, [2, 3, 8, 8]);
  const x = feed.image.data as Float32Array;
  const at = (i: number, c: number) => +x[(i * 3 + c) * 64 + 17].toFixed(5);
  // Red is (v / 255 - 0.5) / 0.5; green and blue are v / 255.
  assertEquals([at(0, 0), at(0, 1), at(0, 2)], [1, 0, 0.2]);
  assertEquals([at(1, 0), at(1, 1), at(1, 2)], [-1, 1, 0.4]);
});

Deno.test("prediction rows: top-1, top-5 and the top-1's softmax probability per image", () => {
  // Two images of 6 classes: image 0's label (2) is top-1; image 1's label (0) is 6th of 6.
  const logits = Float32Array.of(
    0,
    1,
    3,
    0,
    0,
    0,
    0,
    5,
    4,
    3,
    2,
    1,
  );
  const rows = predictionRows(logits, 6, [2, 0], 40);
  assertEquals(rows.map((r) => [r.image, r.label, r.predicted, r.correct, r.top5]), [
    [40, 2, 2, true, true],
    [41, 0, 1, false, false],
  ]);
  const z0 = 4 + Math.exp(1) + Math.exp(3);
  assertEquals(+rows[0].confidence.toFixed(6), +(Math.exp(3) / z0).toFixed(6));
  const z1 = [0, 5, 4, 3, 2, 1].reduce((t, v) => t + Math.exp(v), 0);
  assertEquals(+rows[1].confidence.toFixed(6), +(Math.exp(5) / z1).toFixed(6));
  assertEquals(predictionRows(logits, 6, [3, 3], 0).map((r) => r.top5), [true, true]);
});
