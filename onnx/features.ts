/**
 * A model's features at one layer for a whole image set: the layer exposed
 * as an output, the images fed as the model wants them, the features kept
 * as rows of one matrix.
 */
import type { InferenceSession } from "onnxruntime-node";
import { batches } from "../data/open.ts";
import { scaleRgb } from "../data/image.ts";
import type { Features } from "../stats/kid.ts";
import { imageFeed } from "./classifier.ts";
import { createSession, inspectBytes, type ModelInfo, requireInput } from "./model.ts";
import { preprocessOf } from "./preprocess.ts";
import { exposeOutputs } from "./surgery.ts";

/** Images to embed: their count and size, read in batches as RGB bytes. */
export interface ImageSet {
  meta: { count: number; height: number; width: number };
  readImages(start: number, end: number): Uint8Array;
}

/** A model opened to read one layer's features of image sets. */
export class FeatureExtractor {
  private constructor(
    readonly path: string,
    readonly layer: string,
    private info: ModelInfo,
    private session: InferenceSession,
  ) {}

  /** Opens the model `bytes` (named `path` in errors) with `layer` exposed. */
  static async open(
    path: string,
    bytes: Uint8Array,
    layer: string,
    threads: number,
  ): Promise<FeatureExtractor> {
    const exposed = exposeOutputs(bytes, [layer], path);
    const info = inspectBytes(path, exposed);
    return new FeatureExtractor(path, layer, info, await createSession(path, exposed, threads));
  }

  /** Every image's features at the layer (flattened), `batch` images per run. */
  async embed(data: ImageSet, batch: number, tick?: (n: number) => void): Promise<Features> {
    const { count, height, width } = data.meta;
    // A network of one input size (VGG-16's 224) sees square images of another size scaled to
    // it, as the feature networks of KID and FID see theirs.
    const [, , h0, w0] = this.info.inputs[0]?.dims ?? [];
    const side = typeof h0 === "number" && h0 === w0 && height === width ? h0 : height;
    const [h, w] = side === height ? [height, width] : [side, side];
    const model = {
      input: requireInput(this.info, { dims: [null, 3, h, w] }),
      pre: preprocessOf(this.info),
    };
    let feats: Float32Array | null = null;
    let d = 0;
    for (const [start, end] of batches(count, batch)) {
      const n = end - start;
      const rgb = scaleRgb(data.readImages(start, end), n, height, side);
      const feed = imageFeed(model, rgb, n, h, w);
      const f = (await this.session.run(feed, [this.layer]))[this.layer].data as Float32Array;
      d = f.length / n;
      feats ??= new Float32Array(count * d);
      feats.set(f, start * d);
      tick?.(n);
    }
    return { n: count, d, data: feats ?? new Float32Array(0) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
