/**
 * IoU of every (unit, concept) pair of one layer, as exact integer counts
 * over all images and pixels: intersection, unit area, concept area. A
 * unit's mask is where its activation, bilinearly upsampled to the
 * segmentation's resolution, exceeds its threshold t_u. Concept areas do not
 * depend on the units: the caller fills `conceptArea` (the segment stage
 * counts them once per data set).
 *
 * Counting is sparse. The upsampled map is made of blocks of output pixels
 * that interpolate the same 2 x 2 input values; a bilinear value lies between
 * the smallest and largest of them, so a block whose four corners are all at
 * or below t_u has no pixel in the mask and one whose corners are all above
 * has every pixel in it. In a block straddling t_u, each row is linear in x:
 * a row whose two ends are clearly below t_u (by more than float32 rounding
 * can bend the line) is skipped, one clearly above is taken whole; in the
 * rows left, the line decides every pixel clearly on one side, and only
 * pixels within rounding distance of t_u are interpolated with the same
 * float32 arithmetic as `Upsampler` (a test compares the two). The counts
 * are exact.
 */
import { type Border, type Runs, SourceGrid, upsampledAt } from "./upsample.ts";
import { peakOf } from "./topk.ts";

/**
 * The concepts at the pixels of one image, counted in two steps: pixels are
 * tallied in a layout of the implementation's choosing (labels, say), and a
 * tally is turned into concept counts once, at the end. Every PixelConcepts
 * given to one counter must share one layout.
 */
export interface PixelConcepts {
  /** Entries of one tally. */
  readonly tallySize: number;
  /**
   * Tallies the pixels of n runs into tally[base .. base + tallySize): run k
   * is pixels runs[2k] up to (not including) runs[2k + 1].
   */
  tally(runs: Int32Array, n: number, tally: Int32Array, base: number): void;
  /** Adds the concept counts that tally[base ..] stands for to counts[countsBase + c]. */
  addTallied(tally: Int32Array, base: number, counts: Float64Array, countsBase: number): void;
}

/**
 * The first x of column run c (from x0 to x1) whose weight wx[x] is above w,
 * or x1: guessed from the run's slope (weights rise evenly along a run), then
 * corrected by comparing the weights themselves.
 */
function firstAbove(
  wx: Float32Array,
  x0: number,
  x1: number,
  w: number,
  c: number,
  C: Runs,
): number {
  let x = x0 + Math.ceil((w - wx[x0]) / C.step[c]);
  if (!(x >= x0)) x = x0;
  if (!(x <= x1)) x = x1;
  while (x > x0 && wx[x - 1] > w) x--;
  while (x < x1 && !(wx[x] > w)) x++;
  return x;
}

/** Exact IoU counts of every unit of one layer with every concept, image by image. */
export class IouCounter {
  readonly unitArea: Float64Array;
  readonly conceptArea: Float64Array;
  /** Each unit's peak activation in the image added last. */
  readonly peaks: Float64Array;
  readonly grid: SourceGrid;
  #rows: Runs;
  #cols: Runs;
  /** One unit's mask as runs [start, end) of pixels, before they are tallied. */
  #runs: Int32Array;
  #runCount = 0;
  /**
   * Each unit's tally of mask pixels, in the layout of #concepts, since it was
   * last settled into #intersection: 32-bit counts, settled before any entry
   * could pass 2^31 - 1.
   */
  #tally = new Int32Array(0);
  #concepts?: PixelConcepts;
  #intersection: Float64Array;
  #tallied = 0;

  constructor(
    readonly units: number,
    readonly concepts: number,
    readonly h: number,
    readonly w: number,
    readonly H: number,
    readonly W: number,
    readonly thresholds: Float64Array,
    readonly border: Border = "zeros",
  ) {
    this.#intersection = new Float64Array(units * concepts);
    this.unitArea = new Float64Array(units);
    this.conceptArea = new Float64Array(concepts);
    this.peaks = new Float64Array(units);
    this.grid = new SourceGrid(h, w, H, W, border);
    this.#rows = this.grid.rowRuns;
    this.#cols = this.grid.colRuns;
    // At most a run per pixel: runs of neighbouring blocks in one row are
    // pushed apart (block by block) and so are not joined.
    this.#runs = new Int32Array(2 * H * W);
  }

