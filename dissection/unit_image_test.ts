import { assert, assertEquals } from "../tests/assert.ts";
import { highlight, strip, unitStrips } from "./unit_image.ts";
import { encodePng } from "../data/png.ts";

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

Deno.test("unit strips: one PNG per unit, each image masked by that unit's own map, in rank order", () => {
  const read: number[] = [];
  // Two units on a 1x2 map: unit 0 fires on the left, unit 1 on the right.
  const acts = Float32Array.of(1, 0, 0, 1);
  const images: Record<number, Uint8Array> = { 3: grey(4, 100), 1: grey(4, 160), 0: grey(4, 220) };
  const opts = {
    layer: { units: 2, height: 1, width: 2 },
    top: [[{ image: 3 }, { image: 1 }], [{ image: 0 }]],
    thresholds: [0.5, 0.5],
    size: 4,
    border: "border" as const,
    read: (i: number, unit: number) => {
      read.push(i);
      return { rgb: images[i], map: acts.slice(unit * 2, unit * 2 + 2) };
    },
  };
  const strips = [...unitStrips(opts)];
  assertEquals(strips.map((s) => s.unit), [0, 1]);
  assertEquals(read, [3, 1, 0]);
  // Each strip is the unit's own masks side by side: unit 1's mask is the right half.
  const expect = (unit: number, ids: number[]) => {
    const shown = ids.map((i) => highlight(images[i], 4, acts, unit * 2, 1, 2, 0.5, "border"));
    const s = strip(shown, 4);
    return encodePng(s.rgb, s.width, s.height, 1);
  };
  assertEquals(strips[0].png, expect(0, [3, 1]));
  assertEquals(strips[1].png, expect(1, [0]));
  const left = highlight(images[0], 4, acts, 0, 1, 2, 0.5, "border");
  const right = highlight(images[0], 4, acts, 2, 1, 2, 0.5, "border");
  assert(left[0] !== right[0], "the two units' masks differ, so a strip shows whose it is");
  const dims = (png: Uint8Array) => {
    const v = new DataView(png.buffer, png.byteOffset);
    return [v.getUint32(16), v.getUint32(20)];
  };
  assertEquals(dims(strips[0].png), [10, 4]);
});
