import { assertEquals, assertThrows } from "../tests/assert.ts";
import { ConceptFrequency, scoredHeads, SegmenterScore } from "./segmenter_score.ts";
import { buildVocabulary, type LabelPlanes } from "./concepts.ts";

Deno.test("segmenter scores: per-class intersection and union against ground truth", () => {
  const s = new SegmenterScore({ object: ["none", "tree", "sky", "car"] });
  // Six pixels: truth tree tree sky sky none sky; prediction tree sky sky sky none tree.
  s.add("object", Uint8Array.of(1, 2, 2, 2, 0, 1), Uint8Array.of(1, 1, 2, 2, 0, 2), 6);
  assertEquals(s.scores(), [
    {
      category: "object",
      concept: "tree",
      intersection: 1,
      union: 3,
      gtPixels: 2,
      predictedPixels: 2,
      iou: 1 / 3,
    },
    {
      category: "object",
      concept: "sky",
      intersection: 2,
      union: 4,
      gtPixels: 3,
      predictedPixels: 3,
      iou: 0.5,
    },
  ]);
});

Deno.test("segmenter score rows use the table's column names", () => {
  const s = new SegmenterScore({ part: ["none", "door"] });
  s.add("part", Uint8Array.of(1, 1, 0), Uint8Array.of(1, 0, 0), 3);
  assertEquals(s.rows(), [{
    category: "part",
    concept: "door",
    intersection: 1,
    union_: 2,
    gt_pixels: 1,
    predicted_pixels: 2,
    iou: 0.5,
  }]);
});

Deno.test("scored heads: maps present and labeled with exactly the segmenter's list", () => {
  const seg = { object: ["-", "tree"], part: ["-", "door"], material: ["-", "brick"] };
  const heads = ["object", "part", "material"] as const;
  const lists = { object: ["-", "tree"], part: ["-", "window"], material: ["-", "brick"] };
  assertEquals(scoredHeads(heads, seg, { lists }), ["object", "material"]);
  assertEquals(scoredHeads(heads, seg, { maps: ["object"], lists }), ["object"]);
  assertEquals(scoredHeads(heads, seg, { lists: {} }), []);
});

Deno.test("concept frequency: pixels and images per concept, half-box parts left out of the rows", () => {
  const vocab = buildVocabulary({
    objects: ["-", "tree"],
    parts: ["-", "door"],
    materials: ["-"],
    colors: ["red"],
  });
  const f = new ConceptFrequency(vocab, 4);
  const image = (object: number[], part: number[]): LabelPlanes => ({
    object: Uint8Array.from(object),
    part: Uint8Array.from(part),
    material: new Uint8Array(4),
    color: new Uint8Array(4).fill(255),
    halfbox: new Uint8Array(4),
  });
  f.add(image([1, 1, 0, 0], [0, 0, 0, 1]));
  f.add(image([0, 0, 0, 0], [0, 0, 0, 0]));
  const rows = f.rows();
  assertEquals(
    rows.map((r) => r.name),
    vocab.concepts.map((c) => c.name).filter((n) => !/-(top|bottom|left|right)$/.test(n)),
  );
  const row = (name: string) => rows.find((r) => r.name === name)!;
  assertEquals([row("tree").pixel_fraction, row("tree").image_fraction], [2 / 8, 1 / 2]);
  assertEquals([row("door").pixel_fraction, row("door").image_fraction], [1 / 8, 1 / 2]);
});

Deno.test("scores and frequencies counted in parts and added equal one pass over all images", () => {
  let seed = 5;
  const random = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
  const vocab = buildVocabulary({
    objects: ["-", "tree", "sky"],
    parts: ["-", "door"],
    materials: ["-", "wood"],
    colors: ["red", "green"],
  });
  const labels = { object: ["-", "tree", "sky"], material: ["-", "wood"] };
  const px = 6, images = 11;
  const map = (k: number) => Uint8Array.from({ length: px }, () => random(k));
  const seen = Array.from({ length: images }, () => ({
    planes: {
      object: map(3),
      part: map(2),
      material: map(2),
      color: map(2),
      halfbox: new Uint8Array(px),
    } as LabelPlanes,
    truth: { object: map(3), material: map(2) },
  }));
  const count = (from: number, to: number) => {
    const score = new SegmenterScore(labels), frequency = new ConceptFrequency(vocab, px);
    for (let i = from; i < to; i++) {
      frequency.add(seen[i].planes);
      for (const h of ["object", "material"] as const) {
        score.add(h, seen[i].planes[h], seen[i].truth[h], px);
      }
    }
    return { score, frequency };
  };
  const whole = count(0, images);
  for (const cuts of [[0, images], [0, 1, images], [0, 3, 4, 8, images]]) {
    const merged = count(0, 0);
    for (let s = 0; s + 1 < cuts.length; s++) {
      const part = count(cuts[s], cuts[s + 1]);
      merged.score.addCounts(part.score.counts());
      merged.frequency.addCounts(part.frequency.counts());
    }
    assertEquals(merged.score.rows(), whole.score.rows(), `cuts ${cuts}`);
    assertEquals(merged.frequency.rows(), whole.frequency.rows(), `cuts ${cuts}`);
    assertEquals(merged.frequency.counts(), whole.frequency.counts(), `cuts ${cuts}`);
  }
  assertThrows(() => whole.score.addCounts(new Float64Array(3)), Error, "expected 15");
  assertThrows(() => whole.frequency.addCounts(new Float64Array(3)), Error, "counts to add");
});
