/**
 * Editing a generator between two layers, as the paper does to remove or
 * insert objects: the generator is split at the layer; the head runs once
 * per batch of latents; the tail renders any number of edited copies of the
 * layer's activations. Images come back as interleaved RGB bytes.
 */
import * as ort from "onnxruntime-node";
import { createSession, inspectBytes, readModelBytes } from "../onnx/model.ts";
import { LatentReader } from "../data/latents.ts";
import { batches } from "../data/open.ts";
import { splitAt } from "../onnx/surgery.ts";
import { Segmenter } from "./segmenter.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import { planarToRgb } from "../data/image.ts";
import type { ClassMap } from "../data/class_map.ts";

/** A batch of a generator's activations at the edited layer. */
export interface LayerBatch {
  /** Activations of the layer, [n, units, h, w]. */
  data: Float32Array;
  n: number;
  units: number;
  h: number;
  w: number;
  /** Other tensors crossing the cut (skip connections), passed on unchanged. */
  rest: ort.Tensor[];
}

/** A generator cut at a layer: the head computes the layer once, the tail renders edited copies of it. */
export class GeneratorEditor {
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
    threads: number,
  ) {
    const split = splitAt(bytes, layer, path);
    return new GeneratorEditor(
      await createSession(`${path} (head to ${layer})`, split.head, threads),
      await createSession(`${path} (tail from ${layer})`, split.tail, threads),
      split.boundary,
      output,
    );
  }

  async layer(input: string, latents: Float32Array, n: number): Promise<LayerBatch> {
    const dim = latents.length / n;
    const out = await this.head.run(
      { [input]: new ort.Tensor("float32", latents, [n, dim]) },
      this.boundary,
    );
    const t = out[this.boundary[0]];
    const [, units, h, w] = t.dims as number[];
    return {
      data: t.data as Float32Array,
      n,
      units,
      h,
      w,
      rest: this.boundary.slice(1).map((b) => out[b]),
    };
  }

  /** Render edited copies: `copies` activation tensors shaped like `base` (stacked). */
  async render(
    base: LayerBatch,
    edited: Float32Array,
    copies: number,
  ): Promise<{ rgb: Uint8Array; size: number }> {
    const feeds: Record<string, ort.Tensor> = {
      [this.boundary[0]]: new ort.Tensor("float32", edited, [
        copies * base.n,
        base.units,
        base.h,
        base.w,
      ]),
    };
    base.rest.forEach((t, k) => {
      const src = t.data as Float32Array;
      const rep = new Float32Array(src.length * copies);
      for (let c = 0; c < copies; c++) rep.set(src, c * src.length);
      feeds[this.boundary[k + 1]] = new ort.Tensor("float32", rep, [
        copies * base.n,
        ...(t.dims as number[]).slice(1),
      ]);
    });
    const img = (await this.tail.run(feeds, [this.output]))[this.output];
    const [N, , H, W] = img.dims as number[];
    const data = img.data as Float32Array;
    const px = H * W;
    const rgb = new Uint8Array(N * px * 3);
    for (let i = 0; i < N; i++) planarToRgb(data, i * 3 * px, px, rgb, i * px * 3);
    return { rgb, size: H };
  }

  async release(): Promise<void> {
    await this.head.release();
    await this.tail.release();
  }
}

/**
 * What an editing stage needs of a generator: the editor split at `layer`,
 * the latents of its samples, and the name of its latent input.
 */
export async function openGeneratorEdit(
  path: string,
  file: string,
  latentsFile: string,
  layer: string,
  threads: number,
): Promise<{ editor: GeneratorEditor; latents: LatentReader; input: string }> {
  const bytes = await readModelBytes(file);
  const info = inspectBytes(path, bytes);
  const input = info.inputs[0];
  return {
    editor: await GeneratorEditor.open(path, bytes, layer, info.outputs[0].name, threads),
    latents: new LatentReader(latentsFile, Number(input.dims[1])),
    input: input.name,
  };
}

/** Which generator, layer, samples and segmenter an editing run uses. */
export interface EditSource {
  generator: string;
  generatorFile: string;
  latents: string;
  layer: string;
  segmenter: string;
  segmenterFile: string;
  /** At most this many samples (fewer when there are fewer latents). */
  samples: number;
  batch: number;
  /** Threads for its sessions. */
  threads: number;
}

