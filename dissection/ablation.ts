/**
 * Removing units without retraining: the model is split at the layer; the
 * head runs once per image batch, and the tail runs on copies of the layer's
 * activations with chosen units forced to zero, many settings in one tail
 * run. Any other tensors crossing the cut (skip connections) are copied as is.
 */
import * as ort from "onnxruntime-node";
import { createSession } from "../onnx/model.ts";
import { splitAt } from "../onnx/surgery.ts";

export class Ablator {
  private constructor(
    readonly head: ort.InferenceSession,
    readonly tail: ort.InferenceSession,
    readonly boundary: string[],
    readonly output: string,
  ) {}

  static async open(
    path: string,
    bytes: Uint8Array,
    layer: string,
    output: string,
  ): Promise<Ablator> {
    const split = splitAt(bytes, layer, path);
    return new Ablator(
      await createSession(`${path} (head to ${layer})`, split.head),
      await createSession(`${path} (tail from ${layer})`, split.tail),
      split.boundary,
      output,
    );
  }

  /** The boundary tensors of a batch of inputs. */
  async forwardHead(feeds: Record<string, ort.Tensor>): Promise<ort.Tensor[]> {
    const out = await this.head.run(feeds, this.boundary);
    return this.boundary.map((b) => out[b]);
  }

  /**
   * The predicted class of every image under every setting: settings[s] lists
   * the units to zero. Returns predictions[s][i].
   */
  async predict(boundary: ort.Tensor[], settings: Uint8Array[]): Promise<Int32Array[]> {
    const layer = boundary[0];
    const [n, units] = layer.dims as number[];
    const per = (layer.data as Float32Array).length / n;
    const hw = per / units;
    const S = settings.length;
    const feeds: Record<string, ort.Tensor> = {};
    boundary.forEach((t, b) => {
      const src = t.data as Float32Array;
      const out = new Float32Array(src.length * S);
      for (let s = 0; s < S; s++) out.set(src, s * src.length);
      if (b === 0) {
        for (let s = 0; s < S; s++) {
          const off = s * src.length, zero = settings[s];
          for (let i = 0; i < n; i++) {
            for (let u = 0; u < units; u++) {
              if (zero[u]) out.fill(0, off + i * per + u * hw, off + i * per + (u + 1) * hw);
            }
          }
        }
      }
      feeds[this.boundary[b]] = new ort.Tensor("float32", out, [
        S * n,
        ...(t.dims as number[]).slice(1),
      ]);
    });
    const logits = (await this.tail.run(feeds, [this.output]))[this.output].data as Float32Array;
    const k = logits.length / (S * n);
    return Array.from({ length: S }, (_, s) => {
      const pred = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const o = (s * n + i) * k;
        let best = 0;
        for (let c = 1; c < k; c++) if (logits[o + c] > logits[o + best]) best = c;
        pred[i] = best;
      }
      return pred;
    });
  }

  async release(): Promise<void> {
    await this.head.release();
    await this.tail.release();
  }
}

/**
 * Balanced two-way accuracy of class c (that class against all others), as
 * the paper defines single-class accuracy: the mean of the true positive rate
 * and the true negative rate.
 */
export function balancedAccuracy(tp: number, fp: number, positives: number, total: number): number {
  const negatives = total - positives;
  return 0.5 * (tp / positives + (negatives - fp) / negatives);
}
