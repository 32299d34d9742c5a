/**
 * The top-q quantile t_u of every unit, over all images and positions, in two
 * streaming passes whose counts merge by addition, with memory of units x 4096
 * counts whatever the number of images.
 *
 * The positions are, as the paper defines them, those of the activation
 * bilinearly upsampled to the segmentation's resolution ("Denote by t_u the
 * top 1% quantile level for a_u ... sampled over all positions and images",
 * where a_u is the upsampled map; the paper's code takes the quantile of the
 * upsampled samples). The layer's own grid is the other definition
 * (`over: "layer"`). Upsampled values are counted by blocks (see
 * upsample.ts): a block whose four corners fall into one bucket lies wholly
 * in it and is counted at once; only blocks straddling a bucket's edge are
 * interpolated pixel by pixel, with the Upsampler's own arithmetic, so the
 * counts are exactly those of the upsampled maps. The first pass skips the
 * many blocks wholly below a floor that rises as images are counted: the
 * bucket where the counts so far, from the top, reach q times the number of
 * values the whole data set holds. Counts only grow, so the threshold's own
 * bucket is never below it, and every bucket from the floor up is exact.
 *
 * A float32 orders like the unsigned key made from its bits (all bits flipped
 * for a negative number, the sign bit set for a positive one), so a quantile
 * can be found digit by digit, as in a radix select:
 * 1. count each unit's values by the top 12 bits of their key, and find the
 *    bucket holding the target rank (q * N values above it);
 * 2. count the values inside that bucket by the next 12 bits, and those above it.
 * A final bucket holds 256 consecutive floats (under 2^-15 of the value, for
 * normal numbers). The threshold is the largest float of the final bucket
 * whose count above is closest to q * N, and that count is exact: the
 * reported `fractionAbove` is the true fraction of values strictly above the
 * threshold, and it differs from q by at most one final bucket's count over N
 * (ties, such as many zeros, cannot be split by any threshold).
 */
import { join } from "node:path";
import { DissectError } from "../engine/errors.ts";
import { tableRows } from "../engine/duck.ts";
import { batches } from "../data/open.ts";
import type { Activations } from "./activations.ts";
import { type Border, BORDERS, SourceGrid } from "./upsample.ts";

/** Each unit's threshold t_u and the fraction of upsampled positions above it. */
export const THRESHOLDS_TABLE = {
  layer: "VARCHAR",
  unit: "INTEGER",
  threshold: "DOUBLE",
  fraction_above: "DOUBLE",
} as const;

/** How each layer's thresholds were taken: quantile, grid, edge mode and resolution. */
export const THRESHOLD_DEFINITION_TABLE = {
  layer: "VARCHAR",
  q: "DOUBLE",
  over: "VARCHAR",
  border: "VARCHAR",
  height: "INTEGER",
  width: "INTEGER",
} as const;
/** Where a threshold's values are taken: the upsampled map (the paper's) or the layer's grid. */
export const QUANTILE_OVER = ["upsampled", "layer"] as const;
/** The positions a threshold is a quantile over. */
export type QuantileOver = typeof QUANTILE_OVER[number];

/** A unit's threshold and the exact fraction of values above it. */
export interface UnitThreshold {
  threshold: number;
  /** Exact fraction of values strictly above the threshold. */
  fractionAbove: number;
}

const BUCKETS = 4096;
/** Keys of the first and last finite float32 buckets: outside them lie only ±inf and NaN. */
const FIRST_FINITE = 0x008, LAST_FINITE = 0xff7;
const ZERO = 0x80000000, MINUS_ZERO = 0x7fffffff;

/** A TopQuantile's decisions so far (TopQuantile.state): plain numbers, for JSON. */
export interface QuantileState {
  pass: number;
  total: number;
  floor: number[];
  bucket: number[];
  lowValue: number[];
  highValue: number[];
  maxKey: number[];
}

