/**
 * A model run for the activations of chosen layers: the layers exposed as
 * outputs, the input fed from images (preprocessed as the model wants) or,
 * for a generator (an input [batch, latent]), from the latents its samples
 * were made from; each layer checked to be a feature map NxCxHxW.
 */
import * as ort from "onnxruntime-node";
import type { LatentReader } from "../data/latents.ts";
import { imageFeed } from "./classifier.ts";
import type { ImageSet } from "./features.ts";
import {
  createSession,
  featureMapShape,
  inspectBytes,
  type ModelInfo,
  requireInput,
} from "./model.ts";
import { preprocessOf } from "./preprocess.ts";
import { exposeOutputs } from "./surgery.ts";

/** One layer's activations of a batch, [n, units, height, width], and its shape. */
export interface LayerBatch {
  layer: string;
  data: Float32Array;
  units: number;
  height: number;
  width: number;
}

/** A model opened to read the activations of some of its layers. */
export class LayerReader {
  private constructor(
    readonly path: string,
    readonly layers: readonly string[],
    private info: ModelInfo,
    private session: ort.InferenceSession,
  ) {}

  /** Opens the model `bytes` (named `path` in errors) with `layers` exposed. */
  static async open(
    path: string,
    bytes: Uint8Array,
    layers: readonly string[],
    threads: number,
  ): Promise<LayerReader> {
    const exposed = exposeOutputs(bytes, [...layers], path);
    const info = inspectBytes(path, exposed);
    return new LayerReader(path, layers, info, await createSession(path, exposed, threads));
  }

  /** Whether the model takes latents [batch, latent] (a generator) rather than images. */
  get takesLatents(): boolean {
    return this.info.inputs[0].dims.length === 2;
  }

  /** The latent size of a generator's input. */
  get latentSize(): number {
    return Number(this.info.inputs[0].dims[1]);
  }

  /**
   * How many items a source holds and its input for items [start, end): a
   * generator replays latents; any other model gets images, checked against
   * its input size.
   */
  source(from: { latents: () => LatentReader } | { images: () => ImageSet }): {
    count: number;
    feed(start: number, end: number): Record<string, ort.Tensor>;
  } {
    const input = this.info.inputs[0];
    if (this.takesLatents) {
      if (!("latents" in from)) {
        throw new Error(`${this.path} takes latents, and was given images`);
      }
      const latents = from.latents();
      return {
        count: latents.count,
        feed: (s, e) => ({
          [input.name]: new ort.Tensor("float32", latents.read(s, e), [e - s, latents.dim]),
        }),
      };
    }
    if (!("images" in from)) throw new Error(`${this.path} takes images, and was given latents`);
    const data = from.images();
    const { count, height, width } = data.meta;
    const model = {
      input: requireInput(this.info, { dims: [null, 3, height, width] }),
      pre: preprocessOf(this.info),
    };
    return { count, feed: (s, e) => imageFeed(model, data.readImages(s, e), e - s, height, width) };
  }

  /** The layers' activations for one batch of input, in the order of `layers`. */
  async run(feed: Record<string, ort.Tensor>): Promise<LayerBatch[]> {
    const out = await this.session.run(feed, [...this.layers]);
    return this.layers.map((layer) => {
      const t = out[layer];
      return {
        layer,
        data: t.data as Float32Array,
        ...featureMapShape(this.path, layer, t.dims as number[]),
      };
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
