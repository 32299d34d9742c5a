/**
 * What the segment stage measures besides the label planes: how well the
 * segmenter agrees with ground truth (claim M2: per class, the intersection
 * and union of predicted and true pixels), and how often each concept of its
 * vocabulary appears (pixels, exact, for the IoU's concept areas; images).
 */
import { type LabelPlanes, PlaneConcepts, type Vocabulary } from "./concepts.ts";

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
  add(head: string, predicted: Uint8Array, truth: Uint8Array, pixels: number): void {
    const inter = this.#inter[head], pred = this.#pred[head], gt = this.#gt[head];
    for (let p = 0; p < pixels; p++) {
      pred[predicted[p]]++;
      gt[truth[p]]++;
      if (predicted[p] === truth[p]) inter[truth[p]]++;
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
}

/** How many pixels of each concept a data set has, and in how many images it appears. */
export class ConceptFrequency {
  readonly pixels: Float64Array;
  readonly images: Float64Array;
  readonly #inImage: Float64Array;
  readonly #concepts: PlaneConcepts;
  readonly #everyPixel: Int32Array;

  constructor(vocab: Vocabulary, readonly px: number) {
    this.pixels = new Float64Array(vocab.concepts.length);
    this.images = new Float64Array(vocab.concepts.length);
    this.#inImage = new Float64Array(vocab.concepts.length);
    this.#concepts = new PlaneConcepts(vocab);
    this.#everyPixel = Int32Array.of(0, px);
  }

  /** Adds one image's label planes. */
  add(planes: LabelPlanes): void {
    this.#concepts.use(planes);
    this.#inImage.fill(0);
    this.#concepts.countRuns(this.#everyPixel, 1, this.#inImage, 0);
    for (let c = 0; c < this.#inImage.length; c++) {
      this.pixels[c] += this.#inImage[c];
      if (this.#inImage[c] > 0) this.images[c]++;
    }
  }
}
