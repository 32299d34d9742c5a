/**
 * Percentile bootstrap intervals over images: resample the rows with
 * replacement, recompute the statistic, take the quantiles. Seeded, so an
 * interval is a function of the data and the seed.
 */
import { seededRandom } from "./random.ts";

/** A statistic and its interval. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

/** How many resamples, what coverage, which seed. */
export interface BootstrapOptions {
  resamples?: number;
  /** Coverage, e.g. 0.95 or 0.99. */
  level?: number;
  seed?: number;
}

/**
 * @param n number of rows (images)
 * @param stat the statistic of a resample, given how many times each row was drawn
 */
export function bootstrap(
  n: number,
  stat: (weights: Uint32Array) => number,
  opts: BootstrapOptions = {},
): Interval {
  if (n === 0) throw new Error("bootstrap over an empty sample");
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rand = seededRandom(opts.seed ?? 1);
  const ones = new Uint32Array(n).fill(1);
  const estimate = stat(ones);
  const values = new Float64Array(resamples);
  const w = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[Math.floor(rand() * n)]++;
    values[r] = stat(w);
  }
  // A resample can leave a statistic undefined (no positives drawn, say).
  // A few such draws are dropped; many make the interval undefined too.
  const kept = values.filter((v) => !Number.isNaN(v)).sort();
  if (kept.length < 0.95 * resamples) return { estimate, lo: NaN, hi: NaN };
  const m = kept.length;
  const q = (p: number) => kept[Math.min(m - 1, Math.max(0, Math.floor(p * m)))];
  return { estimate, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}

/** Interval of a mean of per-row values. */
export function bootstrapMean(values: ArrayLike<number>, opts?: BootstrapOptions): Interval {
  return bootstrap(values.length, (w) => {
    let s = 0, c = 0;
    for (let i = 0; i < values.length; i++) {
      s += w[i] * values[i];
      c += w[i];
    }
    return s / c;
  }, opts);
}

/**
 * Interval of statA - statB for two independent samples (two networks'
 * units, say), each resampled with replacement on its own in every round.
 */
export function bootstrapDifference(
  a: { n: number; stat: (weights: Uint32Array) => number },
  b: { n: number; stat: (weights: Uint32Array) => number },
  opts: BootstrapOptions = {},
): Interval {
  if (a.n === 0 || b.n === 0) throw new Error("bootstrap over an empty sample");
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rand = seededRandom(opts.seed ?? 1);
  const estimate = a.stat(new Uint32Array(a.n).fill(1)) - b.stat(new Uint32Array(b.n).fill(1));
  const wa = new Uint32Array(a.n), wb = new Uint32Array(b.n);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    wa.fill(0);
    wb.fill(0);
    for (let i = 0; i < a.n; i++) wa[Math.floor(rand() * a.n)]++;
    for (let i = 0; i < b.n; i++) wb[Math.floor(rand() * b.n)]++;
    const v = a.stat(wa) - b.stat(wb);
    if (!Number.isNaN(v)) values.push(v);
  }
  if (values.length < 0.95 * resamples) return { estimate, lo: NaN, hi: NaN };
  values.sort((x, y) => x - y);
  const m = values.length;
  const q = (p: number) => values[Math.min(m - 1, Math.max(0, Math.floor(p * m)))];
  return { estimate, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}
