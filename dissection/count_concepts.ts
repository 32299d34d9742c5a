/**
 * The counting pass of dissection: image after image, every unit of every
 * layer against the image's concepts (IoU counts) and its peak (top-k
 * images). Streams both the activations and the label planes, a batch of
 * images at a time.
 */
import { batches } from "../data/open.ts";
import type { ActivationReader } from "./activations.ts";
import { PlaneConcepts, PLANES, planesOf, type Vocabulary } from "./concepts.ts";
import { IouCounter } from "./iou.ts";
import type { SegmentationReader } from "./segmentation.ts";
import { TopK } from "./topk.ts";
import type { Border } from "./upsample.ts";

/** One layer's IoU counter and top-k images after counting. */
export interface LayerCounts {
  counter: IouCounter;
  top: TopK;
}

/** Counts every unit of every layer against every concept, image after image, and keeps each unit's top images. */
export function countConcepts(opts: {
  acts: ActivationReader;
  segmentation: SegmentationReader;
  vocab: Vocabulary;
  /** Each layer's unit thresholds, in the order of the activations' layers. */
  thresholds: Float64Array[];
  /** Edge handling of the upsampling: the one the thresholds were taken with. */
  border: Border;
  /** Each concept's pixels over the data set (the segment stage counts them). */
  conceptArea: ArrayLike<number>;
  topk: number;
  batch: number;
  tick?: (images: number) => void;
}): LayerCounts[] {
  const { acts, segmentation } = opts;
  const { height: H, width: W } = segmentation.meta;
  const layers = acts.meta.layers;
  const out = layers.map(({ units, height, width }, k) => {
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
    return { counter, top: new TopK(units, opts.topk) };
  });
  const pixels = new PlaneConcepts(opts.vocab);
  const batch = Math.min(opts.batch, acts.meta.count);
  const planeBuffer = new Uint8Array(batch * PLANES.length * H * W);
  const actBuffers = layers.map((l) => new Float32Array(batch * l.units * l.height * l.width));
  for (const [start, end] of batches(acts.meta.count, opts.batch)) {
    const planes = segmentation.read(start, end, planeBuffer);
    const batchActs = layers.map((l, k) => acts.read(l.layer, start, end, actBuffers[k]));
    for (let i = 0; i < end - start; i++) {
      pixels.use(planesOf(planes, i, H * W));
      layers.forEach((l, k) => {
        const { counter, top } = out[k];
        counter.addImage(batchActs[k], i * l.units * l.height * l.width, pixels);
        // The counter found each unit's peak on the way.
        for (let u = 0; u < l.units; u++) top.offer(u, start + i, counter.peaks[u]);
      });
    }
    opts.tick?.(end - start);
  }
  return out;
}
