import { assertEquals } from "../tests/assert.ts";
import { planarToRgb } from "./image.ts";

Deno.test("planar floats become interleaved bytes, rounded and clamped, at an offset", () => {
  // Two pixels; planes R, G, B after one float of padding; NaN reads as 0.
  const chw = Float32Array.of(9, 0, 1, 0.5, 0.25, NaN, 1.7, 5);
  assertEquals([...planarToRgb(chw, 1, 2)], [0, 128, 0, 255, 64, 255]);
  const out = new Uint8Array(8).fill(7);
  planarToRgb(chw, 1, 2, out, 1);
  assertEquals([...out], [7, 0, 128, 0, 255, 64, 255, 7]);
});
