import { assertEquals, assertThrows } from "../tests/assert.ts";
import { SplitReader, SplitWriter } from "./split_format.ts";

Deno.test("more than 256 labels are stored in two bytes each and read back whole", async () => {
  const dir = await Deno.makeTempDir();
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
  const small = await Deno.makeTempDir();
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
  const w = new SplitWriter(await Deno.makeTempDir(), {
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
