import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
} from "../tests/assert.ts";
import { DigestCache } from "./file_digest.ts";
import { scratchDir } from "../tests/helpers.ts";

Deno.test("digests are cached by path, size and mtime and recomputed when those change", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const file = join(dir, "model.onnx");
  await Deno.writeTextFile(file, "weights v1");
  const cachePath = join(dir, "digests.json");
  const first = await DigestCache.open(cachePath);
  const d1 = await first.digest(file, "test");
  assertEquals(first.hashedFiles, 1);
  await first.save();

  const second = await DigestCache.open(cachePath);
  assertEquals(await second.digest(file, "test"), d1);
  assertEquals(second.hashedFiles, 0, "a warm cache reads no file");

  await Deno.writeTextFile(file, "weights v2");
  const third = await DigestCache.open(cachePath);
  assertNotEquals(await third.digest(file, "test"), d1);
  assertEquals(third.hashedFiles, 1);
});

Deno.test("a folder's digest covers its files and their names", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  await Deno.mkdir(join(dir, "imgs/sub"), { recursive: true });
  await Deno.writeTextFile(join(dir, "imgs/a.png"), "a");
  await Deno.writeTextFile(join(dir, "imgs/sub/b.png"), "b");
  const cache = await DigestCache.open(null);
  const d1 = await cache.digest(join(dir, "imgs"), "images");
  await Deno.rename(join(dir, "imgs/sub/b.png"), join(dir, "imgs/sub/c.png"));
  const d2 = await (await DigestCache.open(null)).digest(join(dir, "imgs"), "images");
  assertNotEquals(d1, d2);
});

Deno.test("a missing file or an empty folder is an error naming the reader and path", async () => {
  const cache = await DigestCache.open(null);
  const e = await assertRejects(() => cache.digest("/no/such/model.onnx", 'stage x, file "model"'));
  assertMatch(e.message, /stage x, file "model": file not found: \/no\/such\/model\.onnx/);
  await using tmp = await scratchDir();
  const empty = tmp.path;
  const e2 = await assertRejects(() => cache.digest(empty, "images"));
  assertMatch(e2.message, /images: folder is empty/);
  assert(e2.name === "DissectError");
});
