/**
 * The segment stage's loop over a data set, in shards: a range of images is
 * labeled by the segmenter as any concept source labels them
 * (dissection/concept_source.ts), and the segmenter is scored against the
 * data set's ground truth on the way. A partial is a segmentation of its own
 * images (planes.u8, planes.json) plus its counts; partials join into the
 * stage's artifact exactly: planes end to end, counts added.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { openDataset } from "../data/open.ts";
import type { Batch, SplitMeta, SplitReader } from "../data/split_format.ts";
import { scaleRgb } from "../data/image.ts";
import { planesOf, type Vocabulary } from "./concepts.ts";
import { type Head, HEADS, type Segmenter } from "./segmenter.ts";
import { type ConceptFrequency, scoredHeads, SegmenterScore } from "./segmenter_score.ts";
import { joinLabeled, labelImages, segmenterSource } from "./concept_source.ts";

const SCORES = "scores.f64";

/** A data set to segment, refused unless its images are square; `node` names the stage in errors. */
export function openSquareImages(dir: string, node: string): SplitReader {
  const data = openDataset(dir, `input of ${node}`);
  const { height, width } = data.meta;
  if (height !== width) {
    throw new DissectError(
      "DATA",
      `${node}: images are ${width}x${height}; segment needs square images`,
    );
  }
  return data;
}

/**
 * The label lists of the heads whose ground truth can score the segmenter:
 * ground truth is comparable only when the data set uses the same lists.
 */
export function scoredLabels(
  labels: Record<Head, readonly string[]>,
  truth: SplitMeta,
): Record<string, readonly string[]> {
  const scored = scoredHeads(HEADS, labels, {
    maps: truth.maps,
    lists: { object: truth.objects, part: truth.parts, material: truth.materials },
  });
  return Object.fromEntries(scored.map((h) => [h, labels[h]]));
}

/**
 * What a segmentation at `size` px can be scored against: the data set's
 * ground truth when it is of that size, else none (maps are not rescaled).
 */
export function truthAt(meta: SplitMeta, size: number): SplitMeta {
  return size === meta.height ? meta : { ...meta, maps: [] };
}

/**
 * Segments images [start, end) of `data` into `dir` in batches of `batch`
 * from `start`, as any concept source labels them (`labelImages`), at the
 * segmenter's size (images scaled to it: `scaleRgb`), and scores the
 * segmenter against the data set's ground truth on the way, for the heads
 * whose label lists are the data set's, when the sizes agree.
 */
export async function segmentImages(opts: {
  seg: Segmenter;
  data: SplitReader;
  start: number;
  end: number;
  batch: number;
  dir: string;
  tick?: (images: number) => void;
}): Promise<void> {
  const { seg, data } = opts;
  const from = data.meta.height, size = seg.size, px = size * size;
  const score = new SegmenterScore(scoredLabels(seg.labels, truthAt(data.meta, size)));
  const heads = Object.keys(score.labels) as Head[];
  const scaled = {
    meta: { height: size, width: size },
    read(s: number, e: number): Batch {
      const b = data.read(s, e);
      if (size === from) return b;
      return {
        start: b.start,
        end: b.end,
        labels: b.labels,
        images: scaleRgb(b.images, e - s, from, size),
      };
    },
  };
  await labelImages({
    ...opts,
    data: scaled,
    source: segmenterSource(seg),
    onBatch(batch, planes) {
      for (let i = 0; i < batch.end - batch.start; i++) {
        const image = planesOf(planes, i, px);
        for (const h of heads) {
          score.add(h, image[h], batch[h]!.subarray(i * px, (i + 1) * px), px);
        }
      }
    },
  });
  await Deno.writeFile(join(opts.dir, SCORES), bytesOf(score.counts()));
}

/**
 * Joins the partials of consecutive image ranges (shards, in order) into
 * `dir` (`joinLabeled`), and adds their segmenter scores: sums of integers,
 * so the same whatever the split.
 */
export async function joinSegmentations(
  dir: string,
  parts: readonly string[],
  truth: SplitMeta,
): Promise<{ vocab: Vocabulary; frequency: ConceptFrequency; score: SegmenterScore }> {
  const { vocab, frequency } = await joinLabeled(dir, parts);
  const labels = JSON.parse(await Deno.readTextFile(join(dir, "planes.json"))).labels;
  const score = new SegmenterScore(scoredLabels(labels, truth));
  for (const p of parts) score.addCounts(await readF64(join(p, SCORES)));
  return { vocab, frequency, score };
}

function bytesOf(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

async function readF64(path: string): Promise<Float64Array> {
  const bytes = await Deno.readFile(path);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}
