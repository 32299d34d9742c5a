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

Deno.test("a segmenter of more than 256 objects gives 16-bit maps and planes, ids past 255 included", async () => {
  const next = seededRandom(5);
  const n = 2, px = 16 * 16;
  const rgb = Uint8Array.from({ length: n * px * 3 }, () => Math.floor(next() * 256));
  const narrow = await Segmenter.open("tiny.onnx", tinySegmenter(16), 16, 1);
  const wide = await Segmenter.open("wide.onnx", tinySegmenter(16, {}, { objects: 300 }), 16, 1);
  const wins = await Segmenter.open(
    "wins.onnx",
    tinySegmenter(16, {}, { objects: 300, extraWins: true }),
    16,
    1,
  );
  try {
    assertEquals([narrow.pixelBytes, wide.pixelBytes], [1, 2]);
    const [a, b] = [await narrow.segment(rgb, n), await wide.segment(rgb, n)];
    assert(b.planes instanceof Uint16Array && b.maps.object instanceof Uint16Array);
    // No extra class wins a pixel: the same classes, in wider ids.
    assertEquals(Array.from(b.planes), Array.from(a.planes));
    const last = wins.labels.object.length - 1;
    assert(last > 255);
    assertEquals(new Set((await wins.maps(rgb, n, ["object"])).object), new Set([last]));
  } finally {
    await Promise.all([narrow.release(), wide.release(), wins.release()]);
  }
});

Deno.test("a segmenter whose class count is not fixed is refused: its ids could pass its list unseen", async () => {
  const model = decodeModel(tinySegmenter(16));
  const out = model.graph!.output!.find((o) => o.name === "object")!;
  out.type!.tensorType!.shape!.dim![1] = { dimParam: "K" };
  const e = await Segmenter.open("open.onnx", encodeModel(model), 16, 1).catch((e) => e);
  assert(e instanceof DissectError, String(e));
  assertMatch(
    e.message,
    /open\.onnx: output "object" has no fixed class count on axis 1 \(it is "K"\)/,
  );
});

Deno.test("a segmenter's metadata max_batch bounds the images of one run; the maps are the same", async () => {
  const small = await Segmenter.open("small.onnx", tinySegmenter(8, { max_batch: "3" }), 8, 1);
  const plain = await Segmenter.open("tiny.onnx", tinySegmenter(8), 8, 1);
  try {
    assertEquals([small.chunk, plain.chunk], [3, 32]);
    const next = seededRandom(9);
    const rgb = Uint8Array.from({ length: 7 * 64 * 3 }, () => Math.floor(next() * 256));
    assertEquals(
      (await small.maps(rgb, 7, ["object"])).object,
      (await plain.maps(rgb, 7, ["object"])).object,
    );
  } finally {
    await Promise.all([small.release(), plain.release()]);
  }
  const e = await Segmenter.open("bad.onnx", tinySegmenter(8, { max_batch: "0" }), 8, 1)
    .catch((e) => e);
  assert(e instanceof DissectError, String(e));
  assertMatch(e.message, /bad\.onnx: metadata max_batch must be a positive integer, not "0"/);
});

Deno.test("a segmenter whose output classes and label names disagree is refused", async () => {
  const model = decodeModel(tinySegmenter(16));
  const parts = model.metadataProps.find((m) => m.key === "parts")!;
  parts.value = JSON.stringify(JSON.parse(parts.value!).slice(0, -1));
  const e = await Segmenter.open("short.onnx", encodeModel(model), 16, 1).catch((e) => e);
  assert(e instanceof DissectError, String(e));
  assertMatch(e.message, /short\.onnx: output "part" has \d+ classes but its metadata names \d+/);
});

Deno.test("a segmenter of any size labels images of a size it was not built at as one built for it", async () => {
  for (const size of [8, 24]) {
    const any = await Segmenter.open("any.onnx", tinySegmenter("any"), size, 1);
    const fixed = await Segmenter.open("fixed.onnx", tinySegmenter(size), size, 1);
    const next = seededRandom(size);
    const n = 3;
    const rgb = Uint8Array.from({ length: n * size * size * 3 }, () => Math.floor(next() * 256));
    const got = await any.segment(rgb, n);
    assertEquals(got.planes.length, n * 5 * size * size);
    assertEquals(got.planes, (await fixed.segment(rgb, n)).planes);
    await any.release();
    await fixed.release();
  }
});

Deno.test("a segmenter refuses a size it was not exported for, or that its pools do not divide", async () => {
  const fixed = await Segmenter.open("fixed.onnx", tinySegmenter(16), 24, 1).catch((e) => e);
  assert(fixed instanceof DissectError, String(fixed));
  assertMatch(fixed.message, /fixed\.onnx: input "image" has shape Nx3x16x16, expected Nx3x24x24/);
  const pooled = tinySegmenter("any", { size_multiple: "16" });
  const e = await Segmenter.open("pooled.onnx", pooled, 24, 1).catch((e) => e);
  assert(e instanceof DissectError, String(e));
  assertMatch(e.message, /pooled\.onnx: images of 24 px .* multiples of 16/);
  const ok = await Segmenter.open("pooled.onnx", pooled, 32, 1);
  await ok.release();
});
