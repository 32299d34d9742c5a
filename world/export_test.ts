import { join } from "node:path";
import { exportSplit } from "./export.ts";
import { FORMAT, SplitReader, SplitWriter } from "../data/split_format.ts";
import { renderItem } from "./render.ts";
import { labelSpace, splitItem } from "./splits.ts";
import { assertEquals } from "./test_util.ts";
import { GROUND_TRUTH_LABELS, OBJECTS } from "./vocabulary.ts";

Deno.test("format round trip: batches read back byte for byte", () => {
  const dir = Deno.makeTempDirSync({ prefix: "world_fmt_" });
  try {
    const out = join(dir, "val");
    exportSplit("val", 9, 4, 32, out);
    const rd = new SplitReader(out);
    assertEquals(rd.meta.format, FORMAT);
    assertEquals([rd.meta.count, rd.meta.height, rd.meta.width, rd.meta.seed], [9, 32, 32, 4]);
    assertEquals(rd.meta.labels, [...labelSpace("val")]);
    assertEquals(rd.meta.objects, [...OBJECTS]);
    const b = rd.read(3, 7);
    const px = 32 * 32;
    for (let i = 3; i < 7; i++) {
      const r = renderItem("val", splitItem("val", i, 4), 32);
      const k = i - 3;
      assertEquals(b.images.subarray(k * px * 3, (k + 1) * px * 3), r.rgb);
      assertEquals(b.labels[k], r.label);
      assertEquals(b.object!.subarray(k * px, (k + 1) * px), r.object);
      assertEquals(b.part!.subarray(k * px, (k + 1) * px), r.part);
      assertEquals(b.material!.subarray(k * px, (k + 1) * px), r.material);
      assertEquals(b.halfbox!.subarray(k * px, (k + 1) * px), r.halfbox);
    }
    assertEquals(rd.read(9, 9).images.length, 0);
    let err = "";
    try {
      rd.read(5, 10);
    } catch (e) {
      err = String(e);
    }
    assertEquals(err.includes("bad batch [5, 10)"), true, err);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a split without meta.json is refused with an error naming it", () => {
  const dir = Deno.makeTempDirSync({ prefix: "world_fmt_" });
  try {
    const w = new SplitWriter(dir, {
      split: "train",
      height: 32,
      width: 32,
      seed: 1,
      labels: labelSpace("train"),
      groundTruth: GROUND_TRUTH_LABELS,
    });
    w.append(renderItem("train", splitItem("train", 0, 1), 32));
    // Not finalized: data files exist, meta.json does not.
    let err = "";
    try {
      new SplitReader(dir);
    } catch (e) {
      err = String(e);
    }
    assertEquals(err.includes(dir) && err.includes("meta.json"), true, err);
    w.finalize();
    assertEquals(new SplitReader(dir).count, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a split without ground truth stores images and labels only, and says so", () => {
  const dir = Deno.makeTempDirSync({ prefix: "world_fmt_" });
  try {
    const w = new SplitWriter(dir, {
      split: "generated",
      height: 16,
      width: 16,
      seed: 3,
      labels: ["generated"],
      groundTruth: false,
    });
    const rgb = new Uint8Array(16 * 16 * 3).map((_, i) => i & 255);
    w.append({ width: 16, height: 16, rgb, label: 0 });
    const meta = w.finalize();
    assertEquals(meta.maps, []);
    const b = new SplitReader(dir).read(0, 1);
    assertEquals(b.images, rgb);
    assertEquals(b.object, undefined);
    let err = "";
    try {
      Deno.statSync(join(dir, "object.u8"));
    } catch (e) {
      err = String(e);
    }
    assertEquals(err.includes("NotFound"), true, "no ground-truth files written");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
