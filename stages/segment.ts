/**
 * segment: the reference segmentation of a data set, as in the paper: a
 * segmenter model labels objects, parts and materials; colors are named from
 * the pixels; the four half-box parts are computed from each connected
 * component of the predicted objects. Writes the label planes (read in
 * batches by iou) and the concept table. When the data set has ground truth
 * (the synthetic world), it also scores the segmenter against it (claim M2).
 */
import { z } from "zod";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import { readModelBytes } from "../onnx/model.ts";
import { CONCEPTS_TABLE, writeConcepts } from "../dissection/concepts.ts";
import { Segmenter } from "../dissection/segmenter.ts";
import {
  joinSegmentations,
  openSquareImages,
  segmentImages,
  truthAt,
} from "../dissection/segment_images.ts";
import { CONCEPT_FREQUENCY_TABLE, SEGMENTER_SCORES_TABLE } from "../dissection/segmenter_score.ts";

const params = z.object({
  model: z.string(),
  batch: z.int().min(1).max(512).default(32),
  /**
   * The segmentation's side in pixels (images are scaled to it); the data's
   * own by default. Broden's label maps are half its images' side: 112 for
   * 224. IoU is counted at this resolution, so a smaller one counts fewer
   * pixels. The segmenter is scored against ground truth only at the data's size.
   */
  size: z.int().min(8).max(1024).optional(),
});

export default defineStage({
  module: import.meta.url,
  name: "segment",
  description: "segment a data set into objects, parts, materials and colors",
  params,
  inputs: ["data"],
  tables: {
    concepts: CONCEPTS_TABLE,
    concept_frequency: CONCEPT_FREQUENCY_TABLE,
    segmenter_scores: SEGMENTER_SCORES_TABLE,
  },
  files: (p) => ({ model: p.model }),
  // Batches are items, so each batch through the segmenter holds the same images
  // whatever the split (its class maps need not be batch-invariant); planes
  // concatenate and counts add.
  shard: {
    items: (ctx) => batchCount(openData(ctx).meta.count, ctx.params.batch),
    async part(ctx, range) {
      const data = openData(ctx);
      const { start, end } = batchSpan(range, ctx.params.batch, data.meta.count);
      const seg = await Segmenter.open(
        ctx.params.model,
        await readModelBytes(ctx.files.model),
        ctx.params.size ?? data.meta.height,
        ctx.threads,
      );
      const bar = ctx.progress("segmenting", end - start);
      try {
        await segmentImages({
          seg,
          data,
          start,
          end,
          batch: ctx.params.batch,
          dir: ctx.outDir,
          tick: (n) => bar.tick(n),
        });
      } finally {
        await seg.release();
      }
      bar.done();
    },
    async merge(ctx, parts) {
      const data = openData(ctx).meta;
      const { vocab, frequency, score } = await joinSegmentations(
        ctx.outDir,
        parts.map((p) => p.dir),
        truthAt(data, ctx.params.size ?? data.height),
      );
      writeConcepts(await ctx.table("concepts"), vocab);
      const freq = await ctx.table("concept_frequency");
      for (const r of frequency.rows()) freq.append(r);
      const scores = await ctx.table("segmenter_scores");
      for (const r of score.rows()) scores.append(r);
    },
  },
});

/** The data set to segment, refused unless its images are square. */
function openData(ctx: StageContext<z.infer<typeof params>, "data">) {
  return openSquareImages(ctx.inputs.data.dir, ctx.node);
}
