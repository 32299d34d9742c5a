/**
 * iou: network dissection proper. For every (layer, unit, concept): the
 * intersection of the unit's mask (activation upsampled to the segmentation,
 * above t_u) with the concept's pixels, the two areas and their IoU, as exact
 * counts over all images. Per unit: its best concept. Per unit: the images of
 * highest peak activation, drawn in the paper's style for chosen layers.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { openDataset } from "../data/open.ts";
import { ActivationReader } from "../dissection/activations.ts";
import { countConcepts } from "../dissection/count_concepts.ts";
import {
  TOPK_TABLE,
  UNIT_CONCEPT_TABLE,
  UNIT_LABELS_TABLE,
  writeLayerResults,
  writeTopImages,
} from "../dissection/unit_tables.ts";
import { CONCEPTS_TABLE, writeConcepts } from "../dissection/concepts.ts";
import {
  checkAligned,
  conceptAreas,
  SegmentationReader,
  vocabularyOf,
} from "../dissection/segmentation.ts";
import { unitStrip } from "../dissection/unit_image.ts";
import { readThresholds } from "../dissection/quantile.ts";

export default defineStage({
  module: import.meta.url,
  name: "iou",
  description: "IoU of every unit with every concept; unit labels; top images",
  params: z.object({
    topk: z.int().min(1).max(50).default(5),
    /** Layers whose units get top-image strips (PNG); the last dissected layer when empty. */
    visualize: z.array(z.string()).default([]),
    batch: z.int().min(1).default(32),
  }),
  inputs: ["activations", "thresholds", "segmentation", "data"],
  tables: {
    concepts: CONCEPTS_TABLE,
    unit_concept: UNIT_CONCEPT_TABLE,
    unit_labels: UNIT_LABELS_TABLE,
    topk: TOPK_TABLE,
  },
  async run(ctx) {
    const acts = new ActivationReader(ctx.inputs.activations.dir);
    const data = openDataset(ctx.inputs.data.dir, `data input of ${ctx.node}`);
    const segmentation = await SegmentationReader.open(ctx.inputs.segmentation.dir);
    const seg = segmentation.meta;
    const { count } = acts.meta;
    checkAligned(ctx.node, count, seg, data.meta);
    const H = seg.height, W = seg.width;
    const vocab = vocabularyOf(seg);
    writeConcepts(await ctx.table("concepts"), vocab);

    const layers = acts.meta.layers;
    const { thresholds, border } = await readThresholds(
      ctx.inputs.thresholds,
      layers,
      H,
      W,
      ctx.node,
    );
    // Concept areas do not depend on the units: the segment stage counted them.
    const conceptArea = conceptAreas(ctx.node, seg, ctx.inputs.segmentation.dir);
    const bar = ctx.progress("counting", count);
    let counted;
    try {
      counted = countConcepts({
        acts,
        segmentation,
        vocab,
        thresholds,
        border,
        conceptArea,
        topk: ctx.params.topk,
        batch: ctx.params.batch,
        tick: (n) => bar.tick(n),
      });
    } finally {
      segmentation.close();
    }
    bar.done();
    const sinks = {
      pairs: await ctx.table("unit_concept"),
      labels: await ctx.table("unit_labels"),
    };
    const topTable = await ctx.table("topk");
    layers.forEach(({ layer }, k) => {
      writeLayerResults(sinks, layer, counted[k].counter, vocab);
      writeTopImages(topTable, layer, counted[k].top);
    });

    const visualize = new Set(
      ctx.params.visualize.length ? ctx.params.visualize : [layers.at(-1)!.layer],
    );
    for (const [k, shape] of layers.entries()) {
      if (!visualize.has(shape.layer)) continue;
      const source = {
        layer: shape,
        top: counted[k].top.best,
        thresholds: thresholds[k],
        size: H,
        border,
        read: (i: number) => ({
          rgb: data.readImages(i, i + 1),
          acts: acts.read(shape.layer, i, i + 1),
        }),
      };
      for (let u = 0; u < shape.units; u++) {
        await ctx.figure(`units/${shape.layer}-${u}.png`, () => unitStrip(source, u));
      }
    }
  },
});
