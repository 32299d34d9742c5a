/**
 * The Carlini-Wagner L2 targeted attack (Carlini & Wagner 2017), on a batch
 * of images with pixels in [0, 1]. The adversarial image is x = (tanh(w) + 1) / 2,
 * so it stays a valid image whatever w is; Adam minimises
 *   |x - x0|^2 + c * max(max_{i != t} Z_i - Z_t, -confidence)
 * over w, and a binary search per image looks for the smallest c that still
 * succeeds. The model is anything that returns logits and the gradient of
 * seed . logits with respect to the pixels.
 */

/** Logits [n, K] at pixels [n, D], and d(seed . logits)/d pixels [n, D] for a seed [n, K]. */
export type Differentiable = (
  pixels: Float32Array,
  seed: Float32Array,
  n: number,
) => Promise<{ logits: Float32Array; grad: Float32Array }>;

export interface AttackOptions {
  /** Adam steps per value of c. */
  steps: number;
  /** Values of c tried per image (binary search). */
  searchSteps: number;
  /** Margin by which the target logit must win (0: just win). */
  confidence: number;
  learningRate: number;
  initialC: number;
}

export interface AttackResult {
  success: boolean[];
  /** L2 distance of the best adversarial image (NaN where none succeeded). */
  l2: Float64Array;
  /** The smallest c that succeeded (NaN where none did). */
  c: Float64Array;
  /** The best adversarial images (the originals where none succeeded). */
  adversarial: Float32Array;
  /** Calls to the model (a partial batch counts as one). */
  evaluations: number;
}

const BIG = 1e10;

export async function carliniWagner(
  model: Differentiable,
  x0: Float32Array,
  n: number,
  classes: number,
  targets: ArrayLike<number>,
  opts: AttackOptions,
): Promise<AttackResult> {
  const D = x0.length / n;
  const w0 = x0.map((v) => Math.atanh(Math.min(Math.max(2 * v - 1, -0.999999), 0.999999)));
  const lower = new Float64Array(n), upper = new Float64Array(n).fill(BIG);
  const c = new Float64Array(n).fill(opts.initialC);
  const bestL2 = new Float64Array(n).fill(Infinity), bestC = new Float64Array(n).fill(NaN);
  const adversarial = x0.slice();
  let evaluations = 0;

  const x = new Float32Array(x0.length);
  const seed = new Float32Array(n * classes);
  for (let search = 0; search < opts.searchSteps; search++) {
    const w = w0.slice();
    const adam = new Adam(w.length, opts.learningRate);
    const succeeded = new Uint8Array(n);
    let lastLoss = Infinity;
    let logits: Float32Array | null = null;
    for (let step = 0; step < opts.steps; step++) {
      for (let k = 0; k < w.length; k++) x[k] = (Math.tanh(w[k]) + 1) / 2;
      // The seed picks the strongest other class from the latest logits. If
      // the logits at x say otherwise for an image, its gradient is wrong:
      // where the margin is now reached the true gradient is zero (set here);
      // where the strongest other class changed, the gradient is taken again.
      const out = await model(x, seedFor(logits, targets, c, classes, opts.confidence, seed), n);
      evaluations++;
      const fresh = seedFor(
        out.logits,
        targets,
        c,
        classes,
        opts.confidence,
        new Float32Array(seed.length),
      );
      const again: number[] = [];
      for (let i = 0; i < n; i++) {
        const row = (s: Float32Array) => s.subarray(i * classes, (i + 1) * classes);
        if (row(fresh).every((v, k) => v === row(seed)[k])) continue;
        if (row(fresh).every((v) => v === 0)) out.grad.fill(0, i * D, (i + 1) * D);
        else again.push(i);
      }
      if (again.length) {
        // Only those images again, as a smaller batch.
        const sub = new Float32Array(again.length * D),
          subSeed = new Float32Array(again.length * classes);
        again.forEach((i, j) => {
          sub.set(x.subarray(i * D, (i + 1) * D), j * D);
          subSeed.set(fresh.subarray(i * classes, (i + 1) * classes), j * classes);
        });
        const redo = await model(sub, subSeed, again.length);
        evaluations++;
        again.forEach((i, j) => out.grad.set(redo.grad.subarray(j * D, (j + 1) * D), i * D));
      }
      logits = out.logits;

      let loss = 0;
      for (let i = 0; i < n; i++) {
        const margin = targetMargin(logits, i, targets[i], classes);
        let d2 = 0;
        for (let k = i * D; k < (i + 1) * D; k++) d2 += (x[k] - x0[k]) ** 2;
        loss += d2 + c[i] * Math.max(-margin, -opts.confidence);
        if (margin > 0 && margin >= opts.confidence) {
          succeeded[i] = 1;
          if (d2 < bestL2[i]) {
            bestL2[i] = d2;
            adversarial.set(x.subarray(i * D, (i + 1) * D), i * D);
          }
        }
      }
      // d loss / d w, through x = (tanh(w) + 1) / 2.
      const g = out.grad;
      for (let k = 0; k < w.length; k++) {
        const t = 2 * x[k] - 1;
        g[k] = (2 * (x[k] - x0[k]) + g[k]) * (1 - t * t) / 2;
      }
      adam.step(w, g);
      // Stop early once the loss stops falling (checked every tenth of the steps).
      const every = Math.max(1, Math.floor(opts.steps / 10));
      if (step % every === every - 1) {
        if (loss > lastLoss * 0.9999) break;
        lastLoss = loss;
      }
    }
    for (let i = 0; i < n; i++) {
      if (succeeded[i]) {
        if (!(c[i] >= bestC[i])) bestC[i] = c[i];
        upper[i] = Math.min(upper[i], c[i]);
        c[i] = (lower[i] + upper[i]) / 2;
      } else {
        lower[i] = Math.max(lower[i], c[i]);
        c[i] = upper[i] < BIG ? (lower[i] + upper[i]) / 2 : c[i] * 10;
      }
    }
  }
  const success = Array.from(bestL2, Number.isFinite);
  return {
    success,
    l2: bestL2.map((v) => (Number.isFinite(v) ? Math.sqrt(v) : NaN)),
    c: bestC,
    adversarial,
    evaluations,
  };
}

