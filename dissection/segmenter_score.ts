/**
 * What the segment stage measures besides the label planes: how well the
 * segmenter agrees with ground truth (claim M2: per class, the intersection
 * and union of predicted and true pixels), and how often each concept of its
 * vocabulary appears (pixels, exact, for the IoU's concept areas; images).
 */
import type { RowOf } from "../engine/table_writer.ts";
import { type LabelPlanes, PlaneConcepts, type Vocabulary } from "./concepts.ts";
import type { ClassMap } from "../data/class_map.ts";

/** How often each concept appears, over pixels and over images (half-box parts left out). */
export const CONCEPT_FREQUENCY_TABLE = {
  concept: "INTEGER",
  name: "VARCHAR",
  category: "VARCHAR",
  pixel_fraction: "DOUBLE",
  image_fraction: "DOUBLE",
} as const;

/** The segmenter against ground truth, per class (claim M2). */
export const SEGMENTER_SCORES_TABLE = {
  category: "VARCHAR",
  concept: "VARCHAR",
  intersection: "BIGINT",
  union_: "BIGINT",
  gt_pixels: "BIGINT",
  predicted_pixels: "BIGINT",
  iou: "DOUBLE",
} as const;

/**
 * The heads whose ground truth can score the segmenter: those the data set
 * has maps for, labeled with exactly the segmenter's class list.
 */
export function scoredHeads<H extends string>(
  heads: readonly H[],
  segmenter: Record<H, readonly string[]>,
  truth: { maps?: readonly string[]; lists: Partial<Record<H, readonly string[]>> },
): H[] {
  const hasMap = new Set<string>(truth.maps ?? heads);
  return heads.filter((h) =>
    hasMap.has(h) && truth.lists[h]?.join("\n") === segmenter[h].join("\n")
  );
}

/** One class's agreement with ground truth. */
export interface ClassScore {
  category: string;
  concept: string;
  intersection: number;
  union: number;
  gtPixels: number;
  predictedPixels: number;
  iou: number;
}

/** Per-class pixel counts of a segmenter's maps against ground-truth maps of the same labels. */
export class SegmenterScore {
  readonly #inter: Record<string, Float64Array> = {};
  readonly #pred: Record<string, Float64Array> = {};
  readonly #gt: Record<string, Float64Array> = {};

  /** `labels`: each scored head's class names (ground truth uses the same list). */
  constructor(readonly labels: Record<string, readonly string[]>) {
    for (const [h, names] of Object.entries(labels)) {
      this.#inter[h] = new Float64Array(names.length);
      this.#pred[h] = new Float64Array(names.length);
      this.#gt[h] = new Float64Array(names.length);
    }
  }

  /** Adds `pixels` pixels of one head: predicted and true class maps. */
  add(head: string, predicted: ClassMap, truth: ClassMap, pixels: number): void {
    const inter = this.#inter[head], pred = this.#pred[head], gt = this.#gt[head];
    for (let p = 0; p < pixels; p++) {
      pred[predicted[p]]++;
      gt[truth[p]]++;
      if (predicted[p] === truth[p]) inter[truth[p]]++;
    }
  }

