import { assert, assertEquals } from "../tests/assert.ts";
import { seededRandom } from "../stats/random.ts";
import { carliniWagner, type MarginGradient, marginSeed, targetMargin } from "./carlini_wagner.ts";

/**
 * A linear classifier Z = W x, where the smallest L2 change that makes class
 * t beat class j is known in closed form: margin / |w_t - w_j|. With pixels
 * kept away from 0 and 1 the box does not bind, so C&W should come close.
 */
function linearModel(K: number, D: number, seed: number) {
  const rand = seededRandom(seed);
  const W = Float64Array.from({ length: K * D }, () => rand() * 2 - 1);
  const logits = (x: Float32Array, n: number) => {
    const z = new Float32Array(n * K);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += W[k * D + d] * x[i * D + d];
        z[i * K + k] = s;
      }
    }
    return z;
  };
  const model: MarginGradient = (x, n, term) => {
    const z = logits(x, n);
    const seed = marginSeed(z, K, term);
    const grad = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        const s = seed[i * K + k];
        if (s) { for (let d = 0; d < D; d++) grad[i * D + d] += s * W[k * D + d]; }
      }
    }
    return Promise.resolve({ logits: z, grad });
  };
  /** The smallest L2 change giving t the lead over every other class (a lower bound). */
  const bound = (x: Float32Array, i: number, t: number) => {
    const z = logits(x.subarray(i * D, (i + 1) * D), 1);
    let worst = 0;
    for (let j = 0; j < K; j++) {
      if (j === t) continue;
      let norm = 0;
      for (let d = 0; d < D; d++) norm += (W[t * D + d] - W[j * D + d]) ** 2;
      worst = Math.max(worst, Math.max(0, z[j] - z[t]) / Math.sqrt(norm));
    }
    return worst;
  };
  return { model, logits, bound };
}

Deno.test("C&W reaches every target of a linear model at close to the least L2 possible", async () => {
  const K = 5, D = 48, n = 6;
  const { model, logits, bound } = linearModel(K, D, 3);
  const rand = seededRandom(9);
  const x0 = Float32Array.from({ length: n * D }, () => 0.4 + 0.2 * rand());
  const before = logits(x0, n);
  // Each image's target: the class it is furthest from.
  const targets = Array.from({ length: n }, (_, i) => {
    let t = 0;
    for (let k = 1; k < K; k++) if (before[i * K + k] < before[i * K + t]) t = k;
    return t;
  });
  const r = await carliniWagner(model, x0, n, K, targets, {
    steps: 200,
    searchSteps: 6,
    confidence: 0,
    learningRate: 0.01,
    initialC: 1,
  });
  const after = logits(r.adversarial, n);
  for (let i = 0; i < n; i++) {
    assert(r.success[i], `image ${i} not attacked`);
    assert(targetMargin(after, i, targets[i], K) > 0, `image ${i}: target does not win`);
    const least = bound(x0, i, targets[i]);
    assert(r.l2[i] >= least * 0.999, `image ${i}: L2 ${r.l2[i]} below the bound ${least}`);
    assert(r.l2[i] <= least * 1.5, `image ${i}: L2 ${r.l2[i]} far above the bound ${least}`);
    for (const v of r.adversarial.subarray(i * D, (i + 1) * D)) assert(v >= 0 && v <= 1);
  }
});

Deno.test("C&W reports failure, not a fake success, when the budget cannot reach the target", async () => {
  const K = 3, D = 8, n = 2;
  const { model } = linearModel(K, D, 4);
  const x0 = new Float32Array(n * D).fill(0.5);
  const r = await carliniWagner(model, x0, n, K, [0, 1], {
    steps: 1,
    searchSteps: 1,
    confidence: 50,
    learningRate: 1e-6,
    initialC: 1e-6,
  });
  assertEquals(r.success, [false, false]);
  assert(r.l2.every(Number.isNaN));
  assertEquals(Array.from(r.adversarial), Array.from(x0));
});
