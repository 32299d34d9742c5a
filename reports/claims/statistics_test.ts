/** The statistics claim pages compute in TypeScript, on small hand-made rows. */
import { assertEquals } from "../../tests/assert.ts";
import { relativeChange } from "./C10.ts";
import { contextDifference } from "./C11.ts";
import { countIouCorrelation } from "./C7.ts";
import { weightedAccuracy, weightedBalanced } from "./ablation.ts";

Deno.test("relative change of pixels summed over the samples drawn", () => {
  assertEquals(relativeChange([10, 30], [5, 15], Uint32Array.of(1, 1)), -0.5);
  assertEquals(relativeChange([10, 30], [5, 30], Uint32Array.of(1, 0)), -0.5);
  assertEquals(relativeChange([10, 30], [5, 30], Uint32Array.of(0, 2)), 0);
  assertEquals(relativeChange([0, 0], [5, 5], Uint32Array.of(1, 1)), NaN);
});

Deno.test("door pixels added in some contexts minus in others, by sample weights", () => {
  const rows = [
    { image: 7, context: "building", added: 4 },
    { image: 7, context: "sky", added: 0 },
    { image: 9, context: "building", added: 2 },
    { image: 9, context: "tree", added: 1 },
  ];
  const index = new Map([[7, 0], [9, 1]]);
  assertEquals(
    contextDifference(rows, index, Uint32Array.of(1, 1), ["building"], ["sky", "tree"]),
    2.5,
  );
  assertEquals(
    contextDifference(rows, index, Uint32Array.of(0, 3), ["building"], ["sky", "tree"]),
    1,
  );
  assertEquals(contextDifference(rows, index, Uint32Array.of(1, 0), ["building"], ["tree"]), NaN);
});

Deno.test("Spearman's correlation of top-4 counts and IoU follows the ranks, not the values", () => {
  const rows = [0, 1, 2, 3].map((c) => ({ classes: c, iou: 0.01 * 2 ** c }));
  assertEquals(countIouCorrelation(rows, Uint32Array.of(1, 1, 1, 1)), 1);
  const reversed = rows.map((r) => ({ ...r, iou: -r.iou }));
  assertEquals(countIouCorrelation(reversed, Uint32Array.of(1, 1, 1, 1)), -1);
});

Deno.test("balanced and overall accuracy of predictions, by image weights", () => {
  // Class 0: 2 of 3 images right; one image of class 1 called 0.
  const o = { labels: Int32Array.of(0, 0, 0, 1, 1), predicted: Int32Array.of(0, 0, 1, 0, 1) };
  const ones = Uint32Array.of(1, 1, 1, 1, 1);
  assertEquals(weightedBalanced(o, 0, ones), 0.5 * (2 / 3 + 1 / 2));
  assertEquals(weightedAccuracy(o, ones), 3 / 5);
  // Drawing the wrong image of class 0 twice and leaving out the other class-1 image.
  assertEquals(weightedBalanced(o, 0, Uint32Array.of(1, 1, 2, 1, 0)), 0.5 * (2 / 4 + 0));
  assertEquals(weightedBalanced(o, 2, ones), NaN);
});
