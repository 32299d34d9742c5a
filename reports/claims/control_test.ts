import { assertEquals } from "../../tests/assert.ts";
import { detectorShare, distinctConcepts, type UnitLabel, withControl } from "./control.ts";

const rows: UnitLabel[] = [
  { unit: 0, concept: 1, category: "object", iou: 0.1 },
  { unit: 1, concept: 1, category: "object", iou: 0.05 },
  { unit: 2, concept: 2, category: "part", iou: 0.04 },
  { unit: 3, concept: 3, category: "color", iou: 0.039 },
];

Deno.test("distinct concepts count each concept once, only units drawn and at the bar", () => {
  assertEquals(distinctConcepts(rows, Uint32Array.of(1, 1, 1, 1)), 2);
  assertEquals(distinctConcepts(rows, Uint32Array.of(0, 3, 0, 1)), 1);
  assertEquals(distinctConcepts(rows, Uint32Array.of(1, 1, 1, 1), ["part"]), 1);
});

Deno.test("the detector share weighs units by how often they were drawn", () => {
  assertEquals(detectorShare(rows, Uint32Array.of(1, 1, 1, 1), ["object", "part"]), 0.75);
  assertEquals(detectorShare(rows, Uint32Array.of(0, 0, 1, 3), ["object", "part"]), 0.25);
  assertEquals(detectorShare(rows, Uint32Array.of(0, 0, 0, 0), ["object"]), NaN);
});

Deno.test("a rule and its control: both must hold; either failing fails", () => {
  assertEquals(withControl("holds", "holds"), "holds");
  assertEquals(withControl("holds", "inconclusive"), "inconclusive");
  assertEquals(withControl("inconclusive", "fails"), "fails");
  assertEquals(withControl("fails", "holds"), "fails");
});
