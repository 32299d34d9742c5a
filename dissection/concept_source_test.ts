/**
 * The concept sources share one suite: a segmenter, the world's ground
 * truth, and a Broden data set's ground truth (the world's split exported
 * to Broden's format, read by data/broden.ts) each label the same images
 * into label planes that the dissection reads alike. Then what sets them
 * apart: the segmenter's planes are the segment stage's, and the Broden
 * export's are the world's, byte for byte.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { tinySegmenter } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import { exportSplit } from "../world/export.ts";
import { DissectError } from "../engine/errors.ts";
import { type Batch, SplitReader, SplitWriter } from "../data/split_format.ts";
import { BrodenReader } from "../data/broden.ts";
import { exportBroden } from "../data/broden_export.ts";
import { PLANES, planesOf } from "./concepts.ts";
import { colorMap, COLORS } from "./colors.ts";
import { halfBoxFlags } from "./half_parts.ts";
import { Segmenter } from "./segmenter.ts";
import { segmentImages } from "./segment_images.ts";
import { conceptAreas, planesFile, SegmentationReader, vocabularyOf } from "./segmentation.ts";
import { type ClassMap, MAX_CLASSES } from "../data/class_map.ts";
import {
  type BatchSource,
  type ConceptSource,
  joinLabeled,
  labelImages,
  segmenterSource,
  truthSource,
} from "./concept_source.ts";

const SIZE = 16, IMAGES = 7;

/** A source and the data set it labels. */
interface Opened {
  source: ConceptSource;
  data: BatchSource & { meta: { count: number } };
}

/**
 * The world's val split rewritten with 300 more object names at the end of
 * its list (so the same images, with the same classes, whose planes need 16
 * bits), under `root`.
 */
function wideWorld(root: string, split: string): string {
  const narrow = new SplitReader(split), meta = narrow.meta;
  const dir = join(root, "wide");
  const objects = [...meta.objects!, ...Array.from({ length: 300 }, (_, k) => `extra${k}`)];
  const w = new SplitWriter(dir, {
    split: meta.split,
    height: meta.height,
    width: meta.width,
    seed: meta.seed,
    labels: meta.labels,
    groundTruth: {
      objects,
      parts: meta.parts!,
      materials: meta.materials!,
      colors: meta.colors!,
    },
  });
  const b = narrow.read(0, meta.count), px = meta.height * meta.width;
  for (let i = 0; i < meta.count; i++) {
    const at = <M extends ClassMap>(m?: M) => m!.subarray(i * px, (i + 1) * px) as M;
    w.append({
      width: meta.width,
      height: meta.height,
      rgb: b.images.subarray(i * px * 3, (i + 1) * px * 3),
      label: b.labels[i],
      object: at(b.object),
      part: at(b.part),
      material: at(b.material),
      halfbox: at(b.halfbox),
    });
  }
  w.finalize();
  return dir;
}

/** The world's val split, and its Broden export, under `root`. */
async function world(root: string): Promise<{ split: string; broden: string }> {
  const split = join(root, "split"), broden = join(root, "broden");
  exportSplit("val", IMAGES, 1, SIZE, split);
  await exportBroden({ split, out: broden });
  return { split, broden };
}

const SOURCES: { name: string; open(root: string): Promise<Opened> }[] = [
  {
    name: "a segmenter",
    async open(root) {
      const data = new SplitReader((await world(root)).split);
      const seg = await Segmenter.open("tiny.onnx", tinySegmenter(SIZE), SIZE, 1);
      return { source: segmenterSource(seg), data };
    },
  },
  {
    name: "the world's ground truth",
    async open(root) {
      const data = new SplitReader((await world(root)).split);
      return { source: truthSource(data.meta, "world"), data };
    },
  },
  {
    name: "a Broden data set's ground truth",
    async open(root) {
      const dir = (await world(root)).broden;
      const data = await BrodenReader.open(dir, { split: "val", labels: "scene" });
      return { source: truthSource(data.meta, dir), data };
    },
  },
  {
    name: "ground truth whose lists need 16-bit planes",
    async open(root) {
      const data = new SplitReader(wideWorld(root, (await world(root)).split));
      return { source: truthSource(data.meta, "wide"), data };
    },
  },
];

