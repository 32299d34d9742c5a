/**
 * The top-q quantile t_u of every unit, over all images and positions, in two
 * streaming passes whose counts merge by addition, with memory of units x 4096
 * counts whatever the number of images.
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
import { DissectError } from "../engine/errors.ts";
import { batches } from "../data/open.ts";
import type { ActivationReader } from "./activations.ts";

export interface UnitThreshold {
  threshold: number;
  /** Exact fraction of values strictly above the threshold. */
  fractionAbove: number;
}

const BUCKETS = 4096;
/** Keys of the first and last finite float32 buckets: outside them lie only ±inf and NaN. */
const FIRST_FINITE = 0x008, LAST_FINITE = 0xff7;
const ZERO = 0x80000000, MINUS_ZERO = 0x7fffffff;

export class TopQuantile {
  /** Counts of the current pass, by unit and bucket. */
  readonly #hist: Float64Array;
  /** The bucket of pass 1 that holds each unit's threshold, and the count above it. */
  readonly #bucket: Int32Array;
  readonly #above: Float64Array;
  /** The largest key of each unit (pass 1). */
  readonly #maxKey: Uint32Array;
  #pass = 1;
  /** Values seen per unit (counted in pass 1). */
  total = 0;

  /**
   * `positions`: values per unit per image (the feature map's height x width);
   * `name`: what errors call the layer.
   */
  constructor(
    readonly units: number,
    readonly positions: number,
    readonly q: number,
    readonly name = "layer",
  ) {
    if (!(q > 0 && q < 1)) throw new RangeError(`quantile q must be in (0, 1), got ${q}`);
    this.#hist = new Float64Array(units * BUCKETS);
    this.#bucket = new Int32Array(units);
    this.#above = new Float64Array(units);
    this.#maxKey = new Uint32Array(units);
  }

  /** One batch of activations laid out [images][units][positions]. */
  observe(values: Float32Array, images: number): void {
    const bits = new Uint32Array(
      values.buffer,
      values.byteOffset,
      images * this.units * this.positions,
    );
    const m = this.positions, hist = this.#hist, first = this.#pass === 1;
    for (let i = 0; i < images; i++) {
      for (let u = 0; u < this.units; u++) {
        const start = (i * this.units + u) * m, base = u * BUCKETS;
        // The loops are small functions of their own: measured faster than inline here.
        if (first) {
          this.#maxKey[u] = countBuckets(bits, start, start + m, hist, base, this.#maxKey[u]);
        } else this.#above[u] += countInBucket(bits, start, start + m, hist, base, this.#bucket[u]);
      }
    }
    if (this.#pass === 1) this.total += images * m;
  }

  /** Ends pass 1: each unit's threshold is inside one bucket, refined by pass 2. */
  nextPass(): void {
    if (this.#pass !== 1) throw new Error("TopQuantile has two passes");
    const target = this.q * this.total;
    const hist = this.#hist;
    for (let u = 0; u < this.units; u++) {
      const base = u * BUCKETS;
      let nonFinite = 0;
      for (let b = 0; b < FIRST_FINITE; b++) nonFinite += hist[base + b];
      for (let b = LAST_FINITE + 1; b < BUCKETS; b++) nonFinite += hist[base + b];
      if (nonFinite > 0) {
        throw new DissectError(
          "DATA",
          `${this.name}: unit ${u} has ${nonFinite} activation(s) that are NaN or infinite`,
          "dissection needs finite activations; check the model",
        );
      }
      // From the top: the first bucket that brings the count to the target.
      let cum = 0, b = LAST_FINITE;
      for (; b > FIRST_FINITE; b--) {
        if (cum + hist[base + b] >= target) break;
        cum += hist[base + b];
      }
      this.#bucket[u] = b;
      this.#above[u] = 0; // pass 2 counts what lies above the bucket
    }
    this.#hist.fill(0);
    this.#pass = 2;
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

/** The float32 of a key (no value has -0's key, so that one means the float just below it). */
function floatOf(key: number): number {
  if (key === MINUS_ZERO) key--;
  scratchBits[0] = key & ZERO ? (key ^ ZERO) >>> 0 : ~key >>> 0;
  return scratch[0];
}

/** Both passes over one layer's stored activations, `batch` images at a time. */
export function layerThresholds(
  acts: ActivationReader,
  layer: string,
  q: number,
  opts: { batch?: number; name?: string; tick?: (images: number) => void } = {},
): UnitThreshold[] {
  const { units, height, width } = acts.shape(layer);
  const tq = new TopQuantile(units, height * width, q, opts.name ?? `layer "${layer}"`);
  const batch = opts.batch ?? 64;
  const buffer = new Float32Array(Math.min(batch, acts.meta.count) * units * height * width);
  for (const pass of [1, 2]) {
    for (const [start, end] of batches(acts.meta.count, batch)) {
      tq.observe(acts.read(layer, start, end, buffer), end - start);
      opts.tick?.(end - start);
    }
    if (pass === 1) tq.nextPass();
  }
  return tq.thresholds();
}
