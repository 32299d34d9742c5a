import { assertEquals } from "../tests/assert.ts";
import { colorName } from "./colors.ts";
import { COLORS } from "./colors.ts";

const CASES: [number, number, number, string][] = [
  [0, 0, 0, "black"],
  [20, 25, 30, "black"],
  [255, 255, 255, "white"],
  [240, 242, 238, "white"],
  [128, 128, 128, "gray"],
  [170, 165, 160, "gray"],
  [220, 20, 20, "red"],
  [255, 140, 0, "orange"],
  [250, 220, 30, "yellow"],
  [40, 160, 50, "green"],
  [40, 80, 200, "blue"],
  [135, 206, 235, "blue"],
  [120, 40, 160, "purple"],
  [255, 182, 193, "pink"],
  [255, 105, 180, "pink"],
  [139, 69, 19, "brown"],
  [110, 75, 40, "brown"],
];

Deno.test("colorName names clear colors", () => {
  for (const [r, g, b, name] of CASES) {
    assertEquals(COLORS[colorName(r, g, b)], name, `rgb(${r},${g},${b})`);
  }
});

Deno.test("colorName covers every byte triple with a valid index", () => {
  const seen = new Set<number>();
  for (let r = 0; r < 256; r += 15) {
    for (let g = 0; g < 256; g += 15) {
      for (let b = 0; b < 256; b += 15) {
        const c = colorName(r, g, b);
        assertEquals(Number.isInteger(c) && c >= 0 && c < COLORS.length, true);
        seen.add(c);
      }
    }
  }
  assertEquals(seen.size, COLORS.length);
});
