/**
 * Sample images for the model cards of the classifier and the segmenter, on
 * world val images they were not trained on:
 *   deno run -A zoo/samples.ts
 * writes zoo/models/classifier.samples.png (one image per class; the card
 * lists true and predicted labels) and zoo/models/segmenter.samples.png
 * (rows: image, true objects, predicted objects), and prints the markdown.
 */
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { renderItem } from "../world/render.ts";
import { splitItem } from "../world/splits.ts";
import { SCENES } from "../world/vocabulary.ts";
import { encodePng } from "../data/png.ts";
import { falseColor } from "../world/preview.ts";
import { allCores, createSession, inspectBytes } from "../onnx/model.ts";
import { labelsOf, preprocessOf, toTensorData } from "../onnx/preprocess.ts";
import { Segmenter } from "../dissection/segmenter.ts";
import { strip } from "../dissection/unit_image.ts";
import { argmax } from "../stats/argmax.ts";
import type { ClassMap } from "../data/class_map.ts";

const DIR = new URL(".", import.meta.url).pathname;
const SIZE = 64;

// One val image per class (val seed 1, the pipeline's held-out split).
const items = SCENES.map((_, c) => {
  for (let i = 0;; i++) {
    const it = splitItem("val", i, 1);
    if (it.label === c) return renderItem("val", it, SIZE);
  }
});

const cls = join(DIR, "models/classifier.onnx");
const cbytes = await Deno.readFile(cls);
const info = inspectBytes(cls, cbytes);
const session = await createSession(cls, cbytes, allCores());
const rgb = new Uint8Array(items.length * SIZE * SIZE * 3);
items.forEach((r, i) => rgb.set(r.rgb, i * SIZE * SIZE * 3));
const x = toTensorData(rgb, items.length, SIZE, SIZE, preprocessOf(info));
const logits =
  (await session.run({ image: new ort.Tensor("float32", x, [items.length, 3, SIZE, SIZE]) }))
    .logits.data as Float32Array;
const labels = labelsOf(info) ?? [...SCENES];
const predicted = items.map((_, i) => {
  const row = logits.subarray(i * labels.length, (i + 1) * labels.length);
  return labels[argmax(row)];
});
const s = strip(items.map((r) => r.rgb), SIZE);
await Deno.writeFile(
  join(DIR, "models/classifier.samples.png"),
  encodePng(s.rgb, s.width, s.height),
);
console.log("## Samples\n\n![one val image per class](classifier.samples.png)\n");
console.log("| image | " + items.map((_, i) => i + 1).join(" | ") + " |");
console.log("| --- | " + items.map(() => "---").join(" | ") + " |");
console.log("| true | " + SCENES.join(" | ") + " |");
console.log("| predicted | " + predicted.join(" | ") + " |\n");

const segPath = join(DIR, "models/segmenter.onnx");
const seg = await Segmenter.open(segPath, await Deno.readFile(segPath), SIZE, allCores());
const shown = items.slice(0, 8);
const { maps } = await seg.segment(rgb.subarray(0, shown.length * SIZE * SIZE * 3), shown.length);
const colorize = (map: ClassMap) => {
  const out = new Uint8Array(map.length * 3);
  map.forEach((id, p) => out.set(falseColor(id), p * 3));
  return out;
};
const rows = [
  shown.map((r) => r.rgb),
  shown.map((r) => colorize(r.object)),
  shown.map((_, i) => colorize(maps.object.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE))),
].map((imgs) => strip(imgs, SIZE));
const W = rows[0].width, H = 3 * SIZE + 4;
const sheet = new Uint8Array(W * H * 3).fill(255);
rows.forEach((r, k) => sheet.set(r.rgb, k * (SIZE + 2) * W * 3));
await Deno.writeFile(join(DIR, "models/segmenter.samples.png"), encodePng(sheet, W, H));
console.log(
  "## Samples\n\n![val images; true objects; predicted objects](segmenter.samples.png)\n",
);
console.log(
  "Rows: val images, their true object maps, the segmenter's object maps (same false colors).",
);
await session.release();
await seg.release();
