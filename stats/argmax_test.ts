import { assertEquals } from "../tests/assert.ts";
import { argmax } from "./argmax.ts";

Deno.test("argmax: the first largest, within a row of a flat array", () => {
  assertEquals(argmax([1, 5, 5, 2]), 1);
  assertEquals(argmax([-3, -1, -2]), 1);
  // Row 1 of a 2 x 3 array of logits.
  assertEquals(argmax(Float32Array.of(9, 0, 0, 0.1, 0.7, 0.2), 3, 3), 1);
  assertEquals(argmax([NaN, NaN]), 0);
});