/** Runs `fn` on a source opened in a fresh folder, then releases and removes them. */
async function withSource(
  open: (root: string) => Promise<Opened>,
  fn: (o: Opened, root: string) => Promise<void>,
): Promise<void> {
  await using tmp = await scratchDir("dissect-test-concepts-");
  const root = tmp.path;
  const opened = await open(root);
  try {
    await fn(opened, root);
  } finally {
    await opened.source.release();
  }
}

/** Labels images [start, end) into a new folder under root. */
async function label(o: Opened, root: string, name: string, start: number, end: number) {
  const dir = join(root, name);
  await Deno.mkdir(dir);
  await labelImages({ source: o.source, data: o.data, start, end, batch: 3, dir });
  return dir;
}

for (const { name, open } of SOURCES) {
  Deno.test(`${name}: object, part and material lists that start with "none"`, async () => {
    await withSource(open, ({ source }) => {
      for (const head of ["object", "part", "material"] as const) {
        const list = source.labels[head];
        assertEquals(list[0], "none", head);
        assert(list.length > 1 && list.length <= MAX_CLASSES, `${head}: ${list.length} classes`);
      }
      return Promise.resolve();
    });
  });

  Deno.test(`${name}: planes of every pixel, colors named from it, half-box parts from the object plane`, async () => {
    await withSource(open, async ({ source, data }) => {
      const batch: Batch = await data.read(0, IMAGES), px = SIZE * SIZE;
      const planes = await source.planes(batch);
      assertEquals(planes.length, IMAGES * PLANES.length * px);
      for (let i = 0; i < IMAGES; i++) {
        const p = planesOf(planes, i, px);
        for (const head of ["object", "part", "material"] as const) {
          assert(p[head].every((c) => c < source.labels[head].length), `${head} class out of list`);
        }
        const values = (m: ArrayLike<number>) => Array.from(m);
        assertEquals(
          values(p.color),
          values(colorMap(batch.images.subarray(i * px * 3, (i + 1) * px * 3))),
        );
        assertEquals(values(p.halfbox), values(halfBoxFlags(p.object, SIZE, SIZE)));
      }
      assert(planesOf(planes, 0, px).object.some((c) => c > 0), "some object is found");
    });
  });

  Deno.test(`${name}: the same planes however the images are batched`, async () => {
    await withSource(open, async ({ source, data }) => {
      const whole = await source.planes(await data.read(0, IMAGES));
      const parts = [];
      for (const [s, e] of [[0, 2], [2, 3], [3, IMAGES]]) {
        parts.push(...await source.planes(await data.read(s, e)));
      }
      assertEquals(Array.from(parts), Array.from(whole));
    });
  });

  Deno.test(`${name}: labeled in shards and joined, a segmentation the dissection reads`, async () => {
    await withSource(open, async (o, root) => {
      const one = await label(o, root, "one", 0, IMAGES);
      const parts = [await label(o, root, "a", 0, 4), await label(o, root, "b", 4, IMAGES)];
      const joined = join(root, "joined");
      await Deno.mkdir(joined);
      const { vocab, frequency } = await joinLabeled(joined, parts);
      const meta = JSON.parse(await Deno.readTextFile(join(one, "planes.json")));
      for (const file of [planesFile(meta), "planes.json"]) {
        assertEquals(
          await Deno.readFile(join(joined, file)),
          await Deno.readFile(join(one, file)),
          file,
        );
      }
      const seg = await SegmentationReader.open(joined);
      try {
        assertEquals(seg.meta.count, IMAGES);
        assertEquals(seg.meta.labels.color, [...COLORS]);
        assertEquals(vocabularyOf(seg.meta).concepts, vocab.concepts);
        const areas = conceptAreas("test", seg.meta, joined);
        assertEquals(areas, Array.from(frequency.pixels));
        assertEquals(areas.reduce((a, n) => a + n, 0) > 0, true);
        assertEquals(seg.read(0, IMAGES), await o.source.planes(await o.data.read(0, IMAGES)));
      } finally {
        seg.close();
      }
    });
  });
}

Deno.test("a segmenter as a concept source writes what the segment stage writes", async () => {
  await withSource(SOURCES[0].open, async (o, root) => {
    const ours = await label(o, root, "ours", 0, IMAGES);
    const stage = join(root, "stage");
    await Deno.mkdir(stage);
    const seg = await Segmenter.open("tiny.onnx", tinySegmenter(SIZE), SIZE, 1);
    try {
      const data = o.data as SplitReader;
      await segmentImages({ seg, data, start: 0, end: IMAGES, batch: 3, dir: stage });
    } finally {
      await seg.release();
    }
    for (const file of ["planes.u8", "planes.json"]) {
      assertEquals(await Deno.readFile(join(ours, file)), await Deno.readFile(join(stage, file)));
    }
  });
});