  /** Its counts, head by head (intersections, predicted, true pixels per class): what a shard saves. */
  counts(): Float64Array {
    const heads = Object.keys(this.labels);
    return Float64Array.from(
      heads.flatMap((h) => [this.#inter[h], this.#pred[h], this.#gt[h]]).flatMap((a) => [...a]),
    );
  }

  /** Adds the counts of a score of other images over the same labels (a shard's `counts()`). */
  addCounts(counts: ArrayLike<number>): void {
    const heads = Object.keys(this.labels);
    const want = heads.reduce((n, h) => n + 3 * this.labels[h].length, 0);
    if (counts.length !== want) {
      throw new Error(`segmenter score: ${counts.length} counts to add, expected ${want}`);
    }
    let at = 0;
    for (const h of heads) {
      for (const into of [this.#inter[h], this.#pred[h], this.#gt[h]]) {
        for (let c = 0; c < into.length; c++) into[c] += counts[at++];
      }
    }
  }

  /** Every class present in the ground truth, but class 0 ("none"). */
  scores(): ClassScore[] {
    const out: ClassScore[] = [];
    for (const [h, names] of Object.entries(this.labels)) {
      names.forEach((concept, c) => {
        const gt = this.#gt[h][c], pred = this.#pred[h][c], inter = this.#inter[h][c];
        if (c === 0 || gt === 0) return;
        const union = gt + pred - inter;
        out.push({
          category: h,
          concept,
          intersection: inter,
          union,
          gtPixels: gt,
          predictedPixels: pred,
          iou: inter / union,
        });
      });
    }
    return out;
  }

  /** The scores as rows of the segmenter scores table. */
  rows(): RowOf<typeof SEGMENTER_SCORES_TABLE>[] {
    return this.scores().map((c) => ({
      category: c.category,
      concept: c.concept,
      intersection: c.intersection,
      union_: c.union,
      gt_pixels: c.gtPixels,
      predicted_pixels: c.predictedPixels,
      iou: c.iou,
    }));
  }
}

/** How many pixels of each concept a data set has, and in how many images it appears. */
export class ConceptFrequency {
  readonly pixels: Float64Array;
  readonly images: Float64Array;
  readonly #inImage: Float64Array;
  readonly #concepts: PlaneConcepts;
  readonly #everyPixel: Int32Array;
  /** Images added so far. */
  imageCount = 0;

  constructor(readonly vocab: Vocabulary, readonly px: number) {
    this.pixels = new Float64Array(vocab.concepts.length);
    this.images = new Float64Array(vocab.concepts.length);
    this.#inImage = new Float64Array(vocab.concepts.length);
    this.#concepts = new PlaneConcepts(vocab);
    this.#everyPixel = Int32Array.of(0, px);
  }

  /** Adds one image's label planes. */
  add(planes: LabelPlanes): void {
    this.imageCount++;
    this.#concepts.use(planes);
    this.#inImage.fill(0);
    this.#concepts.countRuns(this.#everyPixel, 1, this.#inImage, 0);
    for (let c = 0; c < this.#inImage.length; c++) {
      this.pixels[c] += this.#inImage[c];
      if (this.#inImage[c] > 0) this.images[c]++;
    }
  }

  /** Its counts (images, then pixels and images per concept): what a shard saves. */
  counts(): Float64Array {
    const out = new Float64Array(1 + 2 * this.pixels.length);
    out[0] = this.imageCount;
    out.set(this.pixels, 1);
    out.set(this.images, 1 + this.pixels.length);
    return out;
  }

  /** Adds the counts of a frequency of other images of the same vocabulary (a shard's `counts()`). */
  addCounts(counts: ArrayLike<number>): void {
    const C = this.pixels.length;
    if (counts.length !== 1 + 2 * C) {
      throw new Error(`concept frequency: ${counts.length} counts to add, expected ${1 + 2 * C}`);
    }
    this.imageCount += counts[0];
    for (let c = 0; c < C; c++) {
      this.pixels[c] += counts[1 + c];
      this.images[c] += counts[1 + C + c];
    }
  }

  /** The frequencies as rows of the concept frequency table; halves repeat their object, so are left out. */
  rows(): RowOf<typeof CONCEPT_FREQUENCY_TABLE>[] {
    const halves = new Set(this.vocab.half);
    return this.vocab.concepts.filter((c) => !halves.has(c.id)).map((c) => ({
      concept: c.id,
      name: c.name,
      category: c.category,
      pixel_fraction: this.pixels[c.id] / (this.imageCount * this.px),
      image_fraction: this.images[c.id] / this.imageCount,
    }));
  }
}
