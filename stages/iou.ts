/**
 * iou: network dissection proper. For every (layer, unit, concept): the
 * intersection of the unit's mask (activation upsampled to the segmentation,
 * above t_u) with the concept's pixels, the two areas and their IoU, as exact
 * counts over all images. Per unit: its best concept. Per unit: the images of
 * highest peak activation, drawn in the paper's style for chosen layers.
 */
import { z } from "zod";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { ActivationReader } from "../dissection/activations.ts";
import {
  countConcepts,
  mergeCounts,
  openCounting,
  writeCounts,
} from "../dissection/count_concepts.ts";
import {
  TOPK_TABLE,
  UNIT_CONCEPT_TABLE,
  UNIT_LABELS_TABLE,
  writeLayerResults,
  writeTopImages,
} from "../dissection/unit_tables.ts";
import { CONCEPTS_TABLE, writeConcepts } from "../dissection/concepts.ts";
import { unitStrip } from "../dissection/unit_image.ts";
import { scaleRgb } from "../data/image.ts";

const params = z.object({
  topk: z.int().min(1).max(50).default(5),
  /** Layers whose units get top-image strips (PNG); the last dissected layer when empty. */
  visualize: z.array(z.string()).default([]),
  batch: z.int().min(1).default(32),
});

export default defineStage({
  module: import.meta.url,
  name: "iou",
  description: "IoU of every unit with every concept; unit labels; top images",
  params,
  inputs: ["activations", "thresholds", "segmentation", "data"],
  tables: {
    concepts: CONCEPTS_TABLE,
    unit_concept: UNIT_CONCEPT_TABLE,
    unit_labels: UNIT_LABELS_TABLE,
    topk: TOPK_TABLE,
  },
  // Images are items: a shard counts its images; counts add and top images merge in image order.
  shard: {
    items: (ctx) => new ActivationReader(ctx.inputs.activations.dir).meta.count,
    async part(ctx, range) {
      const { opts } = await counting(ctx);
      const bar = ctx.progress("counting", range.end - range.start);
      const counted = await countConcepts({ ...opts, tick: (n) => bar.tick(n) }, range);
      await writeCounts(ctx.outDir, counted);
      bar.done();
    },
    async merge(ctx, parts) {
      const { opts, data } = await counting(ctx);
      const counted = await mergeCounts(opts, parts.map((p) => p.dir));
      writeConcepts(await ctx.table("concepts"), opts.vocab);
      const sinks = {
        pairs: await ctx.table("unit_concept"),
        labels: await ctx.table("unit_labels"),
      };
      const topTable = await ctx.table("topk");
      const layers = opts.acts.meta.layers;
      layers.forEach(({ layer }, k) => {
        writeLayerResults(sinks, layer, counted[k].counter, opts.vocab);
        writeTopImages(topTable, layer, counted[k].top);
      });
      for (const [k, shape] of layers.entries()) {
        if (!opts.keepMaps?.has(shape.layer)) continue;
        const { best: top, maps } = counted[k].top;
        const size = opts.segmentation.meta.height;
        const source = {
          layer: shape,
          top,
          thresholds: opts.thresholds[k],
          size,
          border: opts.border,
          // Drawn at the segmentation's size, where the mask was counted.
          read: (i: number, unit: number) => ({
            rgb: scaleRgb(data.readImages(i, i + 1), 1, data.meta.height, size),
            map: maps[unit][top[unit].findIndex((b) => b.image === i)],
          }),
        };
        for (let u = 0; u < shape.units; u++) {
          await ctx.figure(`units/${shape.layer}-${u}.png`, () => unitStrip(source, u));
        }
      }
    },
  },
});

/** What counting reads, opened once for all the parts this process runs. */
function counting(
  ctx: StageContext<z.infer<typeof params>, "activations" | "thresholds" | "segmentation" | "data">,
) {
  const open = () => openCounting(ctx.node, ctx.inputs, ctx.params, ctx.threads);
  return ctx.keep("counting", open, ({ close }) => close());
}