Deno.test("the world's ground truth is its maps; its Broden export labels every pixel alike", async () => {
  await withSource(SOURCES[1].open, async (o, root) => {
    const batch = await o.data.read(0, IMAGES), px = SIZE * SIZE;
    const planes = await o.source.planes(batch);
    for (let i = 0; i < IMAGES; i++) {
      const p = planesOf(planes, i, px), at = (m?: ClassMap) => m!.subarray(i * px, (i + 1) * px);
      assertEquals([p.object, p.part, p.material], [
        at(batch.object),
        at(batch.part),
        at(batch.material),
      ]);
      assertEquals(p.halfbox, at(batch.halfbox), "the render's half-box flags");
    }
    const truth = await label(o, root, "truth", 0, IMAGES);
    const broden = await SOURCES[2].open(join(root, "again"));
    const viaBroden = await label(broden, root, "via-broden", 0, IMAGES);
    for (const file of ["planes.u8", "planes.json", "frequency.f64"]) {
      assertEquals(
        await Deno.readFile(join(viaBroden, file)),
        await Deno.readFile(join(truth, file)),
      );
    }
  });
});

Deno.test("ground truth is refused where a data set has none, or a class lies outside its list", async () => {
  const root = await Deno.makeTempDir({ prefix: "dissect-test-concepts-" });
  try {
    const w = new SplitWriter(join(root, "bare"), {
      split: "val",
      height: 2,
      width: 2,
      seed: 0,
      labels: ["image"],
      groundTruth: false,
    });
    w.append({ width: 2, height: 2, rgb: new Uint8Array(12), label: 0 });
    const meta = w.finalize();
    const oneLine = (includes: string) => (e: Error) => {
      assert(e instanceof DissectError && e.code === "DATA", String(e));
      assert(e.message.includes(includes) && !e.message.includes("\n"), e.message);
    };
    await assertRejects(
      () => Promise.resolve().then(() => truthSource(meta, "bare")),
      oneLine("bare: the data set has no ground-truth object, part and material maps"),
    );
    const lists = { objects: ["none", "sky"], parts: ["none"], materials: ["none"] };
    const source = truthSource({ height: 2, width: 2, ...lists }, "tiny");
    const batch = {
      start: 0,
      end: 1,
      images: new Uint8Array(12),
      labels: new Uint8Array(1),
      object: Uint8Array.of(0, 1, 2, 0),
      part: new Uint8Array(4),
      material: new Uint8Array(4),
    };
    await assertRejects(
      () => source.planes(batch),
      oneLine("tiny: image 0 has object class 2, its list has 2"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("16-bit planes hold the classes byte planes hold: same pixels, same concept areas by name", async () => {
  await withSource(SOURCES[1].open, async (narrow, root) => {
    const wide = await SOURCES[3].open(join(root, "again"));
    const a = await label(narrow, root, "narrow", 0, IMAGES);
    const b = await label(wide, root, "wide", 0, IMAGES);
    assertEquals(wide.source.labels.object.length, narrow.source.labels.object.length + 300);
    const [ra, rb] = [await SegmentationReader.open(a), await SegmentationReader.open(b)];
    try {
      assertEquals([ra.pixelBytes, rb.pixelBytes], [1, 2]);
      await Deno.stat(join(b, "planes.u16"));
      const [pa, pb] = [ra.read(0, IMAGES), rb.read(2, IMAGES, rb.buffer(IMAGES))];
      assert(pb instanceof Uint16Array, "16-bit planes");
      assertEquals(Array.from(pb), Array.from(pa.subarray(2 * PLANES.length * SIZE * SIZE)));
      const byName = (r: SegmentationReader, dir: string) => {
        const areas = conceptAreas("test", r.meta, dir);
        return new Map(vocabularyOf(r.meta).concepts.map((c) => [c.name, areas[c.id]]));
      };
      const [na, nb] = [byName(ra, a), byName(rb, b)];
      for (const [name, area] of na) assertEquals(nb.get(name), area, name);
      for (const [name, area] of nb) if (!na.has(name)) assertEquals(area, 0, name);
    } finally {
      ra.close();
      rb.close();
    }
  });
});
