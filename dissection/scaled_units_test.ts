import { assertEquals, assertThrows } from "../tests/assert.ts";
import { scaledUnits, unitsFor } from "./scaled_units.ts";

Deno.test("the paper's unit counts keep their share of a 512-unit layer", () => {
  assertEquals(scaledUnits(4, 512), 4);
  assertEquals(scaledUnits(20, 512), 20);
  // The zoo's conv5_3 (128 units): 4 -> 1, 20 -> 5; its GAN layer4 (64 units): 20 -> 2.5 -> 3.
  assertEquals(scaledUnits(4, 128), 1);
  assertEquals(scaledUnits(20, 128), 5);
  assertEquals(scaledUnits(20, 64), 3);
  // Never below one unit, never above the layer.
  assertEquals(scaledUnits(4, 8), 1);
  assertEquals(scaledUnits(20, 2048), 80);
  assertEquals(scaledUnits(600, 512), 512);
  assertThrows(() => scaledUnits(0, 512), RangeError, "unit count");
  assertThrows(() => scaledUnits(4, 0), RangeError, "layer width");
});

Deno.test("an absolute unit count is taken as given", () => {
  assertEquals(unitsFor(20, 64, "absolute"), 20);
  assertEquals(unitsFor(20, 64, "layer"), 3);
});
