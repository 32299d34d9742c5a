import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects, assertThrows } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { joinSplits, MAP_FILES, SplitReader, SplitWriter } from "./split_format.ts";

Deno.test("more than 256 labels are stored in two bytes each and read back whole", async () => {
  await using tmp = await scratchDir();
  const dir = join(tmp.path, "places");
  const labels = Array.from({ length: 365 }, (_, i) => `class${i}`);
  const w = new SplitWriter(dir, {
    split: "places",
    height: 2,
    width: 2,
    seed: 0,
    labels,
    groundTruth: false,
  });
  const wanted = [0, 255, 256, 364, 300];
  for (const label of wanted) w.append({ width: 2, height: 2, rgb: new Uint8Array(12), label });
  const meta = w.finalize();
  assertEquals(meta.labelBytes, 2);
  const r = new SplitReader(dir);
  assertEquals([...r.read(0, 5).labels], wanted);
  assertEquals([...r.read(2, 4).labels], [256, 364]);
  // A split of few labels keeps one byte per label, and its meta says nothing of it.
  const small = join(tmp.path, "small");
  const s = new SplitWriter(small, {
    split: "s",
    height: 2,
    width: 2,
    seed: 0,
    labels: ["a", "b"],
    groundTruth: false,
  });
  s.append({ width: 2, height: 2, rgb: new Uint8Array(12), label: 1 });
  assertEquals("labelBytes" in s.finalize(), false);
  assertEquals([...new SplitReader(small).read(0, 1).labels], [1]);
  assertEquals((await Deno.stat(`${small}/labels.u8`)).size, 1);
});

Deno.test("a label outside the split's names is refused when written", async () => {
  await using tmp = await scratchDir();
  const w = new SplitWriter(tmp.path, {
    split: "s",
    height: 2,
    width: 2,
    seed: 0,
    labels: ["a", "b"],
    groundTruth: false,
  });
  assertThrows(
    () => w.append({ width: 2, height: 2, rgb: new Uint8Array(12), label: 2 }),
    Error,
    "label 2",
  );
});

Deno.test("splits of consecutive images join into the split one writer makes, file for file", async () => {
  const truth = { objects: ["-", "tree"], parts: ["-"], materials: ["-"], colors: ["red"] };
  const write = (dir: string, from: number, to: number) => {
    const w = new SplitWriter(dir, {
      split: "s",
      height: 2,
      width: 2,
      seed: 3,
      labels: ["a", "b"],
      groundTruth: truth,
    });
    for (let i = from; i < to; i++) {
      const map = Uint8Array.of(i % 2, 1, 0, i % 3 ? 1 : 0);
      w.append({
        width: 2,
        height: 2,
        rgb: Uint8Array.from({ length: 12 }, (_, k) => i * 12 + k),
        label: i % 2,
        object: map,
        part: map.map(() => 0),
        material: map.map(() => 0),
        halfbox: map.map((v) => v * 3),
      });
    }
    w.finalize();
  };
  await using tmp = await scratchDir("dissect-splits-");
  const root = tmp.path;
  write(join(root, "whole"), 0, 5);
  const cuts = [0, 2, 3, 5];
  const parts = cuts.slice(1).map((end, k) => {
    const dir = join(root, `part-${k}`);
    write(dir, cuts[k], end);
    return dir;
  });
  await Deno.mkdir(join(root, "joined"));
  assertEquals((await joinSplits(join(root, "joined"), parts)).count, 5);
  const files = ["meta.json", "images.u8", "labels.u8", ...MAP_FILES.map((m) => `${m}.u8`)];
  for (const f of files) {
    assertEquals(
      await Deno.readFile(join(root, "joined", f)),
      await Deno.readFile(join(root, "whole", f)),
      f,
    );
  }
  write(join(root, "other"), 0, 1);
  const other = JSON.parse(await Deno.readTextFile(join(root, "other", "meta.json")));
  await Deno.writeTextFile(join(root, "other", "meta.json"), JSON.stringify({ ...other, seed: 4 }));
  await assertRejects(
    () => joinSplits(join(root, "bad"), [join(root, "whole"), join(root, "other")]),
    (e) => assertMatch(e.message, /differs from .* in more than count/),
  );
});

Deno.test("a class list of more than 256 names stores its map in 16 bits; shards of it join", async () => {
  await using tmp = await scratchDir();
  const objects = ["none", ...Array.from({ length: 400 }, (_, k) => `object${k}`)];
  const truth = { objects, parts: ["none", "door"], materials: ["none"], colors: ["red"] };
  const maps = (i: number) => ({
    object: Uint16Array.of(0, 255 + i, 256, 400),
    part: Uint8Array.of(i % 2, 1, 0, 1),
    material: new Uint8Array(4),
    halfbox: Uint8Array.of(1, 2, 4, 8),
  });
  const write = (dir: string, from: number, to: number) => {
    const w = new SplitWriter(dir, {
      split: "val",
      height: 2,
      width: 2,
      seed: 0,
      labels: ["a"],
      groundTruth: truth,
    });
    for (let i = from; i < to; i++) {
      w.append({ width: 2, height: 2, rgb: new Uint8Array(12), label: 0, ...maps(i) });
    }
    return w.finalize();
  };
  const one = join(tmp.path, "one");
  write(one, 0, 3);
  assertEquals((await Deno.stat(join(one, "object.u16"))).size, 3 * 4 * 2);
  assertEquals((await Deno.stat(join(one, "part.u8"))).size, 3 * 4);
  const parts = [join(tmp.path, "a"), join(tmp.path, "b")];
  write(parts[0], 0, 2);
  write(parts[1], 2, 3);
  const joined = join(tmp.path, "joined");
  await Deno.mkdir(joined);
  await joinSplits(joined, parts);
  for (const dir of [one, joined]) {
    const b = new SplitReader(dir).read(1, 3);
    assertEquals(b.object instanceof Uint16Array, true);
    assertEquals(Array.from(b.object!), [0, 256, 256, 400, 0, 257, 256, 400]);
    assertEquals(Array.from(b.part!), [1, 1, 0, 1, 0, 1, 0, 1]);
  }
  // A narrow list's map never comes 16-bit: its ids would be cut to a byte unseen.
  const narrow = new SplitWriter(join(tmp.path, "narrow"), {
    split: "val",
    height: 2,
    width: 2,
    seed: 0,
    labels: ["a"],
    groundTruth: { ...truth, objects: ["none", "tree"] },
  });
  assertThrows(
    () => narrow.append({ width: 2, height: 2, rgb: new Uint8Array(12), label: 0, ...maps(0) }),
    Error,
    "object map is 16-bit",
  );
});
