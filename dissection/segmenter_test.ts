import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { decodeModel, encodeModel } from "../onnx/proto.ts";
import { tinySegmenter } from "../tests/fixtures/models.ts";
import { seededRandom } from "../stats/random.ts";
import { Segmenter } from "./segmenter.ts";

Deno.test("a segmenter's class maps of some heads equal those of a full segmentation", async () => {
  const seg = await Segmenter.open("tiny.onnx", tinySegmenter(16), 16, 1);
  const next = seededRandom(2);
  const n = 3, px = 16 * 16;
  const rgb = Uint8Array.from({ length: n * px * 3 }, () => Math.floor(next() * 256));
  const full = await seg.segment(rgb, n);
  const part = await seg.maps(rgb, n, ["part"]);
  assertEquals(Object.keys(part), ["part"]);
  assertEquals(part.part, full.maps.part);
  // The planes carry the same maps, image by image.
  const planes = full.planes.length / n;
  for (let i = 0; i < n; i++) {
    assertEquals(
      full.planes.subarray(i * planes, i * planes + px),
      full.maps.object.subarray(i * px, (i + 1) * px),
    );
  }
  assert(new Set(full.maps.object).size > 1, "the test image gets more than one object class");
  await seg.release();
});

Deno.test("a batch larger than one segmenter run gives the maps of its images one by one", async () => {
  const seg = await Segmenter.open("tiny.onnx", tinySegmenter(8), 8, 1);
  const next = seededRandom(3);
  const n = 70, px = 8 * 8; // more than two runs' worth
  const rgb = Uint8Array.from({ length: n * px * 3 }, () => Math.floor(next() * 256));
  const all = (await seg.maps(rgb, n, ["object"])).object;
  for (let i = 0; i < n; i++) {
    const one = await seg.maps(rgb.subarray(i * px * 3, (i + 1) * px * 3), 1, ["object"]);
    assertEquals(all.subarray(i * px, (i + 1) * px), one.object);
  }
  await seg.release();
});

Deno.test("a segmenter whose output classes and label names disagree is refused", async () => {
  const model = decodeModel(tinySegmenter(16));
  const parts = model.metadataProps.find((m) => m.key === "parts")!;
  parts.value = JSON.stringify(JSON.parse(parts.value!).slice(0, -1));
  const e = await Segmenter.open("short.onnx", encodeModel(model), 16, 1).catch((e) => e);
  assert(e instanceof DissectError, String(e));
  assertMatch(e.message, /short\.onnx: output "part" has \d+ classes but its metadata names \d+/);
});
