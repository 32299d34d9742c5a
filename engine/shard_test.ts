import { join } from "node:path";
import { assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import {
  checkedParts,
  concatTables,
  partDir,
  type PartialStamp,
  shardRanges,
  writeStamp,
} from "./shard.ts";
import { TableWriter } from "./table_writer.ts";

Deno.test("shard ranges cover the items in order, sizes within one, never an empty shard but for no items", () => {
  for (const items of [0, 1, 2, 5, 7, 24, 100]) {
    for (const shards of [1, 2, 3, 4, 16]) {
      const ranges = shardRanges(items, shards);
      assertEquals(ranges.length, Math.max(1, Math.min(items, shards)));
      assertEquals(ranges[0].start, 0);
      assertEquals(ranges.at(-1)!.end, items);
      for (let i = 1; i < ranges.length; i++) assertEquals(ranges[i].start, ranges[i - 1].end);
      const sizes = ranges.map((r) => r.end - r.start);
      if (items) assertEquals(Math.min(...sizes) >= 1, true);
      assertEquals(Math.max(...sizes) - Math.min(...sizes) <= 1, true);
    }
  }
  assertThrows(() => shardRanges(5, 0), RangeError, "shards must be >= 1");
  assertThrows(() => shardRanges(-1, 2), RangeError, "items must be >= 0");
});

Deno.test("a merge takes only partials stamped for its key, run and range; tables concatenate in shard order", async () => {
  await using tmp = await scratchDir();
  const job = tmp.path;
  const stamp = (index: number, start: number, end: number): PartialStamp => ({
    format: "dissect-partial/1",
    stage: "s",
    key: "k".repeat(64),
    run: "run-1",
    round: 0,
    index,
    count: 2,
    start,
    end,
  });
  const stamps = [stamp(0, 0, 3), stamp(1, 3, 5)];
  const schema = { i: "INTEGER" } as const;
  for (const s of stamps) {
    await Deno.mkdir(partDir(job, s.index));
    const w = await TableWriter.create(join(partDir(job, s.index), "t.parquet"), schema);
    for (let i = s.start; i < s.end; i++) w.append({ i });
    await w.close();
  }
  await writeStamp(partDir(job, 0), stamps[0]);
  // Shard 1 was stamped by an earlier run of the same key: stale, never merged.
  await writeStamp(partDir(job, 1), { ...stamps[1], run: "run-0" });
  await assertRejects(
    () => checkedParts(job, stamps),
    (e) => assertEquals(e.message.includes("shard 2 of 2 of s/kkkkkkkkkkkk"), true, e.message),
  );
  await writeStamp(partDir(job, 1), stamps[1]);
  const rows: number[] = [];
  await concatTables(
    { append: (r) => rows.push(r.i!), rows: 0 },
    schema,
    await checkedParts(job, stamps),
    "t",
  );
  assertEquals(rows, [0, 1, 2, 3, 4]);
});
