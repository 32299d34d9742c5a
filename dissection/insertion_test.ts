import { assertEquals, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import type { Head } from "./segmenter.ts";
import { forcedValues, insertionsOf } from "./insertion.ts";

/**
 * A stand-in segmenter that reads its labels off the pixels: a pixel's red
 * byte is its part class, its green byte its object class.
 */
const segmenter = {
  labels: { object: ["-", "sky", "building"], part: ["-", "door"], material: ["-"], color: ["-"] },
  classId: (head: Head, name: string) => segmenter.labels[head].indexOf(name),
  maps: <H extends Head>(rgb: Uint8Array, n: number, heads: readonly H[]) => {
    const px = rgb.length / 3;
    assertEquals(px % n, 0);
    const out = {} as Record<H, Uint8Array>;
    for (const h of heads) {
      const channel = h === "part" ? 0 : 1;
      out[h] = Uint8Array.from({ length: px }, (_, p) => rgb[p * 3 + channel]);
    }
    return Promise.resolve(out);
  },
};

Deno.test("insertions: per sample and location, the context there and the concept's pixels before and after", async () => {
  // Two samples, a 2x2 layer, 4x4 images: copy 0 unedited, copies 1..4 one location each.
  const n = 2, h = 2, w = 2, S = 4, px = S * S;
  const rgb = new Uint8Array((1 + h * w) * n * px * 3);
  const paint = (image: number, pixels: number[], channel: number, v: number) => {
    for (const p of pixels) rgb[(image * px + p) * 3 + channel] = v;
  };
  // Sample 0: sky above, building below; sample 1: all building. Sample 1 has a door pixel already.
  for (let c = 0; c <= h * w; c++) {
    paint(c * n, [...Array(px).keys()].map((p) => p), 1, 1);
    paint(c * n, [...Array(8).keys()].map((p) => p + 8), 1, 2);
    paint(c * n + 1, [...Array(px).keys()], 1, 2);
    paint(c * n + 1, [0], 0, 1);
  }
  // Forcing at (1, 0) draws 3 door pixels into sample 0; at (0, 1) clears sample 1's door.
  paint((1 + 2) * n, [8, 9, 12], 0, 1);
  paint((1 + 1) * n + 1, [0], 0, 0);
  const rows = await insertionsOf(
    { start: 10, base: { n, h, w }, rgb, size: S, segmenter },
    "part",
    "door",
  );
  assertEquals(rows.length, n * h * w);
  const at = (image: number, row: number, col: number) =>
    rows.find((r) => r.image === image && r.row === row && r.col === col)!;
  assertEquals(at(10, 0, 0), { image: 10, row: 0, col: 0, context: "sky", before: 0, after: 0 });
  assertEquals(at(10, 1, 0), {
    image: 10,
    row: 1,
    col: 0,
    context: "building",
    before: 0,
    after: 3,
  });
  assertEquals(at(11, 0, 1), {
    image: 11,
    row: 0,
    col: 1,
    context: "building",
    before: 1,
    after: 0,
  });
  assertEquals(at(11, 1, 1).after, 1);
  assertEquals(rows.map((r) => r.image), [10, 10, 10, 10, 11, 11, 11, 11]);
});

Deno.test("forced values are boost x t_u; a unit without a threshold is refused", () => {
  const t = new Map([[3, 0.5], [7, 2]]);
  assertEquals(forcedValues([{ unit: 7 }, { unit: 3 }], t, 2, { thresholds: "q", layer: "l4" }), [
    { unit: 7, value: 4 },
    { unit: 3, value: 1 },
  ]);
  assertThrows(
    () => forcedValues([{ unit: 5 }], t, 1, { thresholds: "quantile-gan", layer: "layer4" }),
    DissectError,
    "quantile-gan has no threshold for unit 5 of layer4",
  );
});
