/**
 * Standard normal latents, reproducible by index: latent vector i depends
 * only on (seed, i), so any batch [start, start + n) can be regenerated alone.
 */
import { seededRandom } from "./random.ts";

/** n standard normal vectors of `dim` values, vectors start to start + n of the seed's sequence. */
export function normalLatents(seed: number, start: number, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    // A distinct stream per sample: mix the seed and the sample index.
    const rand = seededRandom(
      Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(start + i + 1, 0x85ebca6b),
    );
    for (let k = 0; k < dim; k += 2) {
      // Box-Muller: two normals from two uniforms.
      const u = 1 - rand(), v = rand();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i * dim + k] = r * Math.cos(2 * Math.PI * v);
      if (k + 1 < dim) out[i * dim + k + 1] = r * Math.sin(2 * Math.PI * v);
    }
  }
  return out;
}

/** The Euclidean norm of row i of a row-major matrix of `dim` columns (a latent's length). */
export function rowNorm(m: Float32Array, i: number, dim: number): number {
  let s = 0;
  for (let k = i * dim; k < (i + 1) * dim; k++) s += m[k] * m[k];
  return Math.sqrt(s);
}
