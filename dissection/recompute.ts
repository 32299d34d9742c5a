/**
 * Activations that are not stored are computed again. A layer of VGG-16 at
 * 224 px takes megabytes per image, so an activations stage stores its
 * layers only when they fit its disk budget, and otherwise leaves them to be
 * recomputed by the stages that read them, pass after pass, as netdissect
 * does. Both give
 * the same numbers by construction: the recomputing reader opens the model
 * exactly as the activations stage did (the same bytes, the same layers
 * exposed) and runs it on the same batches of the same grid.
 */
import { z } from "zod";
import { DissectError } from "../engine/errors.ts";
import { DigestCache } from "../engine/file_digest.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import { join } from "node:path";
import { formatBytes } from "../engine/bytes.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batches, openDataset } from "../data/open.ts";
import { LatentReader } from "../data/latents.ts";
import { type DataSource, type LayerBatch, LayerReader } from "../onnx/layers.ts";
import { MODEL_FACTS_PARAMS, readModelWithFacts } from "../onnx/model_facts.ts";
import { WEIGHTS_PARAM, withWeights } from "../onnx/randomize.ts";
import {
  ActivationReader,
  type Activations,
  type ActivationsMeta,
  layerFile,
  type LayerShape,
  writeActivationsMeta,
} from "./activations.ts";

/** What a forward pass over a data set for chosen layers is: the activations stage's parameters. */
export const FORWARD_PARAMS = {
  model: z.string(),
  ...MODEL_FACTS_PARAMS,
  layers: z.array(z.string()).min(1),
  /** Images (or latents) per forward pass: the grid every recomputation runs on too. */
  batch: z.int().min(1).max(1024).default(32),
  /** "trained", or { random: seed } for the random-weight control. */
  weights: WEIGHTS_PARAM,
};
const ForwardParams = z.object(FORWARD_PARAMS);
/** A forward pass's parameters, validated. */
export type ForwardParams = z.infer<typeof ForwardParams>;

/** A model opened for the activations of chosen layers, fed from a data set. */
export interface ForwardRun {
  /** Items (images, or a generator's latents) the data set holds. */
  count: number;
  /** Every chosen layer's activations of items [start, end), in the order of the layers. */
  run(start: number, end: number): Promise<LayerBatch[]>;
  release(): Promise<void>;
}

/**
 * Opens the forward pass: the model's bytes with the config's facts and the
 * chosen weights, the chosen layers exposed, inputs from the data set in
 * `dataDir` (latents for a generator, else images). `files` are the stage's
 * file paths by slot (model, labels).
 */
export async function openForward(
  p: ForwardParams,
  files: Record<string, string>,
  dataDir: string,
  threads: number,
  what: string,
): Promise<ForwardRun> {
  const bytes = withWeights(await readModelWithFacts(p, files), p.weights, p.model);
  const model = await LayerReader.open(p.model, bytes, p.layers, threads);
  try {
    const { count, feed } = model.source(forwardSource(dataDir, what));
    return {
      count,
      run: (start, end) => model.run(feed(start, end)),
      release: () => model.release(),
    };
  } catch (e) {
    await model.release();
    throw e;
  }
}

/** What a model reads from a data set folder: a generator its latents, any other model its images. */
export function forwardSource(dataDir: string, what: string): DataSource {
  return {
    latents: (size) => new LatentReader(join(dataDir, "latents.f32"), size),
    images: () => openDataset(dataDir, what),
  };
}

/**
 * Every chosen layer's shape (from one item through the model) and the
 * layers stored under `budget` bytes (`storedLayers`); `over` says, when
 * they are not stored, how much they would take.
 */
