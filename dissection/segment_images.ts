/**
 * The segment stage's loop over a data set, in shards: a range of images is
 * segmented into label planes, and the concept frequencies and segmenter
 * scores are counted on the way. A partial is a segmentation of its own
 * images (planes.u8, planes.json) plus its counts; partials join into the
 * stage's artifact exactly: planes end to end, counts added.
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batches, openDataset } from "../data/open.ts";
import { joinFiles } from "../data/join_files.ts";
import type { SplitMeta, SplitReader } from "../data/split_format.ts";
import { planesOf, type Vocabulary } from "./concepts.ts";
import { COLORS } from "./colors.ts";
import { type Head, HEADS, type Segmenter } from "./segmenter.ts";
import { ConceptFrequency, scoredHeads, SegmenterScore } from "./segmenter_score.ts";
import { type SegmentationMeta, vocabularyOf, writeSegmentationMeta } from "./segmentation.ts";

const FREQUENCY = "frequency.f64", SCORES = "scores.f64";

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
 * Segments images [start, end) of `data` into `dir` in batches of `batch`
 * from `start`: planes.u8, planes.json (of these images alone) and the
 * counts `joinSegmentations` adds. How often each concept appears is counted
 * in pixels (exact, for the IoU's concept areas) and in images.
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
  const { seg, data, start, end, dir } = opts;
  const { height, width } = data.meta, px = height * width;
  const score = new SegmenterScore(scoredLabels(seg.labels, data.meta));
  const frequency = new ConceptFrequency(seg.vocab, px);
  using out = await Deno.open(join(dir, "planes.u8"), { write: true, create: true });
  for (const [s, e] of batches(end, opts.batch, start)) {
    const n = e - s;
    const batch = data.read(s, e);
    const { planes, maps } = await seg.segment(batch.images, n);
    for (let i = 0; i < n; i++) frequency.add(planesOf(planes, i, px));
    await writeAll(out, planes);
    for (const h of Object.keys(score.labels) as Head[]) {
      score.add(h, maps[h], batch[h]!, n * px);
    }
    opts.tick?.(n);
  }
  await writeSegmentationMeta(dir, {
    count: end - start,
    height,
    width,
    labels: { ...seg.labels, color: [...COLORS] },
    conceptPixels: Array.from(frequency.pixels),
  });
  await Deno.writeFile(join(dir, FREQUENCY), bytesOf(frequency.counts()));
  await Deno.writeFile(join(dir, SCORES), bytesOf(score.counts()));
}

/**
 * Joins the partials of consecutive image ranges (shards, in order) into
 * `dir`: planes.u8 end to end, planes.json over all images; returns the
 * vocabulary and the counts added, which are sums of integers and so the
 * same whatever the split.
 */
export async function joinSegmentations(
  dir: string,
  parts: readonly string[],
  truth: SplitMeta,
): Promise<{ vocab: Vocabulary; frequency: ConceptFrequency; score: SegmenterScore }> {
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
  const score = new SegmenterScore(scoredLabels(labels, truth));
  for (const p of parts) {
    frequency.addCounts(await readF64(join(p, FREQUENCY)));
    score.addCounts(await readF64(join(p, SCORES)));
  }
  await joinFiles(join(dir, "planes.u8"), parts.map((p) => join(p, "planes.u8")));
  await writeSegmentationMeta(dir, {
    count: metas.reduce((n, m) => n + m.count, 0),
    height,
    width,
    labels,
    conceptPixels: Array.from(frequency.pixels),
  });
  return { vocab, frequency, score };
}

function bytesOf(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

async function readF64(path: string): Promise<Float64Array> {
  const bytes = await Deno.readFile(path);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}
