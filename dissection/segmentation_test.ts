import { assertEquals, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { scratchDir } from "../tests/helpers.ts";
import {
  checkAligned,
  conceptAreas,
  SegmentationReader,
  vocabularyOf,
  writeSegmentationMeta,
} from "./segmentation.ts";

Deno.test("a dissection's inputs must describe the same images, square, planes of any size", () => {
  const seg = { count: 4, height: 8, width: 8 };
  checkAligned("iou", 4, seg, { count: 4, height: 8, width: 8 });
  assertThrows(
    () => checkAligned("iou", 5, seg, { count: 4, height: 8, width: 8 }),
    DissectError,
    "iou: activations (5 images), segmentation (4) and data (4) must describe the same images",
  );
  // A segmentation at half the images' side, as Broden's.
  checkAligned("iou", 4, seg, { count: 4, height: 16, width: 16 });
  assertThrows(
    () => checkAligned("iou", 4, seg, { count: 4, height: 16, width: 12 }),
    DissectError,
    "images (12x16) and segmentation (8x8) must be square",
  );
});

Deno.test("concept areas are one per concept of the labels' vocabulary, or refused", () => {
  const labels = { object: ["-", "tree"], part: ["-"], material: ["-"], color: ["-"] };
  const C = vocabularyOf({ count: 1, height: 2, width: 2, labels }).concepts.length;
  const areas = Array.from({ length: C }, (_, i) => i);
  const meta = { count: 1, height: 2, width: 2, labels, conceptPixels: areas };
  assertEquals(conceptAreas("iou", meta, "/s"), areas);
  assertThrows(
    () => conceptAreas("iou", { ...meta, conceptPixels: areas.slice(1) }, "/s"),
    DissectError,
    `iou: the segmentation in /s has no concept areas for its ${C} concepts`,
  );
  assertThrows(
    () => conceptAreas("iou", { ...meta, conceptPixels: undefined }, "/s"),
    DissectError,
    "no concept areas",
  );
});

Deno.test("a segmentation's meta reads back as written", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const labels = { object: ["-", "tree"], part: ["-"], material: ["-"], color: ["red"] };
  const meta = { count: 2, height: 3, width: 3, labels, conceptPixels: [4, 0] };
  await writeSegmentationMeta(dir, meta);
  await Deno.writeFile(`${dir}/planes.u8`, new Uint8Array(2 * 5 * 9));
  const reader = await SegmentationReader.open(dir);
  assertEquals(reader.meta as unknown, {
    ...meta,
    planes: ["object", "part", "material", "color", "halfbox"],
  });
  reader.close();
});
