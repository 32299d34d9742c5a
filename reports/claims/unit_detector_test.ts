import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { InsufficientData } from "../measure.ts";
import { type Detection, detectionAccuracy, requireBothOutcomes } from "./unit_detector.ts";

const rows = (hits: number, misses: number, falseAlarms: number, quiet: number): Detection[] => [
  ...Array.from({ length: hits }, () => ({ present: true, fired: true })),
  ...Array.from({ length: misses }, () => ({ present: true, fired: false })),
  ...Array.from({ length: falseAlarms }, () => ({ present: false, fired: true })),
  ...Array.from({ length: quiet }, () => ({ present: false, fired: false })),
];
const ones = (n: number) => new Uint32Array(n).fill(1);

Deno.test("a detector that never fires is at chance however rare the concept", () => {
  // Plain accuracy would be 90% here; balanced accuracy is 50%.
  assertEquals(detectionAccuracy(rows(0, 10, 0, 90), ones(100)), 0.5);
  assertEquals(detectionAccuracy(rows(10, 0, 0, 90), ones(100)), 1);
  assertEquals(detectionAccuracy(rows(10, 0, 10, 80), ones(100)), 0.5 * (1 + 80 / 90));
});

Deno.test("bootstrap weights count an image that many times", () => {
  const r = rows(1, 1, 0, 2);
  // The hit drawn three times, the miss once: hit rate 3/4; without the concept all quiet.
  assertEquals(detectionAccuracy(r, Uint32Array.from([3, 1, 1, 1])), 0.5 * (3 / 4 + 1));
  // A resample that leaves out the miss makes the hit rate 1.
  assertEquals(detectionAccuracy(r, Uint32Array.from([2, 0, 1, 1])), 1);
});

Deno.test("balanced accuracy needs images with and without the concept", () => {
  requireBothOutcomes(rows(1, 0, 0, 1), "tree", "images");
  assertThrows(
    () => requireBothOutcomes(rows(2, 1, 0, 0), "tree", "images"),
    InsufficientData,
    "only images with tree",
  );
  assertThrows(
    () => requireBothOutcomes(rows(0, 0, 1, 1), "window", "samples"),
    InsufficientData,
    "no samples with window",
  );
});
