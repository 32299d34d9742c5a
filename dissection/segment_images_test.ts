/**
 * The segment stage's loop on the tiny segmenter: images segmented in shards
 * and joined give the same planes, planes.json and counts as one shard.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { tinySegmenter } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import { MATERIALS, OBJECTS, PART_NAMES } from "../world/vocabulary.ts";
import { seededRandom } from "../stats/random.ts";
import { DissectError } from "../engine/errors.ts";
import { SplitWriter } from "../data/split_format.ts";
import { COLORS } from "./colors.ts";
import { Segmenter } from "./segmenter.ts";
import { joinSegmentations, openSquareImages, segmentImages, truthAt } from "./segment_images.ts";
import { scaleRgb } from "../data/image.ts";

const SIZE = 16, IMAGES = 7;

/** A split of random images with random ground truth over the world's label lists. */
function writeImages(dir: string, width = SIZE): void {
  const rand = seededRandom(3);
  const byte = (k: number) => Math.floor(rand() * k);
  const px = SIZE * width;
  const w = new SplitWriter(dir, {
    split: "test",
    height: SIZE,
    width,
    seed: 0,
    labels: ["scene"],
    groundTruth: { objects: OBJECTS, parts: PART_NAMES, materials: MATERIALS, colors: COLORS },
  });
  for (let i = 0; i < IMAGES; i++) {
    const map = (k: number) => Uint8Array.from({ length: px }, () => byte(k));
    w.append({
      width,
      height: SIZE,
      rgb: Uint8Array.from({ length: px * 3 }, () => byte(256)),
      label: 0,
      object: map(OBJECTS.length),
      part: map(PART_NAMES.length),
      material: map(MATERIALS.length),
      halfbox: new Uint8Array(px),
    });
  }
  w.finalize();
}

Deno.test("images segmented in shards of batches and joined equal one shard of all", async () => {
  await using tmp = await scratchDir("dissect-segment-");
  const root = tmp.path;
  writeImages(join(root, "data"));
  const data = openSquareImages(join(root, "data"), "segment-test");
  const seg = await Segmenter.open("tiny", tinySegmenter(SIZE), SIZE, 1);
  const run = async (cuts: number[]) => {
    const name = cuts.join("-");
    const parts = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const dir = join(root, `${name}-part-${k}`);
      await Deno.mkdir(dir);
      await segmentImages({ seg, data, start: cuts[k], end: cuts[k + 1], batch: 2, dir });
      parts.push(dir);
    }
    const dir = join(root, name);
    await Deno.mkdir(dir);
    const joined = await joinSegmentations(dir, parts, data.meta);
    return { dir, ...joined };
  };
  try {
    const whole = await run([0, IMAGES]);
    const rows = whole.score.rows();
    assert(rows.length > 0, "the ground truth scores the segmenter");
    assertEquals(whole.frequency.imageCount, IMAGES);
    for (const cuts of [[0, 2, IMAGES], [0, 2, 6, IMAGES]]) {
      const split = await run(cuts);
      for (const file of ["planes.u8", "planes.json"]) {
        assertEquals(
          await Deno.readFile(join(split.dir, file)),
          await Deno.readFile(join(whole.dir, file)),
          `${file}, cut at ${cuts}`,
        );
      }
      assertEquals(split.score.rows(), rows);
      assertEquals(split.frequency.rows(), whole.frequency.rows());
    }
  } finally {
    await seg.release();
  }
  // Partials of another segmenter's labels are not joined.
  const other = join(root, "0-7-part-0", "planes.json");
  const meta = JSON.parse(await Deno.readTextFile(other));
  await Deno.writeTextFile(
    other,
    JSON.stringify({ ...meta, labels: { ...meta.labels, part: [] } }),
  );
  await assertRejects(
    () =>
      joinSegmentations(root, [join(root, "0-2-7-part-0"), join(root, "0-7-part-0")], data.meta),
    (e) => assert(e instanceof DissectError && /labels or size differ/.test(e.message)),
  );
});

Deno.test("images that are not square are refused, naming the stage", async () => {
  await using tmp = await scratchDir("dissect-segment-");
  const dir = tmp.path;
  writeImages(dir, SIZE * 2);
  assertThrows(
    () => openSquareImages(dir, "segment-x"),
    DissectError,
    "segment-x: images are 32x16; segment needs square images",
  );
});

Deno.test("a segmentation at half the images' side labels the images scaled to it, unscored", async () => {
  const root = await Deno.makeTempDir({ prefix: "dissect-segment-" });
  try {
    writeImages(join(root, "data"));
    const data = openSquareImages(join(root, "data"), "segment-test");
    const half = SIZE / 2;
    const seg = await Segmenter.open("tiny", tinySegmenter(half), half, 1);
    const dir = join(root, "half");
    await Deno.mkdir(dir);
    await segmentImages({ seg, data, start: 0, end: IMAGES, batch: 3, dir });
    const out = join(root, "joined");
    await Deno.mkdir(out);
    const joined = await joinSegmentations(out, [dir], truthAt(data.meta, half));
    // The same planes as the segmenter gives the images scaled beforehand.
    const scaled = scaleRgb(data.read(0, IMAGES).images, IMAGES, SIZE, half);
    const expected = (await seg.segment(scaled, IMAGES)).planes;
    assertEquals(await Deno.readFile(join(out, "planes.u8")), expected);
    const meta = JSON.parse(await Deno.readTextFile(join(out, "planes.json")));
    assertEquals([meta.height, meta.width, meta.count], [half, half, IMAGES]);
    // Ground truth is at the images' size: nothing is scored.
    assertEquals(joined.score.rows(), []);
    await seg.release();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
