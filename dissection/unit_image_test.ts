import { assert, assertEquals } from "../tests/assert.ts";
import { highlight, strip, unitStrips } from "./unit_image.ts";

/** A size x size image of one grey level. */
const grey = (size: number, v: number) => new Uint8Array(size * size * 3).fill(v);

Deno.test("highlight: the mask as is (its edge drawn), the rest dimmed to a quarter", () => {
  // A 1x2 map, left column on, upsampled with the border mode to 8x8.
  const out = highlight(grey(8, 200), 8, Float32Array.of(1, 0), 0, 1, 2, 0.5, "border");
  const at = (y: number, x: number) => out[(y * 8 + x) * 3];
  assertEquals(at(4, 7), 50); // right side: outside the mask, dimmed
  assertEquals(at(4, 0), 230); // image edge inside the mask: border colour
  assertEquals(at(4, 1), 200); // inside the mask: as is
  assertEquals(out[(4 * 8 + 0) * 3 + 1], 255);
});

Deno.test("strip: images side by side with 2-pixel white gaps", () => {
  const s = strip([grey(2, 10), grey(2, 20)], 2);
  assertEquals([s.width, s.height], [6, 2]);
  assertEquals([...s.rgb.subarray(0, 18)].filter((_, i) => i % 3 === 0), [
    10,
    10,
    255,
    255,
    20,
    20,
  ]);
});

Deno.test("unit strips: one PNG per unit, its top images read and drawn in rank order", () => {
  const read: number[] = [];
  const strips = [
    ...unitStrips({
      layer: { units: 2, height: 1, width: 2 },
      top: [[{ image: 3 }, { image: 1 }], [{ image: 0 }]],
      thresholds: [0.5, 0.5],
      size: 4,
      border: "zeros",
      read: (i) => {
        read.push(i);
        return { rgb: grey(4, 100), acts: Float32Array.of(1, 0, 0, 1) };
      },
    }),
  ];
  assertEquals(strips.map((s) => s.unit), [0, 1]);
  assertEquals(read, [3, 1, 0]);
  const dims = (png: Uint8Array) => {
    const v = new DataView(png.buffer, png.byteOffset);
    return [v.getUint32(16), v.getUint32(20)];
  };
  assertEquals(dims(strips[0].png), [10, 4]);
  assertEquals(dims(strips[1].png), [4, 4]);
  assert(strips[0].png.subarray(1, 4).every((b, i) => b === "PNG".charCodeAt(i)));
});
