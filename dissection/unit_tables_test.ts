import { assertEquals } from "../tests/assert.ts";
import { IouCounter, type PixelConcepts } from "./iou.ts";
import { TopK } from "./topk.ts";
import type { Vocabulary } from "./concepts.ts";
import { writeLayerResults, writeTopImages } from "./unit_tables.ts";

/** One concept per pixel (or -1); tallies are concept counts. */
class OnePerPixel implements PixelConcepts {
  constructor(readonly of: Int32Array, readonly tallySize: number) {}
  tally(runs: Int32Array, n: number, tally: Int32Array, base: number): void {
    for (let i = 0; i < 2 * n; i += 2) {
      for (let p = runs[i]; p < runs[i + 1]; p++) if (this.of[p] >= 0) tally[base + this.of[p]]++;
    }
  }
  addTallied(tally: Int32Array, base: number, counts: Float64Array, at: number): void {
    for (let c = 0; c < this.tallySize; c++) counts[at + c] += tally[base + c];
  }
}

/** A table sink that keeps its rows. */
function collect() {
  const kept: unknown[] = [];
  return {
    kept,
    get rows() {
      return kept.length;
    },
    append: (r: unknown) => void kept.push(r),
  };
}

const vocab = {
  concepts: [
    { id: 0, name: "sky", category: "object" },
    { id: 1, name: "door", category: "part" },
    { id: 2, name: "red", category: "color" },
  ],
} as unknown as Vocabulary;

Deno.test("layer results: overlapping pairs with their counts, labels named from the vocabulary", () => {
  // A 1x2 map upsampled to 2x2: sky on the left column, door on the right, red nowhere.
  const counter = new IouCounter(2, 3, 1, 2, 2, 2, Float64Array.of(0.5, 0.5), "border");
  const concepts = new OnePerPixel(Int32Array.of(0, 1, 0, 1), 3);
  concepts.addTallied(Int32Array.of(2, 2, 0), 0, counter.conceptArea, 0);
  // Unit 0 fires on the right column; unit 1 nowhere.
  counter.addImage(Float32Array.of(0, 1, 0, 0), 0, concepts);
  const pairs = collect(), labels = collect();
  writeLayerResults({ pairs, labels }, "conv5", counter, vocab);
  assertEquals(pairs.kept, [{
    layer: "conv5",
    unit: 0,
    concept: 1,
    intersection: 2,
    unit_area: 2,
    concept_area: 2,
    iou: 1,
  }]);
  assertEquals(labels.kept, [
    { layer: "conv5", unit: 0, concept: 1, name: "door", category: "part", iou: 1 },
    { layer: "conv5", unit: 1, concept: 0, name: "sky", category: "object", iou: 0 },
  ]);
});

Deno.test("top images: each unit's best first, ranked from 0", () => {
  const top = new TopK(2, 2);
  top.offer(0, 7, 0.5);
  top.offer(0, 3, 0.9);
  top.offer(0, 4, 0.1);
  top.offer(1, 2, 1.5);
  const sink = collect();
  writeTopImages(sink, "conv5", top);
  assertEquals(sink.kept, [
    { layer: "conv5", unit: 0, rank: 0, image: 3, peak: 0.9 },
    { layer: "conv5", unit: 0, rank: 1, image: 7, peak: 0.5 },
    { layer: "conv5", unit: 1, rank: 0, image: 2, peak: 1.5 },
  ]);
});