export async function planStorage(
  forward: ForwardRun,
  budget: number,
): Promise<{ shapes: LayerShape[]; stored: string[]; over: string | null }> {
  const shapes: LayerShape[] = (await forward.run(0, 1)).map(({ data: _, ...s }) => s);
  const stored = storedLayers(shapes, forward.count, budget);
  const over = stored.length < shapes.length
    ? `the activations would take ${formatBytes(activationBytes(shapes, forward.count))}, ` +
      `over the disk budget of ${formatBytes(budget)}: not stored, the stages reading them ` +
      `compute them again`
    : null;
  return { shapes, stored, over };
}

/**
 * Runs items [start, end) through the model in batches of the grid from
 * `start` and writes the `stored` layers' files and activations.json into
 * `dir`; with nothing to store, runs nothing.
 */
export async function writeForward(opts: {
  forward: ForwardRun;
  shapes: readonly LayerShape[];
  stored: readonly string[];
  start: number;
  end: number;
  batch: number;
  dir: string;
  tick?: (items: number) => void;
}): Promise<void> {
  const { forward, shapes, stored, start, end, dir } = opts;
  const kept = shapes.map((s, k) => ({ s, k })).filter(({ s }) => stored.includes(s.layer));
  const files = await Promise.all(
    kept.map(({ s }) => Deno.open(join(dir, layerFile(s.layer)), { write: true, create: true })),
  );
  try {
    for (const [s, e] of kept.length ? batches(end, opts.batch, start) : []) {
      const out = await forward.run(s, e);
      for (const [i, { k }] of kept.entries()) {
        const { data } = out[k];
        await writeAll(files[i], new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      opts.tick?.(e - s);
    }
  } finally {
    for (const f of files) f.close();
  }
  await writeActivationsMeta(dir, { count: end - start, layers: [...shapes], stored: [...stored] });
}

/** Bytes the activations of `layers` take for `count` images, as float32. */
export function activationBytes(layers: readonly LayerShape[], count: number): number {
  return layers.reduce((n, l) => n + count * l.units * l.height * l.width * 4, 0);
}

/**
 * The layers an activations stage stores under `budget` bytes: all of them
 * when they fit, else none. Computing any one layer again runs the forward
 * pass, whichever layers it serves, so storing some would add the stage's
 * own forward pass to the readers' and save none of theirs.
 */
export function storedLayers(
  layers: readonly LayerShape[],
  count: number,
  budget: number,
): string[] {
  return activationBytes(layers, count) <= budget ? layers.map((l) => l.layer) : [];
}

/**
 * Reads stored layers from their files and computes the others again, a
 * batch of the forward grid at a time: images [g * batch, (g + 1) * batch),
 * as the activations stage ran them. The last batch computed is kept, so
 * reading images in order computes each batch once.
 */
export class RecomputingActivations implements Activations {
  readonly #stored: ActivationReader;
  readonly #storedSet: Set<string>;
  readonly #forward: ForwardRun;
  readonly #grid: number;
  #cached: { index: number; layers: LayerBatch[] } | null = null;
  /** Forward passes run so far, in batches (tests and benchmarks count them). */
  batchesRun = 0;

  constructor(stored: ActivationReader, forward: ForwardRun, grid: number) {
    this.#stored = stored;
    this.#storedSet = new Set(stored.meta.stored ?? stored.meta.layers.map((l) => l.layer));
    this.#forward = forward;
    this.#grid = grid;
  }

  get meta(): ActivationsMeta {
    return this.#stored.meta;
  }

  shape(layer: string): LayerShape {
    return this.#stored.shape(layer);
  }

  async read(
    layers: readonly string[],
    start: number,
    end: number,
    into?: readonly (Float32Array | undefined)[],
  ): Promise<Float32Array[]> {
    const g0 = Math.floor(start / this.#grid);
    // Within one batch of the grid, computed layers are views of the batch, not copies.
    const oneBatch = end <= (g0 + 1) * this.#grid;
    const out = layers.map((layer, k) => {
      if (this.#storedSet.has(layer)) return this.#stored.readLayer(layer, start, end, into?.[k]);
      if (oneBatch) return new Float32Array(0); // set below
      const s = this.shape(layer);
      const length = (end - start) * s.units * s.height * s.width;
      const buffer = into?.[k];
      return buffer && buffer.length >= length
        ? buffer.subarray(0, length)
        : new Float32Array(length);
    });
    const missing = layers.map((l, k) => ({ l, k })).filter(({ l }) => !this.#storedSet.has(l));
    if (!missing.length) return out;
    const order = this.meta.layers.map((l) => l.layer);
    if (oneBatch) {
      const computed = await this.#batch(g0);
      for (const { l, k } of missing) {
        const s = this.shape(l), per = s.units * s.height * s.width;
        const from = (start - g0 * this.#grid) * per;
        out[k] = computed[order.indexOf(l)].data.subarray(from, from + (end - start) * per);
      }
      return out;
    }
    for (let g = g0; g * this.#grid < end; g++) {
      const computed = await this.#batch(g);
      const from = Math.max(start, g * this.#grid), to = Math.min(end, (g + 1) * this.#grid);
      for (const { l, k } of missing) {
        const s = this.shape(l);
        const per = s.units * s.height * s.width;
        const data = computed[order.indexOf(l)].data;
        out[k].set(
          data.subarray((from - g * this.#grid) * per, (to - g * this.#grid) * per),
          (from - start) * per,
        );
      }
    }
    return out;
  }

  async #batch(index: number): Promise<LayerBatch[]> {
    if (this.#cached?.index !== index) {
      const start = index * this.#grid, end = Math.min(this.meta.count, start + this.#grid);
      const layers = await this.#forward.run(start, end);
      this.batchesRun++;
      layers.forEach((b, k) => {
        const s = this.meta.layers[k];
        if (b.units !== s.units || b.height !== s.height || b.width !== s.width) {
          throw new DissectError(
            "DATA",
            `layer "${s.layer}" computed again is ${b.units}x${b.height}x${b.width}, ` +
              `but was ${s.units}x${s.height}x${s.width} when its activations were taken`,
          );
        }
      });
      this.#cached = { index, layers };
    }
    return this.#cached.layers;
  }

  async close(): Promise<void> {
    this.#cached = null;
    await this.#forward.release();
  }
}

/**
 * The activations of an activations stage's artifact, as a stage reading
 * it gets them: its stored layers, and the others computed again from the
 * model and data set the stage ran (recorded in its manifest). `data` is the
 * reading stage's own input: it must be the data set the activations were
 * taken of, and the model file must be the one they were taken with.
 */
export async function openActivations(
  acts: ArtifactRef,
  data: ArtifactRef | undefined,
  threads: number,
  node: string,
): Promise<Activations> {
  const stored = new ActivationReader(acts.dir);
  const { meta } = stored;
  if (!meta.stored || meta.stored.length === meta.layers.length) return stored;
  const parts = acts.manifest.keyParts;
  if (!data || parts.inputs.data !== data.key) {
    throw new DissectError(
      "DATA",
      `${node}: layers of ${acts.node} were not stored and must be computed again from the ` +
        `data set they were taken of (${acts.manifest.inputNodes.data}), ` +
        `but ${node} reads ${data ? data.node : "no data set"}`,
    );
  }
  const files = acts.manifest.filePaths;
  const digests = await DigestCache.open(null);
  for (const [slot, path] of Object.entries(files)) {
    if (await digests.digest(path, `${node} (recomputing ${acts.node})`) !== parts.files[slot]) {
      throw new DissectError(
        "INPUT_CHANGED",
        `${path} changed since ${acts.node} ran, and ${node} must compute its layers again from it`,
        "run again: the activations are taken anew from the file as it is now",
      );
    }
  }
  const p = ForwardParams.parse(parts.params);
  const forward = await openForward(p, files, data.dir, threads, `data input of ${node}`);
  return new RecomputingActivations(stored, forward, p.batch);
}