/** The top-q quantile of every unit of a layer, in streaming passes (see above). */
export class TopQuantile {
  /** Counts of the current pass, by unit and bucket. */
  readonly #hist: Float64Array;
  /** The bucket of pass 1 that holds each unit's threshold, and the count above it. */
  readonly #bucket: Int32Array;
  readonly #above: Float64Array;
  /** The largest key of each unit (pass 1). */
  readonly #maxKey: Uint32Array;
  /**
   * Over upsampled maps, a bucket below which no unit's threshold can lie,
   * raised after every image of pass 1: pass 1 skips blocks wholly below it.
   */
  readonly #floor: Int32Array;
  /** Non-finite activations per unit (counted apart over upsampled maps). */
  readonly #nonFinite: Float64Array;
  /** The smallest float of each unit's floor bucket (pass 1) and of its bucket (pass 2), and the largest. */
  readonly #lowValue: Float64Array;
  readonly #highValue: Float64Array;
  #pass = 1;
  /** Passes over the data. */
  readonly passes = 2;
  /** q times the values the whole data set holds: what a floor needs above it (Infinity: unknown). */
  readonly #target: number;
  /** Values seen per unit (counted in the first pass). */
  total = 0;

  /** Upsampling of each map, when the quantile is over upsampled values (not at equal sizes). */
  readonly #grid: SourceGrid | null;
  /** One block's upsampled values, and their bits. */
  readonly #block: Float32Array;
  readonly #blockBits: Uint32Array;
  /** The keys #rowKeys found. */
  #rowLo = 0;
  #rowHi = 0;
  /** Values per unit per image that the quantile is over. */
  readonly perImage: number;

  /**
   * `positions`: values per unit per image as stored (the feature map's
   * height x width); `name`: what errors call the layer; `upsample`: count
   * the map's bilinear upsampling (to a grid of the map's size) instead;
   * `images`: how many images the whole data set has (all shards together),
   * which lets pass 1 raise its floor (without it, nothing is skipped).
   */
  constructor(
    readonly units: number,
    readonly positions: number,
    readonly q: number,
    readonly name = "layer",
    upsample?: SourceGrid,
    readonly images?: number,
  ) {
    if (!(q > 0 && q < 1)) throw new RangeError(`quantile q must be in (0, 1), got ${q}`);
    if (upsample && upsample.h * upsample.w !== positions) {
      throw new RangeError(`an upsampling of ${upsample.h}x${upsample.w} maps, not ${positions}`);
    }
    this.#hist = new Float64Array(units * BUCKETS);
    this.#bucket = new Int32Array(units);
    this.#above = new Float64Array(units);
    this.#maxKey = new Uint32Array(units);
    this.#grid = upsample && !upsample.identity ? upsample : null;
    const g = this.#grid;
    this.#block = new Float32Array(g ? g.rowRuns.longest * g.colRuns.longest : 0);
    this.#blockBits = new Uint32Array(this.#block.buffer);
    this.perImage = upsample ? upsample.H * upsample.W : positions;
    this.#floor = new Int32Array(units);
    this.#nonFinite = new Float64Array(units);
    this.#lowValue = new Float64Array(units).fill(-Infinity);
    this.#highValue = new Float64Array(units);
    // As nextPass computes it (q times the integer count), to the last bit.
    this.#target = images === undefined ? Infinity : q * (images * this.perImage);
  }

