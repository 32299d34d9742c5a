/**
 * generate: images from a generator (the paper's Progressive GAN; the zoo's
 * church GAN here). Latents are standard normal, seeded, and kept
 * (latents.f32) so that later stages can replay and edit the same samples.
 * Writes the images as a data set without ground truth, plus a sample grid.
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { batches } from "../data/open.ts";
import { readModelBytes } from "../onnx/model.ts";
import { Generator } from "../onnx/generator.ts";
import { WEIGHTS_PARAM, withWeights } from "../onnx/randomize.ts";
import { SplitWriter } from "../data/split_format.ts";
import { squareGrid } from "../dissection/unit_image.ts";
import { normalLatents, rowNorm } from "../stats/normal.ts";
import { planarToRgb } from "../data/image.ts";

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
  tables: {
    samples: { image: "INTEGER", z_norm: "DOUBLE" },
  },
  files: (p) => ({ model: p.model }),
  async run(ctx) {
    const { count, seed, batch } = ctx.params;
    const generator = await Generator.open(
      ctx.params.model,
      withWeights(await readModelBytes(ctx.files.model), ctx.params.weights, ctx.params.model),
      ctx.threads,
    );
    const { latent } = generator;
    using latents = await Deno.open(join(ctx.outDir, "latents.f32"), { write: true, create: true });
    let writer: SplitWriter | null = null;
    const samples = await ctx.table("samples");
    const gridRgb: Uint8Array[] = [];
    let size = 0;
    const bar = ctx.progress("generating", count);
    for (const [start, end] of batches(count, batch)) {
      const n = end - start;
      const zs = normalLatents(seed, start, n, latent);
      await writeAll(latents, new Uint8Array(zs.buffer));
      const { data, size: h } = await generator.generate(zs, n);
      const w = h;
      size = h;
      writer ??= new SplitWriter(ctx.outDir, {
        split: "generated",
        height: h,
        width: w,
        seed,
        labels: ["generated"],
        groundTruth: false,
      });
      for (let i = 0; i < n; i++) {
        const rgb = planarToRgb(data, i * 3 * h * w, h * w);
        writer.append({ width: w, height: h, rgb, label: 0 });
        if (gridRgb.length < ctx.params.grid) gridRgb.push(rgb);
        samples.append({ image: start + i, z_norm: rowNorm(zs, i, latent) });
      }
      bar.tick(n);
    }
    bar.done();
    writer!.finalize();
    await generator.release();
    await ctx.figure("grid.png", () => squareGrid(gridRgb, size));
  },
});
