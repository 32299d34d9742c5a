/**
 * Kernel Inception Distance, with a classifier's features in place of
 * Inception's: the unbiased squared MMD between two sets of feature vectors
 * under the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3. Zero in
 * expectation when both sets come from one distribution.
 */
import { bootstrap, type Interval } from "./bootstrap.ts";

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

/** KID between x and y with a 95% bootstrap interval (both sets resampled). */
export function kid(
  x: Features,
  y: Features,
  opts: { resamples?: number; seed?: number } = {},
): Interval {
  if (x.d !== y.d) throw new Error(`feature sizes differ: ${x.d} and ${y.d}`);
  const kxx = kernelMatrix(x, x), kyy = kernelMatrix(y, y), kxy = kernelMatrix(x, y);
  const m = x.n, n = y.n;
  // Resample the concatenation: weights of the first m rows go to x, the rest to y.
  return bootstrap(
    m + n,
    (w) => mmd2(kxx, kyy, kxy, m, n, w.subarray(0, m), w.subarray(m)),
    { resamples: opts.resamples ?? 200, seed: opts.seed ?? 1 },
  );
}
