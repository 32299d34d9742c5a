import { join } from "node:path";
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { readExampleRows, writeExampleRows } from "./example_rows.ts";

/** A 2x2 image whose every byte is `v`. */
const img = (v: number) => new Uint8Array(12).fill(v);

/** Example rows of samples `from..to-1`, each row (sample, sample + 100, sample + 200) cut to `width`. */
const rows = (from: number, to: number, width = 3) =>
  Array.from(
    { length: to - from },
    (_, i) => [0, 100, 200].slice(0, width).map((d) => img(from + i + d)),
  );

/** Example rows `r` written to a new folder under `root`; its path. */
async function saved(root: string, r: Uint8Array[][], size = 2): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: root, prefix: "dissect-examples-" });
  await writeExampleRows(dir, { rows: r, size });
  return dir;
}

Deno.test("example rows of shards read back as the first rows of one pass", async () => {
  await using tmp = await scratchDir("dissect-examples-");
  // One pass keeps samples 0..4; three shards kept up to 5 each of their own samples.
  const whole = await readExampleRows([await saved(tmp.path, rows(0, 5))], 5);
  assertEquals(whole, { rows: rows(0, 5), size: 2 });
  const shards = [
    await saved(tmp.path, rows(0, 2)),
    await saved(tmp.path, [], 0),
    await saved(tmp.path, rows(4, 9)),
  ];
  assertEquals(await readExampleRows(shards, 5), { rows: [...rows(0, 2), ...rows(4, 7)], size: 2 });
  assertEquals(await readExampleRows(shards, 1), { rows: rows(0, 1), size: 2 });
  assertEquals(await readExampleRows(shards, 0), { rows: [], size: 0 });
  assertEquals(await readExampleRows([await saved(tmp.path, [], 0)], 4), { rows: [], size: 0 });
  // Rows of two images (a before and after pair) keep their width.
  assertEquals(
    (await readExampleRows([await saved(tmp.path, rows(3, 5, 2))], 9)).rows,
    rows(3, 5, 2),
  );
});

Deno.test("example rows that do not fit are refused", async () => {
  await using tmp = await scratchDir("dissect-examples-");
  const dir = tmp.path;
  await assertRejects(
    () => writeExampleRows(dir, { rows: [[new Uint8Array(5)]], size: 2 }),
    (e) => assertEquals(e.message, "an example image has 5 bytes, not 12"),
  );
  const small = await saved(tmp.path, rows(0, 1)),
    large = await saved(tmp.path, [[new Uint8Array(27)]], 3);
  await assertRejects(
    () => readExampleRows([small, large], 5),
    (e) => assertEquals(e.message, `${large}: examples of 3 px beside examples of 2 px`),
  );
  await Deno.writeFile(join(small, "examples.rgb"), new Uint8Array(12));
  await assertRejects(
    () => readExampleRows([small], 5),
    (e) => assertEquals(e.message, `${small}/examples.rgb does not match examples.json`),
  );
});
