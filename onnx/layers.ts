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

/** Where a model's inputs come from: a generator's latents (of a given size) or a set of images. */
export interface DataSource {
  latents?(size: number): LatentReader;
  images?(): ImageSet;
}

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
    return LayerReader.takesLatents(this.info);
  }

  /** Whether a model of this description takes latents (a generator): no session needed to tell. */
  static takesLatents(info: ModelInfo): boolean {
    return info.inputs[0].dims.length === 2;
  }

  /** The latent size of a generator's input. */
  get latentSize(): number {
    return Number(this.info.inputs[0].dims[1]);
  }

  /** How many items a model of this description reads from a source: latents for a generator, else images. */
  static count(info: ModelInfo, from: DataSource): number {
    return LayerReader.takesLatents(info)
      ? LayerReader.#latents(from, Number(info.inputs[0].dims[1]), "a model").count
      : LayerReader.#images(from, "a model").meta.count;
  }

  static #latents(from: DataSource, size: number, what: string): LatentReader {
    if (!from.latents) throw new Error(`${what} takes latents, and was given images`);
    return from.latents(size);
  }

  static #images(from: DataSource, what: string): ImageSet {
    if (!from.images) throw new Error(`${what} takes images, and was given latents`);
    return from.images();
  }

  /**
   * How many items a source holds and its input for items [start, end): a
   * generator replays latents; any other model gets images, checked against
   * its input size.
   */
  source(from: DataSource): {
    count: number;
    feed(start: number, end: number): Record<string, ort.Tensor>;
  } {
    const input = this.info.inputs[0];
    if (this.takesLatents) {
      const latents = LayerReader.#latents(from, this.latentSize, this.path);
      return {
        count: latents.count,
        feed: (s, e) => ({
          [input.name]: new ort.Tensor("float32", latents.read(s, e), [e - s, latents.dim]),
        }),
      };
    }
    const data = LayerReader.#images(from, this.path);
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
