import { assertEquals } from "../tests/assert.ts";
import { planarToRgb, scaleRgb } from "./image.ts";

Deno.test("planar floats become interleaved bytes, rounded and clamped, at an offset", () => {
  // Two pixels; planes R, G, B after one float of padding; NaN reads as 0.
  const chw = Float32Array.of(9, 0, 1, 0.5, 0.25, NaN, 1.7, 5);
  assertEquals([...planarToRgb(chw, 1, 2)], [0, 128, 0, 255, 64, 255]);
  const out = new Uint8Array(8).fill(7);
  planarToRgb(chw, 1, 2, out, 1);
  assertEquals([...out], [7, 0, 128, 0, 255, 64, 255, 7]);
});

Deno.test("scaling images: halving averages each 2x2 block; equal sizes are the images themselves", () => {
  // Two 4x4 images of one channel pattern, copied to R, G and B.
  const values = Array.from({ length: 2 * 16 }, (_, i) => (i * 37) % 251);
  const rgb = Uint8Array.from(values.flatMap((v) => [v, v, 255 - v, 0].slice(0, 3)));
  const half = scaleRgb(rgb, 2, 4, 2);
  for (let k = 0; k < 2; k++) {
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) {
        const block = [0, 1].flatMap((dy) =>
          [0, 1].map((dx) => values[k * 16 + (2 * y + dy) * 4 + 2 * x + dx])
        );
        const mean = block.reduce((a, b) => a + b, 0) / 4;
        const at = (k * 4 + y * 2 + x) * 3;
        assertEquals(half[at], Math.round(mean), `image ${k} (${y}, ${x})`);
        assertEquals(half[at + 2], Math.round(255 - mean));
      }
    }
  }
  assertEquals(scaleRgb(rgb, 2, 4, 4), rgb);
  // Up and down again: a flat image stays flat.
  const flat = new Uint8Array(3 * 3 * 3).fill(90);
  assertEquals([...new Set(scaleRgb(flat, 1, 3, 7))], [90]);
});
