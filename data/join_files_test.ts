import { join } from "node:path";
import { assertEquals } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { joinFiles } from "./join_files.ts";

Deno.test("joined files are the parts end to end, in order; none joins to an empty file", async () => {
  await using tmp = await scratchDir("dissect-join-");
  const dir = tmp.path;
  const parts = [[1, 2, 3], [], [4], [5, 6]].map((bytes, k) => {
    const path = join(dir, `part-${k}`);
    Deno.writeFileSync(path, Uint8Array.from(bytes));
    return path;
  });
  await joinFiles(join(dir, "whole"), parts);
  assertEquals([...await Deno.readFile(join(dir, "whole"))], [1, 2, 3, 4, 5, 6]);
  await joinFiles(join(dir, "none"), []);
  assertEquals((await Deno.readFile(join(dir, "none"))).length, 0);
});
