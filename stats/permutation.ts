/**
 * A permutation test of a difference between two groups (two networks'
 * units): under the null hypothesis the rows are exchangeable, so the rows
 * are pooled and split at random into groups of the original sizes, many
 * times; the observed difference is compared with that null distribution.
 * Unlike a bootstrap, it does not shrink statistics such as a count of
 * distinct labels, which resampling with replacement biases downward.
 */
import { seededRandom } from "./random.ts";

/** The observed difference, its one-sided p-values, and the middle 95% of the null distribution. */
export interface PermutationResult {
  estimate: number;
  /** P(null >= observed), counting the observed split itself (never 0). */
  pAbove: number;
  /** P(null <= observed), likewise. */
  pBelow: number;
  nullLo: number;
  nullHi: number;
  permutations: number;
}

/**
 * stat(group A rows) - stat(group B rows) against random splits of the
 * pooled rows into groups of |A| and |B|, seeded.
 */
export function permutationDifference<R>(
  a: readonly R[],
  b: readonly R[],
  stat: (rows: readonly R[]) => number,
  opts: { permutations?: number; seed?: number } = {},
): PermutationResult {
  if (a.length === 0 || b.length === 0) throw new Error("a permutation test needs two groups");
  const permutations = opts.permutations ?? 1000;
  const rand = seededRandom(opts.seed ?? 1);
  const estimate = stat(a) - stat(b);
  const pool = [...a, ...b];
  const nulls = new Float64Array(permutations);
  let above = 1, below = 1; // the observed split is one of the splits
  for (let p = 0; p < permutations; p++) {
    // Fisher-Yates on the pool; its first |A| rows are group A.
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    const d = stat(pool.slice(0, a.length)) - stat(pool.slice(a.length));
    nulls[p] = d;
    if (d >= estimate) above++;
    if (d <= estimate) below++;
  }
  nulls.sort();
  // The range's ends agree with the p-values: an estimate beyond an end has p below 0.025
  // on that side (the observed split counts as one of permutations + 1).
  const tail = Math.max(1, Math.floor(0.025 * (permutations + 1)));
  return {
    estimate,
    pAbove: above / (permutations + 1),
    pBelow: below / (permutations + 1),
    nullLo: nulls[tail - 1],
    nullHi: nulls[permutations - tail],
    permutations,
  };
}
