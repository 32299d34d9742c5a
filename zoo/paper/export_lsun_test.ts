/**
 * LSUN's LMDB (as downloaded, zipped) exported to a folder the pipeline
 * reads: a small database made here, with JPEG and WebP values, round-trips
 * byte for byte. Needs Debian's python3-lmdb (which `.ci/run` installs);
 * without it the test says so and is ignored.
 */
import { join } from "node:path";
import sharp from "sharp";
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { scratchDir } from "../../tests/helpers.ts";
import { PY, pythonHas, runCommand } from "../../tests/python.ts";

const SCRIPT = join(new URL(".", import.meta.url).pathname, "export_lsun.py");

const lmdb = pythonHas("zoo/paper/export_lsun_test.ts", ["lmdb"], ["python3-lmdb"]);
const run = (args: string[]) => runCommand(PY, args);

Deno.test({
  name:
    "LSUN's zipped LMDB exports to image files, byte for byte, named by key; --limit keeps the first",
  ignore: !lmdb,
  async fn() {
    await using tmp = await scratchDir();
    const pixels = { width: 8, height: 8, channels: 3 as const, background: "#c04020" };
    const jpeg = new Uint8Array(await sharp({ create: pixels }).jpeg().toBuffer());
    const webp = new Uint8Array(await sharp({ create: pixels }).webp().toBuffer());
    await Deno.writeFile(join(tmp.path, "a.jpg"), jpeg);
    await Deno.writeFile(join(tmp.path, "b.webp"), webp);
    // LSUN's layout: a folder church_outdoor_train_lmdb/ holding data.mdb, zipped.
    const make = [
      "import lmdb, os, sys, zipfile",
      "root = sys.argv[1]; db = os.path.join(root, 'church_outdoor_train_lmdb')",
      "env = lmdb.open(db, map_size=1 << 24)",
      "with env.begin(write=True) as t:",
      "    t.put(b'0001a', open(os.path.join(root, 'a.jpg'), 'rb').read())",
      "    t.put(b'0002b', open(os.path.join(root, 'b.webp'), 'rb').read())",
      "    t.put(b'0003c', open(os.path.join(root, 'a.jpg'), 'rb').read())",
      "env.close()",
      "with zipfile.ZipFile(os.path.join(root, 'lmdb.zip'), 'w') as z:",
      "    for f in os.listdir(db): z.write(os.path.join(db, f), 'church_outdoor_train_lmdb/' + f)",
    ].join("\n");
    const made = await run(["-c", make, tmp.path]);
    assert(made.ok, made.out);
    const out = join(tmp.path, "church");
    const r = await run([SCRIPT, "--lmdb", join(tmp.path, "lmdb.zip"), "--out", out]);
    assert(r.ok, r.out);
    assertMatch(r.out, /wrote 3 images/);
    const names = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
    assertEquals(names, ["0001a.jpg", "0002b.webp", "0003c.jpg"]);
    assertEquals(await Deno.readFile(join(out, "0002b.webp")), webp);
    assertEquals(await Deno.readFile(join(out, "0003c.jpg")), jpeg);
    const first = join(tmp.path, "first");
    const limited = await run([
      SCRIPT,
      "--lmdb",
      join(tmp.path, "church_outdoor_train_lmdb"),
      "--out",
      first,
      "--limit",
      "2",
    ]);
    assert(limited.ok, limited.out);
    assertEquals((await Array.fromAsync(Deno.readDir(first))).length, 2);
    const missing = await run([SCRIPT, "--lmdb", join(tmp.path, "nope.zip"), "--out", first]);
    assertEquals(missing.ok, false);
    assertMatch(missing.out, /^error: .*nope\.zip: no such file \(deno task fetch-paper/m);
  },
});
