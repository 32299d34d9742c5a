import { join } from "node:path";
import { assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { DissectError } from "../engine/errors.ts";
import { connect } from "../engine/duck.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import type { Head } from "./segmenter.ts";
import { forcedUnits, forcedValues, insertionExamples, insertionsOf } from "./insertion.ts";

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

Deno.test("the figure's examples: each sample unedited, then forced at one location", () => {
  // 3 samples, a 2x2 layer, 1x1 images; image k of the batch is filled with k.
  const base = { n: 3, h: 2, w: 2 }, size = 1;
  const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, b) => Math.floor(b / 3));
  const ex = insertionExamples({ base, rgb, size }, [1, 0], 9);
  // Location (1, 0) is copy 1 + 1*2 + 0 = 3: sample i's image 3*3 + i.
  assertEquals(ex.map((pair) => pair.map((im) => im[0])), [[0, 9], [1, 10], [2, 11]]);
  assertEquals(insertionExamples({ base, rgb, size }, [1, 0], 2).length, 2);
  assertEquals(insertionExamples({ base, rgb, size }, [1, 0], 0), []);
  assertEquals(insertionExamples({ base, rgb, size }, [2, 0], 9), [], "off the layer");
});

Deno.test("forced units: the concept's units by IoU, scaled to the layer, each at boost x t_u", async () => {
  await using tmp = await scratchDir("dissect-forced-");
  const dir = tmp.path;
  const conn = await connect();
  const copy = (sql: string, table: string) =>
    conn.run(`COPY (${sql}) TO '${join(dir, `${table}.parquet`)}' (FORMAT parquet)`);
  // Layer l4 has 64 units; door (a part) overlaps units 5, 9 and 2 of it, and a door object unit 1.
  await copy(
    `SELECT * FROM (VALUES ('l4', 5, 1, 0.3), ('l4', 9, 1, 0.5), ('l4', 2, 1, 0.1),
       ('l4', 1, 2, 0.9), ('l3', 4, 1, 0.8)) t(layer, unit, concept, iou)`,
    "unit_concept",
  );
  await copy(
    `SELECT * FROM (VALUES (1, 'door', 'part'), (2, 'door', 'object')) t(concept, name, category)`,
    "concepts",
  );
  await copy(`SELECT 'l4' AS layer, range::INT AS unit FROM range(64)`, "unit_labels");
  await copy(
    `SELECT 'l4' AS layer, range::INT AS unit, range / 10 AS threshold, 0.01 AS fraction_above
     FROM range(64) WHERE range <> 2`,
    "thresholds",
  );
  conn.closeSync();
  const ref = (node: string) =>
    ({ node, table: (t: string) => join(dir, `${t}.parquet`) }) as unknown as ArtifactRef;
  const inputs = { dissection: ref("iou-gan"), thresholds: ref("quantile-gan") };
  const p = { layer: "l4", concept: "door", head: "part" as const, boost: 2 };
  // The paper's 16 of 512 units, scaled to a 64-unit layer: 2, highest IoU first.
  assertEquals(await forcedUnits(inputs, { ...p, units: 16, scale: "layer" }), [
    { rank: 0, unit: 9, iou: 0.5, value: 1.8 },
    { rank: 1, unit: 5, iou: 0.3, value: 1 },
  ]);
  assertEquals(
    (await forcedUnits(inputs, { ...p, units: 1, scale: "absolute" })).map((r) => r.unit),
    [9],
  );
  // Unit 2 has no threshold: the thresholds and the dissection disagree.
  await assertRejects(
    () => forcedUnits(inputs, { ...p, units: 3, scale: "absolute" }),
    (e) => assertEquals(e.message, "quantile-gan has no threshold for unit 2 of l4"),
  );
  await assertRejects(
    () => forcedUnits(inputs, { ...p, concept: "window", units: 3, scale: "absolute" }),
    (e) => assertEquals(e.message, 'no unit of l4 overlaps concept "window" (part) in iou-gan'),
  );
});
