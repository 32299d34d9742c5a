/**
 * The counting pass of dissection: image after image, every unit of every
 * layer against the image's concepts (IoU counts) and its peak (top-k
 * images). Streams both the activations and the label planes, a batch of
 * images at a time.
 */
import { join } from "node:path";
import { batches, openDataset } from "../data/open.ts";
import type { SplitReader } from "../data/split_format.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import type { Activations } from "./activations.ts";
import { openActivations } from "./recompute.ts";
import { readThresholds } from "./quantile.ts";
import { PlaneConcepts, planesOf, type Vocabulary } from "./concepts.ts";
import { IouCounter } from "./iou.ts";
import { checkAligned, conceptAreas, SegmentationReader, vocabularyOf } from "./segmentation.ts";
import { mapsFrom, TopK } from "./topk.ts";
import { DissectError } from "../engine/errors.ts";
import type { Border } from "./upsample.ts";

/** One layer's IoU counter and top-k images after counting. */
export interface LayerCounts {
  counter: IouCounter;
  top: TopK;
}

/** What counting needs: the data, the vocabulary, each layer's thresholds and the concepts' areas. */
export interface CountOptions {
  acts: Activations;
  segmentation: SegmentationReader;
  vocab: Vocabulary;
  /** Each layer's unit thresholds, in the order of the activations' layers. */
  thresholds: Float64Array[];
  /** Edge handling of the upsampling: the one the thresholds were taken with. */
  border: Border;
  /** Each concept's pixels over the data set (the segment stage counts them). */
  conceptArea: ArrayLike<number>;
  topk: number;
  /** Layers whose units' top images keep their maps, to be drawn without running the model again. */
  keepMaps?: ReadonlySet<string>;
  batch: number;
  tick?: (images: number) => void;
}

/** Every layer's counter and top images, before any image is counted. */
export function emptyCounts(opts: CountOptions): LayerCounts[] {
  const { height: H, width: W } = opts.segmentation.meta;
  return opts.acts.meta.layers.map(({ layer, units, height, width }, k) => {
    const counter = new IouCounter(
      units,
      opts.vocab.concepts.length,
      height,
      width,
      H,
      W,
      opts.thresholds[k],
      opts.border,
    );
    counter.conceptArea.set(opts.conceptArea);
    const mapSize = opts.keepMaps?.has(layer) ? height * width : 0;
    return { counter, top: new TopK(units, opts.topk, mapSize) };
  });
}

/**
 * Counts every unit of every layer against every concept, image after image
 * (images [range.start, range.end) of a shard; all by default), and keeps
 * each unit's top images.
 */
export async function countConcepts(
  opts: CountOptions,
  range = { start: 0, end: opts.acts.meta.count },
): Promise<LayerCounts[]> {
  const { acts, segmentation } = opts;
  const { height: H, width: W } = segmentation.meta;
  const layers = acts.meta.layers;
  const out = emptyCounts(opts);
  const pixels = new PlaneConcepts(opts.vocab);
  const batch = Math.max(1, Math.min(opts.batch, range.end - range.start));
  const planeBuffer = segmentation.buffer(batch);
  const actBuffers = layers.map((l) => new Float32Array(batch * l.units * l.height * l.width));
  for (const [start, end] of batches(range.end, opts.batch, range.start)) {
    const planes = segmentation.read(start, end, planeBuffer);
    const batchActs = await acts.read(layers.map((l) => l.layer), start, end, actBuffers);
    for (let i = 0; i < end - start; i++) {
      pixels.use(planesOf(planes, i, H * W));
      layers.forEach((l, k) => {
        const { counter, top } = out[k];
        const hw = l.height * l.width, offset = i * l.units * hw;
        counter.addImage(batchActs[k], offset, pixels);
        // The counter found each unit's peak on the way.
        for (let u = 0; u < l.units; u++) {
          top.offer(u, start + i, counter.peaks[u], batchActs[k], offset + u * hw);
        }
      });
    }
    opts.tick?.(end - start);
  }
  return out;
}

/**
 * Writes a shard's counts: per layer, intersections then unit areas
 * (float64), top images (JSON) and, where kept, their maps (float32).
 */
