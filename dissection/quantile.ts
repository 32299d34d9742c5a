/**
 * The top-q quantile t_u of every unit, over all images and positions, with
 * memory bounded by units x bins whatever the number of images.
 *
 * Three streaming passes over the activations, each mergeable by addition:
 * 1. the range of each unit;
 * 2. a histogram of `bins` bins over that range, which brackets the target
 *    rank (q * N values above t) within one bin;
 * 3. a histogram of `bins` bins inside that bin.
 * Bins are left-open, (edge_b, edge_b+1], so the number of values strictly
 * above every edge is known exactly. The threshold is the final edge whose
 * count above it is closest to q * N, and that exact count is reported:
 * `fractionAbove` differs from q by at most the count of one final sub-bin
 * (a range/bins^2 wide interval) over N.
 */

export interface UnitThreshold {
  threshold: number;
  /** Exact fraction of values strictly above the threshold. */
  fractionAbove: number;
}

export class TopQuantile {
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Current bracket (lo, hi] of each unit, and the exact count above hi. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly above: Float64Array;
  readonly hist: Float64Array;
  /** Values seen per unit (counted in the range pass). */
  total = 0;

  constructor(readonly units: number, readonly q: number, readonly bins = 1024) {
    if (!(q > 0 && q < 1)) throw new RangeError(`quantile q must be in (0, 1), got ${q}`);
    this.min = new Float64Array(units).fill(Infinity);
    this.max = new Float64Array(units).fill(-Infinity);
    this.lo = new Float64Array(units);
    this.hi = new Float64Array(units);
    this.above = new Float64Array(units);
    this.hist = new Float64Array(units * bins);
  }

  /** Pass 1: the values of unit u in one image (or several). */
  observeRange(u: number, values: Float32Array, start: number, length: number): void {
    let mn = this.min[u], mx = this.max[u];
    for (let i = start; i < start + length; i++) {
      const v = values[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    this.min[u] = mn;
    this.max[u] = mx;
    if (u === 0) this.total += length;
  }

  /** Between passes 1 and 2: the first bracket is the whole range. */
  beginRefine(): void {
    for (let u = 0; u < this.units; u++) {
      const span = this.max[u] - this.min[u];
      this.lo[u] = this.min[u] - Math.max(span * 1e-9, 1e-12);
      this.hi[u] = this.max[u];
      this.above[u] = 0;
    }
    this.hist.fill(0);
  }

  /** Passes 2 and 3: histogram of the values inside each unit's bracket. */
  observeRefine(u: number, values: Float32Array, start: number, length: number): void {
    const lo = this.lo[u], hi = this.hi[u];
    const width = (hi - lo) / this.bins;
    if (!(width > 0)) return; // a constant unit: nothing to refine
    const base = u * this.bins;
    let above = 0;
    for (let i = start; i < start + length; i++) {
      const v = values[i];
      if (v <= lo) continue;
      if (v > hi) {
        above++;
        continue;
      }
      // (edge b, edge b+1] -> b; ceil keeps bins left-open, and the two
      // corrections make membership agree exactly with the edges' arithmetic.
      let b = Math.ceil((v - lo) / width) - 1;
      if (b < 0) b = 0;
      else if (b >= this.bins) b = this.bins - 1;
      while (b > 0 && v <= lo + b * width) b--;
      while (b < this.bins - 1 && v > lo + (b + 1) * width) b++;
      this.hist[base + b]++;
    }
    this.above[u] += above;
  }

  /** After a refine pass: narrow each bracket to the bin holding the target rank. */
  narrow(): void {
    const target = this.q * this.total;
    for (let u = 0; u < this.units; u++) {
      const lo = this.lo[u], width = (this.hi[u] - lo) / this.bins;
      if (!(width > 0)) continue;
      const base = u * this.bins;
      let cum = this.above[u];
      for (let b = this.bins - 1; b >= 0; b--) {
        const next = cum + this.hist[base + b]; // = count strictly above edge b
        if (next >= target || b === 0) {
          this.lo[u] = lo + b * width;
          this.hi[u] = lo + (b + 1) * width;
          this.above[u] = 0; // the next pass counts what lies above the new hi
          this.hist.fill(0, base, base + this.bins);
          break;
        }
        cum = next;
      }
    }
  }

  /**
   * After the last refine pass (before narrow): the threshold of each unit.
   * Uses the histogram of the last pass, so call it instead of narrow().
   */
  thresholds(): UnitThreshold[] {
    const target = this.q * this.total;
    const out: UnitThreshold[] = [];
    for (let u = 0; u < this.units; u++) {
      const lo = this.lo[u], width = (this.hi[u] - lo) / this.bins;
      if (!(width > 0)) {
        out.push({ threshold: this.max[u], fractionAbove: 0 });
        continue;
      }
      const base = u * this.bins;
      // Edges from the top: count strictly above edge b is above + sum of bins >= b.
      let best = { threshold: this.hi[u], count: this.above[u] };
      let cum = this.above[u];
      for (let b = this.bins - 1; b >= 0; b--) {
        cum += this.hist[base + b];
        const edge = lo + b * width;
        if (Math.abs(cum - target) < Math.abs(best.count - target)) {
          best = { threshold: edge, count: cum };
        }
        if (cum >= target) break;
      }
      out.push({ threshold: best.threshold, fractionAbove: best.count / this.total });
    }
    return out;
  }
}
