import { assertEquals } from "../tests/assert.ts";
import { TruthFrequency } from "./truth_frequency.ts";

Deno.test("truth frequency: each concept's share of pixels and of images, none left out", () => {
  const f = new TruthFrequency({ object: ["none", "tree", "sky"], part: ["none", "door"] }, 4);
  f.add({ object: Uint8Array.of(1, 1, 2, 0), part: Uint8Array.of(0, 0, 0, 1) });
  f.add({ object: Uint8Array.of(2, 2, 2, 2), part: Uint8Array.of(0, 0, 0, 0) });
  assertEquals(f.rows(), [
    { category: "object", name: "tree", pixel_fraction: 2 / 8, image_fraction: 1 / 2 },
    { category: "object", name: "sky", pixel_fraction: 5 / 8, image_fraction: 1 },
    { category: "part", name: "door", pixel_fraction: 1 / 8, image_fraction: 1 / 2 },
  ]);
});