  /** One batch of activations laid out [images][units][positions]. */
  observe(values: Float32Array, images: number): void {
    const bits = new Uint32Array(
      values.buffer,
      values.byteOffset,
      images * this.units * this.positions,
    );
    const m = this.positions, hist = this.#hist, pass = this.#pass, first = pass === 1;
    const grid = this.#grid;
    // Nothing counted yet, so no floor: the first batch's own bounds give one.
    const rising = grid !== null && first && this.#target < Infinity;
    if (rising && this.total === 0) this.#boundFloors(values, images);
    for (let i = 0; i < images; i++) {
      if (rising && i > 0) this.#raiseFloors();
      for (let u = 0; u < this.units; u++) {
        const start = (i * this.units + u) * m, base = u * BUCKETS;
        if (grid) {
          // A map whose every value lies below the floor (pass 1) or the bucket (pass 2)
          // upsamples to values below it too: skipped whole, before loading. Non-finite
          // values could hide there: the map is counted and refused at the pass's end.
          let peak = values[start], finite = 0;
          for (let k = start; k < start + m; k++) {
            const v = values[k];
            if (v > peak) peak = v;
            finite += v * 0; // NaN once any value is NaN or infinite
          }
          if (finite !== 0) {
            for (let k = start; k < start + m; k++) {
              if (!Number.isFinite(values[k])) this.#nonFinite[u]++;
            }
            continue;
          }
          if (grid.peakBound(peak) < this.#lowValue[u]) continue;
          grid.load(values, start);
          if (first) this.#maxKey[u] = this.#countBlocks(u, base, this.#maxKey[u]);
          else this.#above[u] += this.#countBlocksInBucket(u, base);
          continue;
        }
        // The loops are small functions of their own: measured faster than inline here.
        if (first) {
          this.#maxKey[u] = countBuckets(bits, start, start + m, hist, base, this.#maxKey[u]);
        } else this.#above[u] += countInBucket(bits, start, start + m, hist, base, this.#bucket[u]);
      }
    }
    if (rising) this.#raiseFloors();
    if (first) this.total += images * this.perImage;
  }

  /**
   * Raises each unit's floor from bounds on a batch about to be counted:
   * every pixel of a block is at least its smallest corner, so where the
   * corners' counts, from the top, reach the target, the pixels' do too.
   */
  #boundFloors(values: Float32Array, images: number): void {
    const g = this.#grid!, R = g.rowRuns, C = g.colRuns, m = this.positions;
    const bounds = new Float64Array(this.units * BUCKETS);
    for (let i = 0; i < images; i++) {
      for (let u = 0; u < this.units; u++) {
        g.load(values, (i * this.units + u) * m);
        const data = g.data, base = u * BUCKETS;
        for (let r = 0; r < R.start.length; r++) {
          const rowA = g.base + R.i0[r] * g.stride, rowB = g.base + R.i1[r] * g.stride;
          const ny = R.end[r] - R.start[r];
          for (let c = 0; c < C.start.length; c++) {
            const lo = keyOfValue(
              Math.min(
                data[rowA + C.i0[c]],
                data[rowA + C.i1[c]],
                data[rowB + C.i0[c]],
                data[rowB + C.i1[c]],
              ),
            );
            bounds[base + (lo >>> 20)] += ny * (C.end[c] - C.start[c]);
          }
        }
      }
    }
    for (let u = 0; u < this.units; u++) {
      let cum = 0;
      for (let b = LAST_FINITE; b > this.#floor[u]; b--) {
        cum += bounds[u * BUCKETS + b];
        if (cum >= this.#target) {
          this.#floor[u] = b;
          this.#lowValue[u] = floatOf(b << 20 >>> 0);
          break;
        }
      }
    }
  }

