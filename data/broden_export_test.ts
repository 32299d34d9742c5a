/**
 * A split with ground truth exported in Broden's format and read back by
 * data/broden.ts gives the same images, classes, label lists and maps,
 * byte for byte: the world's own val split, and random maps that use every
 * class of the world's lists.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { exportSplit } from "../world/export.ts";
import { GROUND_TRUTH_LABELS } from "../world/vocabulary.ts";
import { seededRandom } from "../stats/random.ts";
import { SplitReader, SplitWriter } from "./split_format.ts";
import { BrodenReader } from "./broden.ts";
import { exportBroden } from "./broden_export.ts";
import { readCsvTable } from "./csv.ts";

/** A split of random images whose maps use every class of the world's lists. */
function randomSplit(dir: string, size: number, count: number, groundTruth = true): void {
  const rand = seededRandom(5);
  const byte = (k: number) => Math.floor(rand() * k);
  const px = size * size;
  const w = new SplitWriter(dir, {
    split: "val",
    height: size,
    width: size,
    seed: 0,
    labels: ["beach", "kitchen", "street"],
    groundTruth: groundTruth && GROUND_TRUTH_LABELS,
  });
  const { objects, parts, materials } = GROUND_TRUTH_LABELS;
  for (let i = 0; i < count; i++) {
    // Image 0 holds every class of every list at least once.
    const map = (k: number) => Uint8Array.from({ length: px }, (_, p) => i === 0 ? p % k : byte(k));
    w.append({
      width: size,
      height: size,
      rgb: Uint8Array.from({ length: px * 3 }, () => byte(256)),
      label: i % 3,
      ...(groundTruth && {
        object: map(objects.length),
        part: map(parts.length),
        material: map(materials.length),
        halfbox: new Uint8Array(px),
      }),
    });
  }
  w.finalize();
}

/** Exports `split` and reads it back; asserts the two are the same data set. */
async function roundTrip(split: string, out: string): Promise<void> {
  const r = await exportBroden({ split, out, batch: 3 });
  const source = new SplitReader(split);
  const { meta } = source;
  assertEquals(r.count, meta.count);
  const reader = await BrodenReader.open(out, { split: meta.split, labels: "scene" });
  assertEquals(
    [reader.meta.objects, reader.meta.parts, reader.meta.materials, reader.meta.labels],
    [meta.objects, meta.parts, meta.materials, meta.labels],
  );
  assertEquals([reader.meta.count, reader.meta.height, reader.meta.width], [
    meta.count,
    meta.height,
    meta.width,
  ]);
  const want = source.read(0, meta.count), got = await reader.read(0, meta.count);
  assertEquals(got.images, want.images);
  assertEquals(Array.from(got.labels), Array.from(want.labels));
  for (const m of ["object", "part", "material"] as const) assertEquals(got[m], want[m], m);
  assertEquals(got.overlap, new Array(meta.count).fill(0));
}

Deno.test("the world's val split, exported to Broden's format, reads back to its images and ground truth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dissect-test-broden-export-" });
  try {
    exportSplit("val", 10, 1, 32, join(dir, "split"));
    await roundTrip(join(dir, "split"), join(dir, "broden"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every class of every list survives the round trip; a name in two lists is one label", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dissect-test-broden-export-" });
  try {
    randomSplit(join(dir, "split"), 16, 5);
    const out = join(dir, "broden");
    await roundTrip(join(dir, "split"), out);
    const labels = await readCsvTable(join(out, "label.csv"), ["number", "name", "category"]);
    const window = labels.records.filter((r) => r.fields.name === "window");
    assertEquals(window.length, 1, "object window and part window share a label");
    assert(
      /^object\(\d+\);part\(\d+\)$/.test(window[0].fields.category),
      window[0].fields.category,
    );
    const numbers = labels.records.map((r) => Number(r.fields.number));
    assertEquals(numbers, numbers.map((_, k) => k + 1));
    const parts = await readCsvTable(join(out, "c_part.csv"), ["code", "name"]);
    assertEquals(
      parts.records.map((r) => [Number(r.fields.code), r.fields.name]),
      GROUND_TRUTH_LABELS.parts.slice(1).map((name, k) => [k + 1, name]),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an export refuses a split without ground truth and an existing folder, and leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dissect-test-broden-export-" });
  try {
    randomSplit(join(dir, "bare"), 16, 2, false);
    await assertRejects(
      () => exportBroden({ split: join(dir, "bare"), out: join(dir, "out") }),
      (e) => {
        assert(e instanceof DissectError && e.code === "DATA", String(e));
        assert(e.message.includes("no object, part and material ground truth"), e.message);
      },
    );
    randomSplit(join(dir, "split"), 16, 2);
    await Deno.mkdir(join(dir, "taken"));
    await Deno.writeTextFile(join(dir, "taken", "mine.txt"), "keep me");
    await assertRejects(
      () => exportBroden({ split: join(dir, "split"), out: join(dir, "taken") }),
      (e) => assert(e instanceof DissectError && /taken already exists/.test(e.message), String(e)),
    );
    assertEquals(await Deno.readTextFile(join(dir, "taken", "mine.txt")), "keep me");
    const left = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
    assertEquals(left, ["bare", "split", "taken"]);
    // An empty folder is fine.
    await Deno.mkdir(join(dir, "empty"));
    await exportBroden({ split: join(dir, "split"), out: join(dir, "empty") });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