  /** Count one image: `acts` holds units x h x w values starting at `offset`. */
  addImage(acts: Float32Array, offset: number, concepts: PixelConcepts): void {
    const size = concepts.tallySize;
    if (!this.#concepts) {
      this.#concepts = concepts;
      this.#tally = new Int32Array(this.units * size);
    } else if (size !== this.#concepts.tallySize) {
      throw new Error(
        `a tally of ${size} entries where the counter has ${this.#concepts.tallySize}`,
      );
    }
    // An image adds at most H * W to an entry.
    if (this.#tallied + this.H * this.W > 2 ** 31 - 1) this.#settle();
    this.#tallied += this.H * this.W;
    const hw = this.h * this.w;
    for (let u = 0; u < this.units; u++) {
      const t = this.thresholds[u];
      const base = offset + u * hw;
      const peak = this.peaks[u] = peakOf(acts, base, hw);
      // Nothing upsampled exceeds the bound: no mask.
      if (!(this.grid.peakBound(peak) > t)) continue;
      this.grid.load(acts, base);
      this.unitArea[u] += this.#maskOf(this.grid.data, this.grid.base, t);
      concepts.tally(this.#runs, this.#runCount, this.#tally, u * size);
    }
  }

  /**
   * Collects one unit's mask as runs of pixels into #runs (#runCount of them)
   * and returns how many pixels it has.
   */
  #maskOf(acts: Float32Array, base: number, t: number): number {
    const W = this.W, w = this.grid.stride, R = this.#rows, C = this.#cols, wx = C.w1;
    const rowMax = this.grid.rowMax;
    this.#runCount = 0;
    let area = 0;
    for (let r = 0; r < R.start.length; r++) {
      if (!(rowMax[R.i0[r]] > t || rowMax[R.i1[r]] > t)) continue;
      const y0 = R.start[r], y1 = R.end[r];
      const rowA = base + R.i0[r] * w, rowB = base + R.i1[r] * w;
      // Only blocks with a corner above t can hold a pixel of the mask.
      const hot = this.grid.hot, nHot = this.grid.hotColumns(r, t, true);
      for (let k = 0; k < nHot; k++) {
        const c = hot[k];
        const x0 = C.start[c], x1 = C.end[c];
        const a = acts[rowA + C.i0[c]], b = acts[rowA + C.i1[c]];
        const d = acts[rowB + C.i0[c]], e = acts[rowB + C.i1[c]];
        if (a > t && b > t && d > t && e > t) {
          for (let y = y0; y < y1; y++) this.#push(y * W + x0, y * W + x1);
          area += (y1 - y0) * (x1 - x0);
          continue;
        }
        // Row y of the block lies on the line P + Q * w1[x] (exact bilinear
        // interpolation with the same weights). Upsampler's float32 roundings
        // move a value off it by at most 2^-23 of the largest corner, so a pixel
        // farther than eps from t is decided by the line, and only the few
        // within eps by the float32 arithmetic itself (1e-44: a few subnormal steps).
        const eps = 1e-6 *
            Math.max(Math.abs(a), Math.abs(b), Math.abs(d), Math.abs(e), Math.abs(t)) + 1e-44;
        const lo = t - eps, hi = t + eps;
        for (let y = y0; y < y1; y++) {
          const f = R.w1[y], row = y * W;
          const P = a + (d - a) * f, Q = b - a + (e - d - (b - a)) * f;
          // The line is monotone along the row: its ends bound it.
          const v0 = P + Q * wx[x0], v1 = P + Q * wx[x1 - 1];
          if (v0 <= lo && v1 <= lo) continue;
          if (v0 > hi && v1 > hi) {
            this.#push(row + x0, row + x1);
            area += x1 - x0;
            continue;
          }
          // Where the line crosses the band [lo, hi] (w1 rises along x): clearly
          // above on one side, clearly below on the other, in doubt between.
          let xIn0 = x0, xIn1 = x0, xDoubt0 = x0, xDoubt1 = x1;
          if (Q > 0) {
            xDoubt0 = firstAbove(wx, x0, x1, (lo - P) / Q, c, C);
            xDoubt1 = xIn0 = firstAbove(wx, x0, x1, (hi - P) / Q, c, C);
            xIn1 = x1;
          } else if (Q < 0) {
            xIn1 = xDoubt0 = firstAbove(wx, x0, x1, (hi - P) / Q, c, C);
            xDoubt1 = firstAbove(wx, x0, x1, (lo - P) / Q, c, C);
          }
          if (xIn1 > xIn0 && Q < 0) this.#push(row + xIn0, row + xIn1);
          for (let x = xDoubt0; x < xDoubt1; x++) {
            if (upsampledAt(a, b, d, e, wx[x], f) > t) {
              this.#push(row + x, row + x + 1);
              area++;
            }
          }
          if (xIn1 > xIn0 && Q > 0) this.#push(row + xIn0, row + xIn1);
          area += xIn1 - xIn0;
        }
      }
    }
    return area;
  }

  /** Appends pixels [start, end) to #runs, joining a run that ends at start. */
  #push(start: number, end: number): void {
    const runs = this.#runs, k = 2 * this.#runCount;
    if (k > 0 && runs[k - 1] === start) runs[k - 1] = end;
    else {
      runs[k] = start;
      runs[k + 1] = end;
      this.#runCount++;
    }
  }

