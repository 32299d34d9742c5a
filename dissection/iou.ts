/**
 * IoU of every (unit, concept) pair of one layer, as exact integer counts
 * over all images and pixels: intersection, unit area, concept area. A
 * unit's mask is where its activation, bilinearly upsampled to the
 * segmentation's resolution, exceeds its threshold t_u.
 */
import { Upsampler } from "./upsample.ts";
import { peakOf } from "./topk.ts";

/** Concept ids per pixel (CONCEPT_SLOTS per pixel, -1 = none), see concepts.ts. */
export const CONCEPT_SLOTS = 6;

export class IouCounter {
  readonly intersection: Float64Array;
  readonly unitArea: Float64Array;
  readonly conceptArea: Float64Array;
  #up: Upsampler;
  #buf: Float32Array;

  constructor(
    readonly units: number,
    readonly concepts: number,
    readonly h: number,
    readonly w: number,
    readonly H: number,
    readonly W: number,
    readonly thresholds: Float64Array,
  ) {
    this.intersection = new Float64Array(units * concepts);
    this.unitArea = new Float64Array(units);
    this.conceptArea = new Float64Array(concepts);
    this.#up = new Upsampler(h, w, H, W);
    this.#buf = new Float32Array(H * W);
  }

  /** Count concept pixels of one image (once per image, whatever the units). */
  addConcepts(pixelConcepts: Int32Array): void {
    for (let i = 0; i < pixelConcepts.length; i++) {
      const c = pixelConcepts[i];
      if (c >= 0) this.conceptArea[c]++;
    }
  }

  /**
   * Count one image: `acts` holds units x h x w values starting at `offset`.
   * Returns nothing; the counts accumulate.
   */
  addImage(acts: Float32Array, offset: number, pixelConcepts: Int32Array): void {
    const hw = this.h * this.w, px = this.H * this.W;
    const up = this.#buf;
    for (let u = 0; u < this.units; u++) {
      const t = this.thresholds[u];
      const base = offset + u * hw;
      // Bilinear values are convex combinations: no input above t, no output above t.
      if (!(peakOf(acts, base, hw) > t)) continue;
      this.#up.run(acts, base, up);
      let area = 0;
      const row = u * this.concepts;
      for (let p = 0; p < px; p++) {
        if (up[p] > t) {
          area++;
          const s = p * CONCEPT_SLOTS;
          for (let k = 0; k < CONCEPT_SLOTS; k++) {
            const c = pixelConcepts[s + k];
            if (c >= 0) this.intersection[row + c]++;
          }
        }
      }
      this.unitArea[u] += area;
    }
  }

  iou(u: number, c: number): number {
    const i = this.intersection[u * this.concepts + c];
    const union = this.unitArea[u] + this.conceptArea[c] - i;
    return union > 0 ? i / union : 0;
  }
}