  /**
   * Raises each unit's floor to the bucket where its counts so far, from the
   * top, reach the target: counts only grow as images are added, so the
   * threshold's bucket lies at or above it. Buckets from the old floor up are
   * exact, which is all the scan reads.
   */
  #raiseFloors(): void {
    const hist = this.#hist, target = this.#target;
    for (let u = 0; u < this.units; u++) {
      const base = u * BUCKETS, floor = this.#floor[u];
      let cum = 0;
      // Nothing was counted above the largest key.
      for (let b = this.#maxKey[u] >>> 20; b > floor; b--) {
        cum += hist[base + b];
        if (cum >= target) {
          this.#floor[u] = b;
          this.#lowValue[u] = floatOf(b << 20 >>> 0);
          break;
        }
      }
    }
  }

  /**
   * Pass 1 over the loaded map's upsampling, block by block, leaving out
   * blocks wholly below bucket `floor`; returns the largest key.
   */
  #countBlocks(u: number, base: number, maxKey: number): number {
    const g = this.#grid!, R = g.rowRuns, C = g.colRuns, data = g.data, hist = this.#hist;
    const floor = this.#floor[u], floorValue = this.#lowValue[u], rowMax = g.rowMax;
    for (let r = 0; r < R.start.length; r++) {
      if (rowMax[R.i0[r]] < floorValue && rowMax[R.i1[r]] < floorValue) continue;
      const rowA = g.base + R.i0[r] * g.stride, rowB = g.base + R.i1[r] * g.stride;
      const ny = R.end[r] - R.start[r];
      // Most blocks lie wholly below the floor: only those with a corner at or above it.
      const hot = g.hot, nHot = g.hotColumns(r, floorValue, false);
      for (let k = 0; k < nHot; k++) {
        const c = hot[k];
        const a = data[rowA + C.i0[c]], b = data[rowA + C.i1[c]];
        const d = data[rowB + C.i0[c]], e = data[rowB + C.i1[c]];
        const lo = keyOfValue(Math.min(a, b, d, e)), hi = keyOfValue(Math.max(a, b, d, e));
        if (hi >>> 20 < floor) continue;
        // Wholly inside one bucket, and no new maximum to find: counted at once.
        if (lo >>> 20 === hi >>> 20 && hi <= maxKey) {
          hist[base + (lo >>> 20)] += ny * (C.end[c] - C.start[c]);
          continue;
        }
        // Row by row: each row is a line in x, bounded by its two ends.
        const eps = roundingBound(a, b, d, e), x0 = C.start[c], x1 = C.end[c];
        for (let y = R.start[r]; y < R.end[r]; y++) {
          this.#rowKeys(a, b, d, e, y, x0, x1, eps);
          const rlo = this.#rowLo, rhi = this.#rowHi;
          if (rhi >>> 20 < floor) continue;
          if (rlo >>> 20 === rhi >>> 20 && rhi <= maxKey) {
            hist[base + (rlo >>> 20)] += x1 - x0;
            continue;
          }
          const n = this.#fillRow(a, b, d, e, y, x0, x1);
          maxKey = countBuckets(this.#blockBits, 0, n, hist, base, maxKey);
        }
      }
    }
    return maxKey;
  }

  /**
   * Keys below and above every upsampled value of row y between x0 and x1 of
   * a block: the row lies on a line in the column weight (exact bilinear
   * interpolation), whose ends bound it; the Upsampler's float32 roundings
   * move a value off the line by less than `eps`. Sets #rowLo and #rowHi.
   */
  #rowKeys(
    a: number,
    b: number,
    d: number,
    e: number,
    y: number,
    x0: number,
    x1: number,
    eps: number,
  ): void {
    const g = this.#grid!, wx = g.colRuns.w1, f = g.rowRuns.w1[y];
    const P = a + (d - a) * f, Q = b - a + (e - d - (b - a)) * f;
    const v0 = P + Q * wx[x0], v1 = P + Q * wx[x1 - 1];
    this.#rowLo = keyOfValue(Math.min(v0, v1) - eps);
    this.#rowHi = keyOfValue(Math.max(v0, v1) + eps);
  }

  /** Pass 2 over the loaded map's upsampling; returns how many values lie above bucket b. */
  #countBlocksInBucket(u: number, base: number): number {
    const g = this.#grid!, R = g.rowRuns, C = g.colRuns, data = g.data, hist = this.#hist;
    const b = this.#bucket[u], low = this.#lowValue[u], high = this.#highValue[u];
    const rowMax = g.rowMax;
    let above = 0;
    for (let r = 0; r < R.start.length; r++) {
      if (rowMax[R.i0[r]] < low && rowMax[R.i1[r]] < low) continue;
      const rowA = g.base + R.i0[r] * g.stride, rowB = g.base + R.i1[r] * g.stride;
      const ny = R.end[r] - R.start[r];
      const hot = g.hot, nHot = g.hotColumns(r, low, false);
      for (let k = 0; k < nHot; k++) {
        const c = hot[k];
        const a = data[rowA + C.i0[c]], bb = data[rowA + C.i1[c]];
        const d = data[rowB + C.i0[c]], e = data[rowB + C.i1[c]];
        const n = ny * (C.end[c] - C.start[c]);
        // Wholly above the bucket, compared as floats (hotColumns left out those wholly below).
        if (a > high && bb > high && d > high && e > high) {
          above += n;
          continue;
        }
        const lo = keyOfValue(Math.min(a, bb, d, e)), hi = keyOfValue(Math.max(a, bb, d, e));
        if (hi >>> 20 < b) continue;
        if (lo >>> 20 > b) above += n;
        else if (lo >>> 20 === b && hi >>> 20 === b && lo >>> 8 === hi >>> 8) {
          hist[base + ((lo >>> 8) & 0xfff)] += n;
        } else {
          const eps = roundingBound(a, bb, d, e), x0 = C.start[c], x1 = C.end[c];
          for (let y = R.start[r]; y < R.end[r]; y++) {
            this.#rowKeys(a, bb, d, e, y, x0, x1, eps);
            const rlo = this.#rowLo, rhi = this.#rowHi;
            if (rhi >>> 20 < b) continue;
            if (rlo >>> 20 > b) above += x1 - x0;
            else if (rlo >>> 20 === b && rhi >>> 20 === b && rlo >>> 8 === rhi >>> 8) {
              hist[base + ((rlo >>> 8) & 0xfff)] += x1 - x0;
            } else {
              const k = this.#fillRow(a, bb, d, e, y, x0, x1);
              above += countInBucket(this.#blockBits, 0, k, hist, base, b);
            }
          }
        }
      }
    }
    return above;
  }

  /** The upsampled values of row y, x0 to x1, of a block into #block; returns how many. */
  #fillRow(a: number, b: number, d: number, e: number, y: number, x0: number, x1: number): number {
    const g = this.#grid!, wx = g.colRuns.w1, f = g.rowRuns.w1[y], out = this.#block;
    let k = 0;
    for (let x = x0; x < x1; x++) {
      // The Upsampler's arithmetic: x first, each step rounded to float32.
      const top = Math.fround(a + (b - a) * wx[x]), bottom = Math.fround(d + (e - d) * wx[x]);
      out[k++] = top + (bottom - top) * f;
    }
    return k;
  }

  /**
   * A copy of the current pass's counts (units x 4096) and, in pass 2, of how
   * many values lie above each unit's bucket: what the thresholds are read from.
   */
  counts(): { hist: Float64Array; above: Float64Array; floor: Int32Array } {
    return { hist: this.#hist.slice(), above: this.#above.slice(), floor: this.#floor.slice() };
  }

  /** Which pass this is: 1 or 2. */
  get pass(): number {
    return this.#pass;
  }

  /** Whether the last pass has been counted into (thresholds() can be read after it). */
  get lastPass(): boolean {
    return this.#pass === 2;
  }

  /**
   * What the passes so far decided, as plain JSON: the pass, the values seen,
   * each unit's floor, bucket, bounds and largest key. A copy restored with
   * `resume` counts the same pass the same way (a shard on another node).
   */
  state(): QuantileState {
    return {
      pass: this.#pass,
      total: this.total,
      floor: Array.from(this.#floor),
      bucket: Array.from(this.#bucket),
      lowValue: Array.from(this.#lowValue),
      highValue: Array.from(this.#highValue),
      maxKey: Array.from(this.#maxKey),
    };
  }

  /** Takes up a state from `state()` of a quantile of the same layer and definition. */
  resume(state: QuantileState): void {
    if (state.floor.length !== this.units) {
      throw new Error(`a quantile state of ${state.floor.length} units, not ${this.units}`);
    }
    this.#pass = state.pass;
    this.total = state.total;
    this.#floor.set(state.floor);
    this.#bucket.set(state.bucket);
    this.#lowValue.set(state.lowValue);
    this.#highValue.set(state.highValue);
    this.#maxKey.set(state.maxKey);
  }

  /**
   * What this copy counted in the current pass, as one array: the histogram,
   * then per unit the non-finite values, the largest key and the count above
   * its bucket, then the values seen. Counts of shards add (keys: the largest).
   */
  passCounts(): Float64Array {
    const u = this.units, h = this.#hist.length;
    const out = new Float64Array(h + 3 * u + 1);
    out.set(this.#hist);
    out.set(this.#nonFinite, h);
    out.set(this.#maxKey, h + u);
    out.set(this.#above, h + 2 * u);
    out[h + 3 * u] = this.total;
    return out;
  }

  /** Adds a shard's `passCounts()` of the same pass, counted from a `resume` of this state. */
  addPassCounts(counts: Float64Array): void {
    const u = this.units, h = this.#hist.length;
    if (counts.length !== h + 3 * u + 1) {
      throw new Error(`${counts.length} pass counts, expected ${h + 3 * u + 1}`);
    }
    for (let i = 0; i < h; i++) this.#hist[i] += counts[i];
    for (let k = 0; k < u; k++) {
      this.#nonFinite[k] += counts[h + k];
      this.#maxKey[k] = Math.max(this.#maxKey[k], counts[h + u + k]);
      this.#above[k] += counts[h + 2 * u + k];
    }
    // The first pass counts the values (a resumed copy starts from the total so far).
    if (this.#pass === 1) this.total += counts[h + 3 * u];
  }

  /** Ends pass 1: each unit's threshold is inside one bucket, refined by pass 2. */
  nextPass(): void {
    if (this.#pass !== 1) throw new Error(`TopQuantile has ${this.passes} passes`);
    const expected = this.images === undefined ? this.total : this.images * this.perImage;
    if (this.total !== expected) {
      // A floor raised toward a larger data set's target could pass the threshold.
      throw new Error(`${this.name}: counted ${this.total} values, expected ${expected}`);
    }
    const target = this.q * this.total;
    const hist = this.#hist;
    for (let u = 0; u < this.units; u++) {
      const base = u * BUCKETS;
      let nonFinite = this.#nonFinite[u];
      for (let b = 0; b < FIRST_FINITE; b++) nonFinite += hist[base + b];
      for (let b = LAST_FINITE + 1; b < BUCKETS; b++) nonFinite += hist[base + b];
      if (nonFinite > 0) throw this.#nonFiniteError(u, nonFinite);
      // From the top: the first bucket that brings the count to the target.
      let cum = 0, b = LAST_FINITE;
      for (; b > FIRST_FINITE; b--) {
        if (cum + hist[base + b] >= target) break;
        cum += hist[base + b];
      }
      this.#bucket[u] = b;
      this.#lowValue[u] = floatOf(b << 20 >>> 0);
      this.#highValue[u] = floatOf(((b + 1) << 20 >>> 0) - 1);
      this.#above[u] = 0; // pass 2 counts what lies above the bucket
    }
    this.#hist.fill(0);
    this.#pass = 2;
  }

  #nonFiniteError(u: number, count: number): DissectError {
    return new DissectError(
      "DATA",
      `${this.name}: unit ${u} has ${count} activation(s) that are NaN or infinite`,
      "dissection needs finite activations; check the model",
    );
  }

  /** After pass 2: the threshold of each unit. */
  thresholds(): UnitThreshold[] {
    if (this.#pass !== 2) throw new Error("TopQuantile.thresholds() needs both passes");
    const target = this.q * this.total, hist = this.#hist;
    const out: UnitThreshold[] = [];
    for (let u = 0; u < this.units; u++) {
      const base = u * BUCKETS, b = this.#bucket[u];
      // Edges from the top: the top of sub-bucket s has `above` plus the counts of the
      // sub-buckets over s above it; s = -1 is the top of the bucket below.
      const edge = (s: number) => ((b << 20) + (s << 8) + 0xff) >>> 0;
      let cum = this.#above[u], bestKey = edge(BUCKETS - 1), bestCount = cum;
      for (let s = BUCKETS - 2; s >= -1 && cum < target; s--) {
        cum += hist[base + s + 1];
        if (Math.abs(cum - target) < Math.abs(bestCount - target)) {
          bestKey = edge(s);
          bestCount = cum;
        }
      }
      // Above the largest value nothing lies: the largest value is the tighter threshold.
      const key = Math.min(bestKey, this.#maxKey[u]);
      out.push({ threshold: floatOf(key), fractionAbove: bestCount / this.total });
    }
    return out;
  }
}

/** Pass 1: bits[start..end) by bucket into hist[base + bucket]; returns the largest key. */
function countBuckets(
  bits: Uint32Array,
  start: number,
  end: number,
  hist: Float64Array,
  base: number,
  maxKey: number,
): number {
  for (let j = start; j < end; j++) {
    const k = keyOf(bits[j]);
    if (k > maxKey) maxKey = k;
    hist[base + (k >>> 20)]++;
  }
  return maxKey;
}

/** Pass 2: the values of bucket b by their next 12 bits into hist[base ..]; returns how many lie above b. */
function countInBucket(
  bits: Uint32Array,
  start: number,
  end: number,
  hist: Float64Array,
  base: number,
  b: number,
): number {
  let above = 0;
  for (let j = start; j < end; j++) {
    const k = keyOf(bits[j]), top = k >>> 20;
    if (top === b) hist[base + ((k >>> 8) & 0xfff)]++;
    else if (top > b) above++;
  }
  return above;
}

/** The order-preserving key of float32 bits; -0 gets +0's key, as the two compare equal. */
function keyOf(bits: number): number {
  const k = (bits ^ ((bits >> 31) | ZERO)) >>> 0;
  return k === MINUS_ZERO ? ZERO : k;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * How far the Upsampler's float32 roundings can move a value of a block off
 * the exact bilinear interpolation of its corners: a few float32 steps of the
 * largest corner (2^-23 each), bounded generously; 1e-44 covers subnormals.
 */
function roundingBound(a: number, b: number, d: number, e: number): number {
  return 1e-6 * Math.max(Math.abs(a), Math.abs(b), Math.abs(d), Math.abs(e)) + 1e-44;
}

/** The key of a float32 value (a wider number is rounded to float32 first). */
function keyOfValue(v: number): number {
  scratch[0] = v;
  return keyOf(scratchBits[0]);
}

/** The float32 of a key (no value has -0's key, so that one means the float just below it). */
function floatOf(key: number): number {
  if (key === MINUS_ZERO) key--;
  scratchBits[0] = key & ZERO ? (key ^ ZERO) >>> 0 : ~key >>> 0;
  return scratch[0];
}

/** How a layer's thresholds are defined: the positions they are over, and the upsampling's. */
export interface ThresholdDefinition {
  q: number;
  over: QuantileOver;
  /** The resolution maps are upsampled to (the segmentation's). */
  height: number;
  width: number;
  border: Border;
}

/**
 * The definition of thresholds over a segmentation's pixels (the pixels IoU
 * counts), refused unless the activations and the segmentation describe the
 * same images; `node` names the stage in errors.
 */
export function thresholdDefinition(
  node: string,
  images: number,
  segmentation: { count: number; height: number; width: number },
  p: { q: number; over: QuantileOver; border: Border },
): ThresholdDefinition {
  if (segmentation.count !== images) {
    throw new DissectError(
      "DATA",
      `${node}: activations (${images} images) and segmentation (${segmentation.count}) ` +
        `must describe the same images`,
    );
  }
  const { height, width } = segmentation;
  return { q: p.q, over: p.over, border: p.border, height, width };
}

/** All passes over one layer's activations, `batch` images at a time. */
export async function layerThresholds(
  acts: Activations,
  layer: string,
  def: ThresholdDefinition,
  opts: { batch?: number; name?: string; tick?: (images: number) => void } = {},
): Promise<UnitThreshold[]> {
  const { units, height, width } = acts.shape(layer);
  const grid = def.over === "upsampled"
    ? new SourceGrid(height, width, def.height, def.width, def.border)
    : undefined;
  const name = opts.name ?? `layer "${layer}"`;
  const tq = new TopQuantile(units, height * width, def.q, name, grid, acts.meta.count);
  const batch = opts.batch ?? 64;
  const buffer = new Float32Array(Math.min(batch, acts.meta.count) * units * height * width);
  for (let pass = 1; pass <= tq.passes; pass++) {
    for (const [start, end] of batches(acts.meta.count, batch)) {
      const [values] = await acts.read([layer], start, end, [buffer]);
      tq.observe(values, end - start);
      opts.tick?.(end - start);
    }
    if (pass < tq.passes) tq.nextPass();
  }
  return tq.thresholds();
}

/**
 * A layer's quantile over a data set of `images`, from the state earlier
 * rounds left (none: a fresh one).
 */
function layerQuantile(
  shape: { units: number; height: number; width: number },
  def: ThresholdDefinition,
  images: number,
  name: string,
  state: QuantileState | null,
): TopQuantile {
  const { units, height, width } = shape;
  const grid = def.over === "upsampled"
    ? new SourceGrid(height, width, def.height, def.width, def.border)
    : undefined;
  const tq = new TopQuantile(units, height * width, def.q, name, grid, images);
  if (state) tq.resume(state);
  return tq;
}

/**
 * One shard's share of one pass of some layers' quantiles: images [start,
 * end), each counted from the state its earlier passes left; each layer's
 * pass counts. A batch of every layer is read at once, so activations
 * computed again cost one forward pass per pass, however many layers.
 */
export async function countPass(
  acts: Activations,
  layers: readonly { layer: string; state: QuantileState | null }[],
  def: ThresholdDefinition,
  range: { start: number; end: number },
  opts: {
    batch?: number;
    name?: (layer: string) => string;
    tick?: (images: number) => void;
  } = {},
): Promise<Float64Array[]> {
  const names = layers.map((l) => l.layer);
  const quantiles = layers.map(({ layer, state }) =>
    layerQuantile(
      acts.shape(layer),
      def,
      acts.meta.count,
      opts.name?.(layer) ?? `layer "${layer}"`,
      state,
    )
  );
  const batch = opts.batch ?? 64;
  const buffers = names.map((layer) => {
    const { units, height, width } = acts.shape(layer);
    return new Float32Array(
      Math.max(1, Math.min(batch, range.end - range.start)) * units * height * width,
    );
  });
  for (const [start, end] of batches(range.end, batch, range.start)) {
    const values = await acts.read(names, start, end, buffers);
    quantiles.forEach((tq, k) => tq.observe(values[k], end - start));
    opts.tick?.((end - start) * layers.length);
  }
  return quantiles.map((tq) => tq.passCounts());
}

/**
 * Adds the shards' counts of one pass to a layer's quantile: the state for
 * the next pass, or after the last the thresholds. With countPass, it gives
 * what layerThresholds gives, since counts are sums and the largest key a maximum.
 */
export function mergePass(
  shape: { units: number; height: number; width: number },
  def: ThresholdDefinition,
  images: number,
  state: QuantileState | null,
  parts: readonly Float64Array[],
  name: string,
): { state: QuantileState } | { thresholds: UnitThreshold[] } {
  const tq = layerQuantile(shape, def, images, name, state);
  for (const counts of parts) tq.addPassCounts(counts);
  if (tq.lastPass) return { thresholds: tq.thresholds() };
  tq.nextPass();
  return { state: tq.state() };
}

/** Writes a shard's pass counts of the k-th layer into its partial folder. */
export async function savePassCounts(dir: string, k: number, counts: Float64Array): Promise<void> {
  await Deno.writeFile(join(dir, `pass-${k}.f64`), new Uint8Array(counts.buffer));
}

/** The pass counts of the k-th layer that each shard's folder holds, in shard order. */
export async function loadPassCounts(dirs: readonly string[], k: number): Promise<Float64Array[]> {
  return await Promise.all(dirs.map(async (dir) => {
    const bytes = await Deno.readFile(join(dir, `pass-${k}.f64`));
    return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  }));
}

/** One layer's row of a quantile stage's `threshold_definition` table. */
export interface LayerDefinition {
  layer: string | null;
  over: string | null;
  border: string | null;
  height: number | null;
  width: number | null;
}

/**
 * The edge mode that masks must share with the thresholds of `layers`, from
 * their definitions: every layer defined, one edge mode, and thresholds over
 * upsampled maps taken at the segmentation's H x W. `what` names the caller.
 */
export function edgeModeOf(
  definitions: readonly LayerDefinition[],
  layers: readonly string[],
  H: number,
  W: number,
  what: string,
): Border {
  const borders = new Set(definitions.map((r) => r.border));
  for (const layer of layers) {
    const r = definitions.find((r) => r.layer === layer);
    if (!r) {
      throw new DissectError("DATA", `${what}: the thresholds do not define layer "${layer}"`);
    }
    if (r.over === "upsampled" && (r.height !== H || r.width !== W)) {
      throw new DissectError(
        "DATA",
        `${what}: thresholds of "${layer}" are over ${r.width}x${r.height} upsampled maps, ` +
          `the segmentation is ${W}x${H}`,
      );
    }
  }
  const [border] = borders;
  if (borders.size !== 1 || !BORDERS.includes(border as Border)) {
    throw new DissectError("DATA", `${what}: thresholds with edge modes ${[...borders]}`);
  }
  return border as Border;
}

/**
 * Each layer's thresholds as an array by unit, from a quantile stage's
 * `thresholds` rows; a layer missing any unit's threshold is an error.
 */
export function thresholdsByLayer(
  rows: readonly { layer: string | null; unit: number | null; threshold: number | null }[],
  layers: readonly { layer: string; units: number }[],
  what: string,
): Float64Array[] {
  return layers.map(({ layer, units }) => {
    const t = new Float64Array(units).fill(NaN);
    for (const r of rows) if (r.layer === layer && r.unit !== null) t[r.unit] = r.threshold ?? NaN;
    if (t.some((v) => Number.isNaN(v))) {
      throw new DissectError("DATA", `${what}: the thresholds lack units of layer "${layer}"`);
    }
    return t;
  });
}

/**
 * A quantile artifact's thresholds for the dissected layers, with the edge
 * mode they were taken with: refused unless they were taken over the
 * segmentation's H x W and cover every unit of every layer.
 */
export async function readThresholds(
  thresholds: { table(name: string): string },
  layers: readonly { layer: string; units: number }[],
  H: number,
  W: number,
  what: string,
): Promise<{ thresholds: Float64Array[]; border: Border }> {
  const rows = await tableRows(
    thresholds.table("thresholds"),
    THRESHOLDS_TABLE,
    "ORDER BY layer, unit",
  );
  const definitions = await tableRows(
    thresholds.table("threshold_definition"),
    THRESHOLD_DEFINITION_TABLE,
  );
  const border = edgeModeOf(definitions, layers.map((l) => l.layer), H, W, what);
  return { thresholds: thresholdsByLayer(rows, layers, what), border };
}