/** An editing stage's source, from the parameters and inputs such stages share. */
export function editSource(
  p: { generator: string; segmenter: string; layer: string; samples: number; batch: number },
  ctx: { files: Record<string, string>; inputs: { gan: ArtifactRef }; threads: number },
): EditSource {
  return {
    generator: p.generator,
    generatorFile: ctx.files.generator,
    latents: ctx.inputs.gan.file("latents.f32"),
    layer: p.layer,
    segmenter: p.segmenter,
    segmenterFile: ctx.files.segmenter,
    samples: p.samples,
    batch: p.batch,
    threads: ctx.threads,
  };
}

/** How many samples an editing run has: `samples`, or fewer when there are fewer latents. */
export async function editSamples(
  src: Pick<EditSource, "generator" | "generatorFile" | "latents" | "samples">,
): Promise<number> {
  const input = inspectBytes(src.generator, await readModelBytes(src.generatorFile)).inputs[0];
  return Math.min(src.samples, new LatentReader(src.latents, Number(input.dims[1])).count);
}

/** An editing run: its source, and what each copy does to the layer. */
export interface EditRun extends EditSource {
  /** Samples [start, end) of the run alone (a shard's, batched from its start); all when absent. */
  range?: { start: number; end: number };
  /** How many copies of each batch's layer to render. */
  copies(base: LayerBatch): number;
  /** Edit copy `copy` in place; it starts as the unedited activations, [n, units, h, w]. */
  edit(layer: Float32Array, copy: number, base: LayerBatch): void;
}

/** One batch of samples rendered as edited copies of its layer. */
export interface EditedBatch {
  /** The batch's first sample. */
  start: number;
  /** Samples this run renders: its range's (a shard's), or all. */
  count: number;
  /** The unedited layer of the batch's samples. */
  base: LayerBatch;
  /** Interleaved RGB bytes, size x size each; copy c of sample i is image c * n + i. */
  rgb: Uint8Array;
  size: number;
  /** The segmenter, opened for images of this size. */
  segmenter: Segmenter;
}

/**
 * Streams a generator's samples through an edit, a batch at a time: the head
 * runs once per batch and the tail renders all of its copies at once. The
 * sessions are released when the loop ends, however it ends.
 */
export async function* editedBatches(run: EditRun): AsyncGenerator<EditedBatch> {
  const { editor, latents, input } = await openGeneratorEdit(
    run.generator,
    run.generatorFile,
    run.latents,
    run.layer,
    run.threads,
  );
  let segmenter: Segmenter | null = null;
  try {
    const segmenterBytes = await readModelBytes(run.segmenterFile);
    const samples = Math.min(run.samples, latents.count);
    const from = run.range?.start ?? 0, to = Math.min(run.range?.end ?? samples, samples);
    const count = Math.max(0, to - from);
    for (const [start, end] of batches(to, run.batch, from)) {
      const base = await editor.layer(input, latents.read(start, end), end - start);
      const copies = run.copies(base), size = base.data.length;
      const stacked = new Float32Array(copies * size);
      for (let c = 0; c < copies; c++) {
        const layer = stacked.subarray(c * size, (c + 1) * size);
        layer.set(base.data);
        run.edit(layer, c, base);
      }
      const rendered = await editor.render(base, stacked, copies);
      segmenter ??= await Segmenter.open(
        run.segmenter,
        segmenterBytes,
        rendered.size,
        run.threads,
      );
      yield { start, count, base, ...rendered, segmenter };
    }
  } finally {
    await editor.release();
    await segmenter?.release();
  }
}

/**
 * The door-insertion edit of copy c of a batch's layer: copy 0 is left as it
 * is; copy 1 + y * w + x has each chosen unit set to its value at location
 * (y, x) of every image.
 */
export function forceAtLocation(
  layer: Float32Array,
  copy: number,
  base: { n: number; units: number; h: number; w: number },
  units: readonly { unit: number; value: number }[],
): void {
  if (copy === 0) return;
  const { n, h, w } = base, at = copy - 1;
  for (let i = 0; i < n; i++) {
    for (const u of units) layer[(i * base.units + u.unit) * h * w + at] = u.value;
  }
}

/** The output pixel (row, column) at the center of layer cell (y, x) of an h x w layer. */
export function cellCenter(
  y: number,
  x: number,
  h: number,
  w: number,
  size: number,
): [number, number] {
  return [
    Math.min(size - 1, Math.floor((y + 0.5) * size / h)),
    Math.min(size - 1, Math.floor((x + 0.5) * size / w)),
  ];
}

/** How many of `pixels` pixels of map `image` of a batch of class maps are class `target`. */
export function countClass(
  maps: ClassMap,
  image: number,
  pixels: number,
  target: number,
): number {
  let c = 0;
  for (let q = image * pixels; q < (image + 1) * pixels; q++) if (maps[q] === target) c++;
  return c;
}