/** Z_t minus the largest other logit of image i. */
export function targetMargin(logits: Float32Array, i: number, t: number, K: number): number {
  let other = -Infinity;
  for (let j = 0; j < K; j++) if (j !== t) other = Math.max(other, logits[i * K + j]);
  return logits[i * K + t] - other;
}

/**
 * The seed c * d/dZ max(max_{j != t} Z_j - Z_t, -confidence): +c on the
 * strongest other class, -c on the target, zero once the margin is reached.
 */
function seedFor(
  logits: Float32Array | null,
  targets: ArrayLike<number>,
  c: Float64Array,
  K: number,
  confidence: number,
  out: Float32Array,
): Float32Array {
  out.fill(0);
  const n = c.length;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    // No logits yet (first step): a zero seed; the caller recomputes with the logits it gets.
    if (!logits || targetMargin(logits, i, t, K) >= confidence) continue;
    let best = -1;
    for (let j = 0; j < K; j++) {
      if (j !== t && (best < 0 || logits[i * K + j] > logits[i * K + best])) best = j;
    }
    out[i * K + best] = c[i];
    out[i * K + t] = -c[i];
  }
  return out;
}

/** Adam (Kingma & Ba 2015) on a flat parameter vector. */
class Adam {
  #m: Float64Array;
  #v: Float64Array;
  #t = 0;
  constructor(size: number, readonly lr: number, readonly b1 = 0.9, readonly b2 = 0.999) {
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
  }

  step(params: Float32Array | Float64Array, grad: Float32Array): void {
    this.#t++;
    const c1 = 1 - this.b1 ** this.#t, c2 = 1 - this.b2 ** this.#t;
    for (let k = 0; k < params.length; k++) {
      this.#m[k] = this.b1 * this.#m[k] + (1 - this.b1) * grad[k];
      this.#v[k] = this.b2 * this.#v[k] + (1 - this.b2) * grad[k] * grad[k];
      params[k] -= (this.lr * (this.#m[k] / c1)) / (Math.sqrt(this.#v[k] / c2) + 1e-8);
    }
  }
}
