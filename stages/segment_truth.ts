/**
 * segment-truth: the reference segmentation of a data set taken from its own
 * ground truth instead of a segmenter: the object, part and material maps
 * the data source wrote (the synthetic world's render, a Broden import);
 * colors named from the pixels and the half-box parts computed from the
 * object plane as the segment stage does. Writes what the segment stage
 * writes (label planes, planes.json, the concept table and frequencies), so
 * quantile and iou read it unchanged; there is no segmenter to score.
 */
import { z } from "zod";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import { CONCEPTS_TABLE, writeConcepts } from "../dissection/concepts.ts";
import { openSquareImages } from "../dissection/segment_images.ts";
import { joinLabeled, labelImages, truthSource } from "../dissection/concept_source.ts";
import { CONCEPT_FREQUENCY_TABLE } from "../dissection/segmenter_score.ts";

const params = z.object({
  batch: z.int().min(1).max(512).default(32),
});

export default defineStage({
  module: import.meta.url,
  name: "segment-truth",
  description:
    "a data set's ground truth as its segmentation into objects, parts, materials and colors",
  params,
  inputs: ["data"],
  tables: {
    concepts: CONCEPTS_TABLE,
    concept_frequency: CONCEPT_FREQUENCY_TABLE,
  },
  // Batches are items, as in the segment stage: planes concatenate and counts add.
  shard: {
    items(ctx) {
      const data = openData(ctx);
      truthSource(data.meta, `input of ${ctx.node}`); // a data set without ground truth fails here
      return batchCount(data.meta.count, ctx.params.batch);
    },
    async part(ctx, range) {
      const data = openData(ctx);
      const { start, end } = batchSpan(range, ctx.params.batch, data.meta.count);
      const source = truthSource(data.meta, `input of ${ctx.node}`);
      const bar = ctx.progress("labeling from ground truth", end - start);
      await labelImages({
        source,
        data,
        start,
        end,
        batch: ctx.params.batch,
        dir: ctx.outDir,
        tick: (n) => bar.tick(n),
      });
      bar.done();
    },
    async merge(ctx, parts) {
      const { vocab, frequency } = await joinLabeled(ctx.outDir, parts.map((p) => p.dir));
      writeConcepts(await ctx.table("concepts"), vocab);
      const freq = await ctx.table("concept_frequency");
      for (const r of frequency.rows()) freq.append(r);
    },
  },
});

/** The data set whose ground truth to read, refused unless its images are square. */
function openData(ctx: StageContext<z.infer<typeof params>, "data">) {
  return openSquareImages(ctx.inputs.data.dir, ctx.node);
}
