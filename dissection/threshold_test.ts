import { assertEquals } from "../tests/assert.ts";
import { bestThreshold, fitThreshold, presenceIn, unitPeaks } from "./threshold.ts";
import { PLANES } from "./concepts.ts";
import type { Activations } from "./activations.ts";

Deno.test("the best cut separates the groups; none without both groups", () => {
  const rows = [
    { present: true, peak: 5 },
    { present: true, peak: 4 },
    { present: false, peak: 3 },
    { present: true, peak: 2.5 },
    { present: false, peak: 1 },
  ];
  assertEquals(bestThreshold(rows), 3.5);
  assertEquals(bestThreshold(rows.filter((r) => r.present)), null);
});

Deno.test("a unit's peaks come image by image, batch by batch; the fit half alone sets the threshold", async () => {
  // A stand-in reader: 5 images of 2 units on 1x2 maps.
  const values = Float32Array.from({ length: 5 * 2 * 2 }, (_, k) => k);
  const acts = {
    meta: { count: 5, layers: [{ layer: "l", units: 2, height: 1, width: 2 }] },
    shape: () => ({ layer: "l", units: 2, height: 1, width: 2 }),
    read: (_: string[], start: number, end: number) =>
      Promise.resolve([values.slice(start * 4, end * 4)]),
  } as unknown as Activations;
  const got = (await Array.fromAsync(unitPeaks(acts, "l", 1, 2))).map((b) => [
    b.start,
    [...b.peaks],
  ]);
  assertEquals(got, [[0, [3, 7]], [2, [11, 15]], [4, [19]]]);
  // On all rows the best cut would be 7 (between 5 and 9); on the fit half alone it is 3.
  const rows = [
    { present: true, peak: 5, half: "fit" as const },
    { present: false, peak: 1, half: "fit" as const },
    { present: true, peak: 9, half: "test" as const },
    { present: false, peak: 6, half: "test" as const },
    { present: false, peak: 7, half: "test" as const },
  ];
  assertEquals(fitThreshold(rows), 3);
  assertEquals(bestThreshold(rows) === 3, false);
});

Deno.test("presence: the class's share of one image's plane, present only above the fraction", () => {
  const px = 4, P = PLANES.length;
  const planes = new Uint8Array(2 * P * px);
  const part = PLANES.indexOf("part");
  planes.set([7, 7, 0, 7], (0 * P + part) * px); // image 0: 3 of 4 pixels
  planes.set([7, 0, 0, 0], (1 * P + part) * px); // image 1: 1 of 4
  planes.set([7, 7, 7, 7], (1 * P + PLANES.indexOf("object")) * px); // another plane: not counted
  assertEquals(presenceIn(planes, 0, part, px, 7, 0.5), { fraction: 0.75, present: true });
  assertEquals(presenceIn(planes, 1, part, px, 7, 0.25), { fraction: 0.25, present: false });
  assertEquals(presenceIn(planes, 1, part, px, 7, 0.2), { fraction: 0.25, present: true });
});
