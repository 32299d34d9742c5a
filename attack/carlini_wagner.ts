/**
 * The Carlini-Wagner L2 targeted attack (Carlini & Wagner 2017), on a batch
 * of images with pixels in [0, 1]. The adversarial image is x = (tanh(w) + 1) / 2,
 * so it stays a valid image whatever w is; Adam minimises
 *   |x - x0|^2 + c * max(max_{i != t} Z_i - Z_t, -confidence)
 * over w, and a binary search per image looks for the smallest c that still
 * succeeds. The model is anything that returns the logits and the gradient of
 * that margin term at the same pixels.
 */

/** What the margin term of each image of a batch is taken toward. */
export interface MarginTerm {
  targets: ArrayLike<number>;
  c: Float64Array;
  confidence: number;
}

/**
 * Logits [n, K] at pixels [n, D], and d/d pixels of
 * sum_i c_i * max(max_{j != t_i} Z_ij - Z_it, -confidence) [n, D], both from
 * the same evaluation (`marginHead` builds it into a VJP graph).
 */
export type MarginGradient = (
  pixels: Float32Array,
  n: number,
  term: MarginTerm,
) => Promise<{ logits: Float32Array; grad: Float32Array }>;

/** The C&W attack's settings: steps, binary-search steps, confidence, learning rate, initial c. */
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

/** A batch of attacks' outcomes: per image success, L2 distance and smallest c, the adversarial images. */
export interface AttackResult {
  success: boolean[];
  /** L2 distance of the best adversarial image (NaN where none succeeded). */
  l2: Float64Array;
  /** The smallest c that succeeded (NaN where none did). */
  c: Float64Array;
  /** The best adversarial images (the originals where none succeeded). */
  adversarial: Float32Array;
  /** Calls to the model: one per Adam step. */
  evaluations: number;
}

const BIG = 1e10;

/** The Carlini-Wagner L2 targeted attack on one image, through a margin-gradient function. */
export async function carliniWagner(
  model: MarginGradient,
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
  for (let search = 0; search < opts.searchSteps; search++) {
    const w = w0.slice();
    const adam = new Adam(w.length, opts.learningRate);
    const succeeded = new Uint8Array(n);
    let lastLoss = Infinity;
    for (let step = 0; step < opts.steps; step++) {
      for (let k = 0; k < w.length; k++) x[k] = (Math.tanh(w[k]) + 1) / 2;
      const out = await model(x, n, { targets, c, confidence: opts.confidence });
      evaluations++;
      const logits = out.logits;

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
 * The seed [n, K] whose vector-Jacobian product is the margin term's gradient:
 * c * d/dZ max(max_{j != t} Z_j - Z_t, -confidence), that is +c on the
 * strongest other class (the first, where several tie), -c on the target,
 * and zero once the target leads by the confidence.
 */
export function marginSeed(logits: Float32Array, K: number, term: MarginTerm): Float32Array {
  const n = term.c.length;
  const seed = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const t = term.targets[i];
    if (targetMargin(logits, i, t, K) >= term.confidence) continue;
    let best = -1;
    for (let j = 0; j < K; j++) {
      if (j !== t && (best < 0 || logits[i * K + j] > logits[i * K + best])) best = j;
    }
    seed[i * K + best] = term.c[i];
    seed[i * K + t] = -term.c[i];
  }
  return seed;
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