export async function writeCounts(dir: string, counted: LayerCounts[]): Promise<void> {
  for (const [k, { counter, top }] of counted.entries()) {
    const counts = new Float64Array(counter.intersection.length + counter.units);
    counts.set(counter.intersection);
    counts.set(counter.unitArea, counter.intersection.length);
    await Deno.writeFile(join(dir, `counts-${k}.f64`), new Uint8Array(counts.buffer));
    await Deno.writeTextFile(join(dir, `top-${k}.json`), JSON.stringify(top.best));
    if (top.mapSize) {
      const maps = top.packedMaps();
      await Deno.writeFile(join(dir, `maps-${k}.f32`), new Uint8Array(maps.buffer));
    }
  }
}

/**
 * Adds the counts of shards (in image order) into empty counters: counts are
 * sums of integers, and top images offered shard after shard keep the same
 * images, in the same order, as one pass over all images would.
 */
export async function mergeCounts(opts: CountOptions, dirs: string[]): Promise<LayerCounts[]> {
  const out = emptyCounts(opts);
  for (const dir of dirs) {
    for (const [k, { counter, top }] of out.entries()) {
      const bytes = await Deno.readFile(join(dir, `counts-${k}.f64`));
      const counts = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
      const pairs = counter.units * counter.concepts;
      if (counts.length !== pairs + counter.units) {
        throw new Error(
          `${dir}/counts-${k}.f64 has ${counts.length} counts, expected ${pairs + counter.units}`,
        );
      }
      counter.addCounts(counts.subarray(0, pairs), counts.subarray(pairs));
      const best: { peak: number; image: number }[][] = JSON.parse(
        await Deno.readTextFile(join(dir, `top-${k}.json`)),
      );
      if (top.mapSize) {
        const bytes = await Deno.readFile(join(dir, `maps-${k}.f32`));
        const packed = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        top.merge(best, mapsFrom(packed, best, top.mapSize));
      } else top.merge(best);
    }
  }
  return out;
}

/**
 * Opens what counting reads (activations, segmentation, data, thresholds)
 * and checks they describe the same images; `node` names the stage in errors.
 */
export async function openCounting(
  node: string,
  inputs: Record<"activations" | "thresholds" | "segmentation" | "data", ArtifactRef>,
  params: { topk: number; batch: number; visualize?: readonly string[] },
  threads: number,
): Promise<{ opts: CountOptions; data: SplitReader; close(): Promise<void> }> {
  const data = openDataset(inputs.data.dir, `data input of ${node}`);
  const acts = await openActivations(inputs.activations, inputs.data, threads, node);
  const segmentation = await SegmentationReader.open(inputs.segmentation.dir);
  const seg = segmentation.meta;
  checkAligned(node, acts.meta.count, seg, data.meta);
  const { thresholds, border } = await readThresholds(
    inputs.thresholds,
    acts.meta.layers,
    seg.height,
    seg.width,
    node,
  );
  const opts: CountOptions = {
    acts,
    segmentation,
    vocab: vocabularyOf(seg),
    thresholds,
    border,
    // Concept areas do not depend on the units: the segment stage counted them.
    conceptArea: conceptAreas(node, seg, inputs.segmentation.dir),
    topk: params.topk,
    batch: params.batch,
    keepMaps: visualized(node, params.visualize ?? [], acts.meta.layers.map((l) => l.layer)),
  };
  return {
    opts,
    data,
    close: async () => {
      segmentation.close();
      await acts.close();
    },
  };
}

/**
 * The layers drawn as unit pictures: those `visualize` names, or the last
 * dissected layer when it names none; a name that was not dissected is an error.
 */
export function visualized(
  node: string,
  visualize: readonly string[],
  layers: readonly string[],
): Set<string> {
  for (const layer of visualize) {
    if (!layers.includes(layer)) {
      throw new DissectError(
        "CONFIG",
        `${node}: visualize names layer "${layer}", which is not among the dissected layers ` +
          `(${layers.join(", ")})`,
      );
    }
  }
  return new Set(visualize.length ? visualize : layers.slice(-1));
}
