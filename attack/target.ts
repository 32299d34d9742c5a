/**
 * The attack's sessions on one classifier, and its targets. `AttackedModel`
 * runs the classifier forward (logits and one layer's activations) and its
 * margin gradient (the in-graph C&W seed, see margin_head.ts) on planar
 * pixels in [0, 1], the space the attack works in; it preprocesses them as
 * the model wants and turns the gradient back into pixel space.
 */
import * as ort from "onnxruntime-node";
import { createSession } from "../onnx/model.ts";
import { exposeOutputs } from "../onnx/surgery.ts";
import { vjpModel } from "../onnx/gradient.ts";
import {
  gradientToPixels,
  PLAIN,
  planarToInput,
  type Preprocess,
  toTensorData,
} from "../onnx/preprocess.ts";
import { batches } from "../data/open.ts";
import type { OpenedClassifier } from "../onnx/classifier.ts";
import { argmax } from "../stats/argmax.ts";
import { peakOf } from "../dissection/topk.ts";
import type { MarginGradient } from "./carlini_wagner.ts";
import { marginFeeds, marginHead } from "./margin_head.ts";
import { DissectError } from "../engine/errors.ts";
import { seededRandom } from "../stats/random.ts";
import type { Chosen } from "./tally.ts";

/** What opening the attacked model needs: its graph, names, sizes and preprocessing. */
export interface AttackedModelSpec {
  path: string;
  bytes: Uint8Array;
  input: string;
  output: string;
  /** The layer whose activations are read before and after. */
  layer: string;
  classes: number;
  height: number;
  width: number;
  pre: Preprocess;
  threads: number;
}

/** A classifier opened for attacks: forward with one layer, and the margin gradient. */
export class AttackedModel {
  private constructor(
    readonly spec: AttackedModelSpec,
    readonly forward: ort.InferenceSession,
    readonly backward: ort.InferenceSession,
    readonly grad: string,
    readonly logits: string,
  ) {}

  /** A classifier opened for its data (onnx/classifier.ts), attacked at `layer`. */
  static async ofClassifier(
    path: string,
    opened: OpenedClassifier,
    data: { height: number; width: number },
    layer: string,
    threads: number,
  ): Promise<AttackedModel> {
    return await AttackedModel.open({
      path,
      bytes: opened.bytes,
      input: opened.input.name,
      output: opened.output,
      layer,
      classes: opened.classes.length,
      height: data.height,
      width: data.width,
      pre: opened.pre,
      threads,
    });
  }

  static async open(spec: AttackedModelSpec): Promise<AttackedModel> {
    const { path, bytes, input, output, layer, classes, threads } = spec;
    const forward = await createSession(path, exposeOutputs(bytes, [layer], path), threads);
    const vjp = vjpModel(bytes, { input, output, head: marginHead(classes) }, path);
    const backward = await createSession(`${path} (input gradient)`, vjp.bytes, threads);
    return new AttackedModel(spec, forward, backward, vjp.grad, vjp.output);
  }

  #feed(pixels: Float32Array, n: number): ort.Tensor {
    const { height, width, pre } = this.spec;
    return new ort.Tensor("float32", planarToInput(pixels, height, width, pre), [
      n,
      3,
      height,
      width,
    ]);
  }

  /** Logits and the layer's activations of n images of planar pixels. */
  async run(pixels: Float32Array, n: number): Promise<{ logits: Float32Array; layer: ort.Tensor }> {
    const { input, output, layer } = this.spec;
    const out = await this.forward.run({ [input]: this.#feed(pixels, n) }, [output, layer]);
    return { logits: out[output].data as Float32Array, layer: out[layer] };
  }

  /** The C&W margin's gradient in pixel space, with the logits of the same evaluation. */
  readonly marginGradient: MarginGradient = async (pixels, n, term) => {
    const { height, width, pre, input } = this.spec;
    const out = await this.backward.run({
      [input]: this.#feed(pixels, n),
      ...marginFeeds(term, n),
    });
    const grad = out[this.grad].data as Float32Array;
    gradientToPixels(grad, height, width, pre);
    return { logits: out[this.logits].data as Float32Array, grad };
  };

  async release(): Promise<void> {
    await this.forward.release();
    await this.backward.release();
  }
}

/**
 * A target class for each source class: uniform among the other classes,
 * from a seeded stream, so a run's targets are a function of its seed.
 */
export function drawTargets(
  source: readonly number[],
  classes: number,
  rand: () => number,
): number[] {
  return source.map((s) => {
    const r = Math.floor(rand() * (classes - 1));
    return r >= s ? r + 1 : r;
  });
}

/** What choosing images to attack reads: batches of RGB bytes with data labels. */
export interface LabeledImages {
  count: number;
  read(start: number, end: number): { images: Uint8Array; labels: ArrayLike<number> };
}

/**
 * The first `limit` images the model classifies correctly (data labels mapped
 * to its classes by `toModel`), in data order, with their classes.
 */
export async function firstCorrect(
  model: AttackedModel,
  data: LabeledImages,
  toModel: readonly number[],
  limit: number,
): Promise<{ images: number[]; source: number[] }> {
  const { height, width, classes: K } = model.spec;
  const images: number[] = [], source: number[] = [];
  for (const [start, end] of batches(data.count, 64)) {
    const batch = data.read(start, end), n = end - start;
    const { logits } = await model.run(toTensorData(batch.images, n, height, width, PLAIN), n);
    for (let i = 0; i < n && images.length < limit; i++) {
      const label = toModel[batch.labels[i]];
      if (argmax(logits, i * K, K) !== label) continue;
      images.push(start + i);
      source.push(label);
    }
    if (images.length >= limit) break;
  }
  return { images, source };
}

/**
 * A campaign's attacks: the first `images` images the model gets right, each
 * toward a target drawn from `seed`. A function of its arguments, so every
 * shard of a campaign computes the same list. None right is an error naming
 * `node`: there would be nothing to attack.
 */
export async function chooseAttacks(
  model: AttackedModel,
  data: LabeledImages,
  toModel: readonly number[],
  opts: { images: number; seed: number },
  node: string,
): Promise<Chosen> {
  const { images, source } = await firstCorrect(model, data, toModel, opts.images);
  if (!images.length) {
    throw new DissectError("DATA", `${node}: the classifier gets no held-out image right`);
  }
  return {
    images,
    source,
    target: drawTargets(source, model.spec.classes, seededRandom(opts.seed)),
  };
}

/** Image i's logits before and after its attack, one row per class and version. */
export function logitRows(
  image: number,
  before: Float32Array,
  after: Float32Array,
  i: number,
  classes: number,
): { image: number; version: string; label: number; logit: number }[] {
  const rows = [];
  for (let k = 0; k < classes; k++) {
    rows.push({ image, version: "original", label: k, logit: before[i * classes + k] });
    rows.push({ image, version: "adversarial", label: k, logit: after[i * classes + k] });
  }
  return rows;
}

/** Every unit's peak activation on image i of a batch ([n, units, h, w]) before and after. */
export function peakChanges(
  before: Float32Array,
  after: Float32Array,
  i: number,
  dims: readonly number[],
): { unit: number; before: number; after: number }[] {
  const [, units, h, w] = dims;
  return Array.from({ length: units }, (_, u) => {
    const at = (i * units + u) * h * w;
    return { unit: u, before: peakOf(before, at, h * w), after: peakOf(after, at, h * w) };
  });
}
