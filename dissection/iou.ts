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
 * can bend the line) is skipped, one clearly above is taken whole, and only
 * the rows left are interpolated pixel by pixel, with the same float32
 * arithmetic as `Upsampler` (a test compares the two). The counts are exact.
 */
import { axis } from "./upsample.ts";
import { peakOf } from "./topk.ts";

/** The concepts at the pixels of one image. */
export interface PixelConcepts {
  /** Adds 1 to counts[base + c] for every concept c at each of pixels[0..n). */
  countPixels(pixels: Int32Array, n: number, counts: Float64Array, base: number): void;
}

/**
 * Runs of output coordinates that interpolate the same two input samples:
 * run k covers [start[k], end[k]) from samples i0[k] and i1[k].
 */
interface Runs {
  start: Int32Array;
  end: Int32Array;
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

function runs(src: number, dst: number): Runs {
  const a = axis(src, dst);
  const out: { start: number; end: number; i0: number; i1: number }[] = [];
  for (let d = 0; d < dst; d++) {
    // At weight 0 (the clamped border) the value is the i0 sample alone.
    const i1 = a.w1[d] === 0 ? a.i0[d] : a.i1[d];
    const last = out.at(-1);
    if (last && last.i0 === a.i0[d] && last.i1 === i1) last.end = d + 1;
    else out.push({ start: d, end: d + 1, i0: a.i0[d], i1 });
  }
  return {
    start: Int32Array.from(out, (r) => r.start),
    end: Int32Array.from(out, (r) => r.end),
    i0: Int32Array.from(out, (r) => r.i0),
    i1: Int32Array.from(out, (r) => r.i1),
    w1: a.w1,
  };
}

export class IouCounter {
  readonly intersection: Float64Array;
  readonly unitArea: Float64Array;
  readonly conceptArea: Float64Array;
  /** Each unit's peak activation in the image added last. */
  readonly peaks: Float64Array;
  #rows: Runs;
  #cols: Runs;
  /** Interpolated values along x of one block's two input rows. */
  #top: Float32Array;
  #bottom: Float32Array;
  /** The pixels in one unit's mask, collected before their concepts are counted. */
  #mask: Int32Array;

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
    this.peaks = new Float64Array(units);
    this.#rows = runs(h, H);
    this.#cols = runs(w, W);
    this.#top = new Float32Array(W);
    this.#bottom = new Float32Array(W);
    this.#mask = new Int32Array(H * W);
  }

  /** Count one image: `acts` holds units x h x w values starting at `offset`. */
  addImage(acts: Float32Array, offset: number, concepts: PixelConcepts): void {
    const hw = this.h * this.w;
    for (let u = 0; u < this.units; u++) {
      const t = this.thresholds[u];
      const base = offset + u * hw;
      const peak = this.peaks[u] = peakOf(acts, base, hw);
      if (!(peak > t)) continue; // no input above t: no output above t
      const n = this.#maskOf(acts, base, t);
      this.unitArea[u] += n;
      concepts.countPixels(this.#mask, n, this.intersection, u * this.concepts);
    }
  }

  /** Collects the pixels of one unit's mask into #mask; returns how many. */
  #maskOf(acts: Float32Array, base: number, t: number): number {
    const W = this.W, w = this.w, mask = this.#mask;
    const R = this.#rows, C = this.#cols, top = this.#top, bottom = this.#bottom;
    let n = 0;
    for (let r = 0; r < R.start.length; r++) {
      const y0 = R.start[r], y1 = R.end[r];
      const rowA = base + R.i0[r] * w, rowB = base + R.i1[r] * w;
      for (let c = 0; c < C.start.length; c++) {
        const x0 = C.start[c], x1 = C.end[c];
        const a = acts[rowA + C.i0[c]], b = acts[rowA + C.i1[c]];
        const d = acts[rowB + C.i0[c]], e = acts[rowB + C.i1[c]];
        if (!(a > t || b > t || d > t || e > t)) continue;
        if (a > t && b > t && d > t && e > t) {
          for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[n++] = y * W + x;
          continue;
        }
        // Along x first, then along y, rounding to float32 at each step as Upsampler does.
        for (let x = x0; x < x1; x++) {
          top[x] = a + (b - a) * C.w1[x];
          bottom[x] = d + (e - d) * C.w1[x];
        }
        // Rounding bends a row off its line by a few float32 ulps at most.
        const eps = 1e-6 *
          Math.max(Math.abs(a), Math.abs(b), Math.abs(d), Math.abs(e), Math.abs(t));
        const last = x1 - 1;
        for (let y = y0; y < y1; y++) {
          const f = R.w1[y];
          const v0 = Math.fround(top[x0] + (bottom[x0] - top[x0]) * f);
          const v1 = Math.fround(top[last] + (bottom[last] - top[last]) * f);
          if (v0 <= t - eps && v1 <= t - eps) continue;
          if (v0 > t + eps && v1 > t + eps) {
            for (let x = x0; x < x1; x++) mask[n++] = y * W + x;
            continue;
          }
          for (let x = x0; x < x1; x++) {
            if (Math.fround(top[x] + (bottom[x] - top[x]) * f) > t) mask[n++] = y * W + x;
          }
        }
      }
    }
    return n;
  }

  iou(u: number, c: number): number {
    const i = this.intersection[u * this.concepts + c];
    const union = this.unitArea[u] + this.conceptArea[c] - i;
    return union > 0 ? i / union : 0;
  }
}
