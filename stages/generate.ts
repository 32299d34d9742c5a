/**
 * generate: images from a generator (the paper's Progressive GAN; the zoo's
 * church GAN here). Latents are standard normal, seeded, and kept
 * (latents.f32) so that later stages can replay and edit the same samples.
 * Writes the images as a data set without ground truth, plus a sample grid.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { concatTables } from "../engine/shard.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import { readModelBytes } from "../onnx/model.ts";
import { Generator } from "../onnx/generator.ts";
import { WEIGHTS_PARAM, withWeights } from "../onnx/randomize.ts";
import { firstImages, generateSamples, joinSamples, SAMPLES_TABLE } from "../data/generated.ts";
import { squareGrid } from "../dissection/unit_image.ts";

export default defineStage({
  module: import.meta.url,
  name: "generate",
  description: "sample images from a generator with seeded latents",
  params: z.object({
    model: z.string(),
    count: z.int().min(1),
    seed: z.int().min(0).default(1),
    batch: z.int().min(1).max(512).default(32),
    /** Samples in the grid image (a square number is best). */
    grid: z.int().min(1).max(256).default(36),
    /** "trained", or { random: seed } for the random-weight control. */
    weights: WEIGHTS_PARAM,
  }),
  inputs: [],
  tables: { samples: SAMPLES_TABLE },
  files: (p) => ({ model: p.model }),
  // Batches are items, so each batch through the generator holds the same latents
  // whatever the split (its images need not be batch-invariant); samples
  // concatenate, and the grid is drawn from the joined images.
  shard: {
    items: (ctx) => batchCount(ctx.params.count, ctx.params.batch),
    async part(ctx, range) {
      const { count, seed, batch } = ctx.params;
      const { start, end } = batchSpan(range, batch, count);
      const generator = await Generator.open(
        ctx.params.model,
        withWeights(await readModelBytes(ctx.files.model), ctx.params.weights, ctx.params.model),
        ctx.threads,
      );
      const samples = await ctx.table("samples");
      const bar = ctx.progress("generating", end - start);
      try {
        await generateSamples({
          generator,
          seed,
          start,
          end,
          batch,
          dir: ctx.outDir,
          sample: (row) => samples.append(row),
          tick: (n) => bar.tick(n),
        });
      } finally {
        await generator.release();
      }
      bar.done();
    },
    async merge(ctx, parts) {
      const meta = await joinSamples(ctx.outDir, parts.map((p) => p.dir));
      await concatTables(await ctx.table("samples"), SAMPLES_TABLE, parts, "samples");
      const grid = firstImages(ctx.outDir, ctx.params.grid);
      await ctx.figure("grid.png", () => squareGrid(grid, meta.height));
    },
  },
});