  /** Pixels in both unit u's mask and concept c, at [u * concepts + c]. */
  get intersection(): Float64Array {
    this.#settle();
    return this.#intersection;
  }

  /** Adds another counter's counts (of other images, with the same thresholds): intersections and unit areas. */
  addCounts(intersection: ArrayLike<number>, unitArea: ArrayLike<number>): void {
    const mine = this.intersection; // settled first
    for (let i = 0; i < mine.length; i++) mine[i] += intersection[i];
    for (let u = 0; u < this.units; u++) this.unitArea[u] += unitArea[u];
  }

  /** Adds the tallies to #intersection as concept counts, and empties them. */
  #settle(): void {
    if (this.#tallied === 0 || !this.#concepts) return;
    const size = this.#concepts.tallySize;
    for (let u = 0; u < this.units; u++) {
      this.#concepts.addTallied(this.#tally, u * size, this.#intersection, u * this.concepts);
    }
    this.#tally.fill(0);
    this.#tallied = 0;
  }

  iou(u: number, c: number): number {
    const i = this.intersection[u * this.concepts + c];
    const union = this.unitArea[u] + this.conceptArea[c] - i;
    return union > 0 ? i / union : 0;
  }
}

/** One unit's counts with one concept that it overlaps. */
export interface UnitConceptCounts {
  unit: number;
  concept: number;
  intersection: number;
  unitArea: number;
  conceptArea: number;
  iou: number;
}

/**
 * What a counter found, unit by unit: every concept the unit's mask overlaps,
 * with its counts, and the unit's label, the concept of highest IoU (the first
 * on ties, concept 0 when the mask overlaps nothing).
 */
export function unitResults(counter: IouCounter): {
  pairs: UnitConceptCounts[];
  labels: { unit: number; concept: number; iou: number }[];
} {
  const C = counter.concepts, pairs: UnitConceptCounts[] = [], labels = [];
  for (let u = 0; u < counter.units; u++) {
    let best = -1, bestIou = -1;
    for (let c = 0; c < C; c++) {
      const intersection = counter.intersection[u * C + c], iou = counter.iou(u, c);
      if (iou > bestIou) [best, bestIou] = [c, iou];
      if (intersection === 0) continue;
      pairs.push({
        unit: u,
        concept: c,
        intersection,
        unitArea: counter.unitArea[u],
        conceptArea: counter.conceptArea[c],
        iou,
      });
    }
    labels.push({ unit: u, concept: best, iou: bestIou });
  }
  return { pairs, labels };
}
