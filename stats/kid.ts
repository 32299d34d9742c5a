/**
 * Kernel Inception Distance, with a classifier's features in place of
 * Inception's: the unbiased squared MMD between two sets of feature vectors
 * under the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3. Zero in
 * expectation when both sets come from one distribution.
 */
import type { Interval } from "./bootstrap.ts";
import { seededRandom } from "./random.ts";

/** Row-major n x d features. */
export interface Features {
  n: number;
  d: number;
  data: Float32Array;
}

function kernelMatrix(a: Features, b: Features): Float64Array {
  const out = new Float64Array(a.n * b.n);
  const d = a.d;
  for (let i = 0; i < a.n; i++) {
    for (let j = 0; j < b.n; j++) {
      let dot = 0;
      const ai = i * d, bj = j * d;
      for (let k = 0; k < d; k++) dot += a.data[ai + k] * b.data[bj + k];
      out[i * b.n + j] = (dot / d + 1) ** 3;
    }
  }
  return out;
}

/** Unbiased MMD^2 from kernel matrices, each row/column counted w times. */
function mmd2(
  kxx: Float64Array,
  kyy: Float64Array,
  kxy: Float64Array,
  m: number,
  n: number,
  wx: Uint32Array,
  wy: Uint32Array,
): number {
  const within = (k: Float64Array, size: number, w: Uint32Array) => {
    let s = 0, count = 0;
    for (let i = 0; i < size; i++) {
      if (!w[i]) continue;
      for (let j = 0; j < size; j++) {
        if (i === j || !w[j]) continue;
        s += w[i] * w[j] * k[i * size + j];
        count += w[i] * w[j];
      }
    }
    return s / count;
  };
  let sxy = 0, cxy = 0;
  for (let i = 0; i < m; i++) {
    if (!wx[i]) continue;
    for (let j = 0; j < n; j++) {
      sxy += wx[i] * wy[j] * kxy[i * n + j];
      cxy += wx[i] * wy[j];
    }
  }
  return within(kxx, m, wx) + within(kyy, n, wy) - 2 * sxy / cxy;
}

/**
 * KID between x and y, as Binkowski et al. report it: the sets are shuffled
 * (seeded) and cut into `blocks` disjoint parts; KID is computed on each pair
 * of parts (an unbiased estimate each); the estimate is their mean and the
 * 95% interval mean +- 1.96 standard errors. (A bootstrap would duplicate
 * rows, and duplicates bias an MMD.)
 */
export function kid(
  x: Features,
  y: Features,
  opts: { blocks?: number; seed?: number } = {},
): Interval {
  if (x.d !== y.d) throw new Error(`feature sizes differ: ${x.d} and ${y.d}`);
  const blocks = Math.max(2, Math.min(opts.blocks ?? 10, Math.floor(Math.min(x.n, y.n) / 2)));
  const rand = seededRandom(opts.seed ?? 1);
  const shuffled = (f: Features) => {
    const order = Array.from({ length: f.n }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  };
  const part = (f: Features, order: number[], b: number): Features => {
    const rows = order.filter((_, i) => i % blocks === b);
    const data = new Float32Array(rows.length * f.d);
    rows.forEach((r, i) => data.set(f.data.subarray(r * f.d, (r + 1) * f.d), i * f.d));
    return { n: rows.length, d: f.d, data };
  };
  const ox = shuffled(x), oy = shuffled(y);
  const values: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const px = part(x, ox, b), py = part(y, oy, b);
    const ones = (k: number) => new Uint32Array(k).fill(1);
    values.push(
      mmd2(
        kernelMatrix(px, px),
        kernelMatrix(py, py),
        kernelMatrix(px, py),
        px.n,
        py.n,
        ones(px.n),
        ones(py.n),
      ),
    );
  }
  const mean = values.reduce((a, v) => a + v, 0) / blocks;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (blocks - 1));
  const half = 1.96 * sd / Math.sqrt(blocks);
  return { estimate: mean, lo: mean - half, hi: mean + half };
}

/** A set split into its first and second half (by row order): the sets a KID floor compares. */
export function halves(f: Features): [Features, Features] {
  const half = Math.floor(f.n / 2);
  return [
    { n: half, d: f.d, data: f.data.subarray(0, half * f.d) },
    { n: f.n - half, d: f.d, data: f.data.subarray(half * f.d) },
  ];
}
