import { assertEquals } from "../tests/assert.ts";
import { SegmenterScore } from "./segmenter_score.ts";

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
