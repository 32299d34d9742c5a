import { join } from "node:path";
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { connect } from "../engine/duck.ts";
import { rankedLayers, readRanking, requireRanking } from "./ranking.ts";
import type { DissectError } from "../engine/errors.ts";

/** An importance table of `rows` written in `dir`; its path. */
async function importanceTable(
  dir: string,
  rows: [string, number, string, number, number][],
): Promise<string> {
  const path = join(dir, "importance.parquet");
  const conn = await connect();
  const values = rows.map(([l, label, c, rank, unit]) =>
    `('${l}', ${label}, '${c}', ${rank}, ${unit})`
  );
  await conn.run(
    `COPY (SELECT * FROM (VALUES ${values.join(", ")}) t(layer, label, class, rank, unit))
     TO '${path}' (FORMAT parquet)`,
  );
  conn.closeSync();
  return path;
}

Deno.test("a ranking reads back by class in order of rank, at one layer, cut to the top", async () => {
  await using tmp = await scratchDir();
  const path = await importanceTable(tmp.path, [
    ["conv5_3", 1, "forest", 1, 7],
    ["conv5_3", 1, "forest", 0, 3],
    ["conv5_3", 0, "beach", 0, 5],
    ["conv5_2", 0, "beach", 0, 9],
    ["conv5_3", 0, "beach", 1, 2],
  ]);
  const classes = ["beach", "forest"];
  assertEquals([...await readRanking(path, "conv5_3", classes)], [[0, [5, 2]], [1, [3, 7]]]);
  assertEquals([...await readRanking(path, "conv5_3", classes, 1)], [[0, [5]], [1, [3]]]);
  await assertRejects(
    () => readRanking(path, "conv5_3", ["forest", "beach"]),
    (e) =>
      assertEquals(e.message, `the ranking's class 0 is "beach", the classifier's is "forest"`),
  );
});

Deno.test("a ranking's layers, each once, in order", async () => {
  await using tmp = await scratchDir();
  const path = await importanceTable(tmp.path, [
    ["conv5_3", 0, "beach", 0, 5],
    ["conv4_1", 0, "beach", 0, 9],
    ["conv5_3", 1, "forest", 0, 2],
  ]);
  assertEquals(await rankedLayers(path), ["conv4_1", "conv5_3"]);
});

Deno.test("a ranking without the layer is refused, naming the layers it covers", async () => {
  await using tmp = await scratchDir();
  const path = await importanceTable(tmp.path, [["conv4_1", 0, "beach", 0, 9]]);
  const what = { node: "cw-attack", stage: "cw-attack" };
  assertEquals([...await requireRanking(path, "conv4_1", ["beach"], what)], [[0, [9]]]);
  await assertRejects(
    () => requireRanking(path, "conv5_3", ["beach"], what),
    (e) => {
      assertEquals(e.message, 'cw-attack: the ranking has no units of layer "conv5_3"');
      assertEquals(
        (e as DissectError).hint,
        "the ranking covers: conv4_1; give rank-units and cw-attack the same layer",
      );
    },
  );
});
