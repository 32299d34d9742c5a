/**
 * Where a dissection's concepts come from: a source labels each pixel of a
 * data set's images with an object, part and material class, in the label
 * planes the segment stage writes (dissection/concepts.ts: PLANES). Colors
 * are named from the pixels and the half-box parts computed from the object
 * plane's connected components, whatever the source, so that every source
 * defines them alike. Two sources:
 *
 * - `segmenterSource`: a segmenter model reads the pixels (the paper's
 *   reference segmentation; the segment stage's own loop,
 *   dissection/segment_images.ts, also scores it against ground truth);
 * - `truthSource`: the data set's own ground-truth maps, for any split that
 *   has them: the synthetic world's render, or a Broden data set read by
 *   data/broden.ts (whose batches have the same shape).
 *
 * `labelImages` and `joinLabeled` write and join a segment artifact from any
 * source, in shards, as the segment stage does from its segmenter.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batches } from "../data/open.ts";
import { joinFiles } from "../data/join_files.ts";
import type { Batch, SplitMeta } from "../data/split_format.ts";
import { bytesOfMap, type ClassMap } from "../data/class_map.ts";
import { planesFrom, planesOf, type Vocabulary } from "./concepts.ts";
import { COLORS } from "./colors.ts";
import type { Head, Segmenter } from "./segmenter.ts";
import { ConceptFrequency } from "./segmenter_score.ts";
import {
  planesFile,
  type SegmentationMeta,
  vocabularyOf,
  writeSegmentationMeta,
} from "./segmentation.ts";

/** What labels a data set's pixels with concepts: its class lists and, batch by batch, the label planes. */
export interface ConceptSource {
  /** Class names of the object, part and material planes; index 0 is "none". */
  readonly labels: Readonly<Record<Head, readonly string[]>>;
  /**
   * The label planes of a batch of the data set's images: PLANES.length
   * planes of H*W pixels per image, image after image (16-bit when a label
   * list has more than 256 classes: `planeWidth`).
   */
  planes(batch: Batch): Promise<ClassMap>;
  /** Frees what the source holds (a model session). */
  release(): Promise<void>;
}

/** A segmenter model as a concept source: it labels the batch's pixels. */
export function segmenterSource(seg: Segmenter): ConceptSource {
  return {
    labels: seg.labels,
    async planes(batch) {
      const n = batch.end - batch.start;
      if (batch.images.length !== n * seg.size * seg.size * 3) {
        throw new DissectError(
          "DATA",
          `${seg.path} segments ${seg.size}x${seg.size} images; the batch's are of another size`,
        );
      }
      return (await seg.segment(batch.images, n)).planes;
    },
    release: () => seg.release(),
  };
}

/**
 * A data set's ground truth as a concept source: the batch's object, part
 * and material maps over the label lists of `meta` (a split's meta.json, or
 * a Broden data set's), `what` naming the data set in errors. A data set
 * without those maps, or a map's class outside its list, is a DATA error.
 */
export function truthSource(
  meta: Pick<SplitMeta, "height" | "width" | "maps" | "objects" | "parts" | "materials">,
  what: string,
): ConceptSource {
  const { objects, parts, materials, height: H, width: W } = meta;
  const maps = meta.maps ?? ["object", "part", "material"];
  if (
    !objects || !parts || !materials ||
    !["object", "part", "material"].every((m) => maps.includes(m))
  ) {
    throw new DissectError(
      "DATA",
      `${what}: the data set has no ground-truth object, part and material maps`,
    );
  }
  const labels = { object: objects, part: parts, material: materials };
  return {
    labels,
    planes(batch) {
      const none = new Uint8Array(0);
      const maps = {
        object: batch.object ?? none,
        part: batch.part ?? none,
        material: batch.material ?? none,
      };
      return Promise.resolve(planesFrom(maps, batch.images, {
        n: batch.end - batch.start,
        height: H,
        width: W,
        labels,
        what,
        start: batch.start,
      }));
    },
    release: () => Promise.resolve(),
  };
}

const FREQUENCY = "frequency.f64";

/** What `labelImages` reads: a data set's image size and its batches (a SplitReader, a BrodenReader). */
export interface BatchSource {
  readonly meta: { readonly height: number; readonly width: number };
  read(start: number, end: number): Batch | Promise<Batch>;
}

/**
 * Labels images [start, end) of `data` with `source` into `dir`, in batches
 * of `batch` from `start`: the planes (planes.u8 or .u16), planes.json (of these images alone)
 * and the concept frequencies that `joinLabeled` adds, as the segment
 * stage's partials hold them.
 */
export async function labelImages(opts: {
  source: ConceptSource;
  data: BatchSource;
  start: number;
  end: number;
  batch: number;
  dir: string;
  tick?: (images: number) => void;
  /** Sees each batch with its planes (the segment stage scores its segmenter there). */
  onBatch?: (batch: Batch, planes: ClassMap) => void;
}): Promise<void> {
  const { source, data, start, end, dir } = opts;
  const { height, width } = data.meta, px = height * width;
  const meta = {
    count: end - start,
    height,
    width,
    labels: {
      object: [...source.labels.object],
      part: [...source.labels.part],
      material: [...source.labels.material],
      color: [...COLORS],
    },
  };
  const frequency = new ConceptFrequency(vocabularyOf(meta), px);
  using out = await Deno.open(join(dir, planesFile(meta)), { write: true, create: true });
  for (const [s, e] of batches(end, opts.batch, start)) {
    const batch = await data.read(s, e);
    const planes = await source.planes(batch);
    opts.onBatch?.(batch, planes);
    for (let i = 0; i < e - s; i++) frequency.add(planesOf(planes, i, px));
    await writeAll(out, bytesOfMap(planes));
    opts.tick?.(e - s);
  }
  await writeSegmentationMeta(dir, { ...meta, conceptPixels: Array.from(frequency.pixels) });
  const counts = frequency.counts();
  await Deno.writeFile(join(dir, FREQUENCY), new Uint8Array(counts.buffer));
}

/**
 * Joins the partials of consecutive image ranges (shards, in order) into
 * `dir`: the planes end to end, planes.json over all images; returns the
 * vocabulary and the concept frequencies added (sums of integers, so the
 * same whatever the split).
 */
export async function joinLabeled(
  dir: string,
  parts: readonly string[],
): Promise<{ vocab: Vocabulary; frequency: ConceptFrequency }> {
  const metas: SegmentationMeta[] = await Promise.all(
    parts.map(async (p) => JSON.parse(await Deno.readTextFile(join(p, "planes.json")))),
  );
  const shape = (m: SegmentationMeta) => JSON.stringify([m.height, m.width, m.labels]);
  const bad = metas.findIndex((m) => shape(m) !== shape(metas[0]));
  if (bad >= 0) {
    throw new DissectError("DATA", `${parts[bad]}: its labels or size differ from ${parts[0]}'s`);
  }
  const { height, width, labels } = metas[0];
  const vocab = vocabularyOf(metas[0]);
  const frequency = new ConceptFrequency(vocab, height * width);
  for (const p of parts) {
    const bytes = await Deno.readFile(join(p, FREQUENCY));
    frequency.addCounts(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8));
  }
  const file = planesFile(metas[0]);
  await joinFiles(join(dir, file), parts.map((p) => join(p, file)));
  await writeSegmentationMeta(dir, {
    count: metas.reduce((n, m) => n + m.count, 0),
    height,
    width,
    labels,
    conceptPixels: Array.from(frequency.pixels),
  });
  return { vocab, frequency };
}
