/**
 * generate: images from a generator (the paper's Progressive GAN; the zoo's
 * church GAN here). Latents are standard normal, seeded, and kept
 * (latents.f32) so that later stages can replay and edit the same samples.
 * Writes the images as a data set without ground truth, plus a sample grid.
 */
import { z } from "zod";
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { DissectError } from "../engine/errors.ts";
import { batches } from "../data/open.ts";
import { createSession, inspectBytes, readModelBytes } from "../onnx/model.ts";
import { SplitWriter } from "../data/split_format.ts";
import { squareGrid } from "../dissection/unit_image.ts";
import { normalLatents } from "../stats/normal.ts";
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
  }),
  inputs: [],
  tables: {
    samples: { image: "INTEGER", z_norm: "DOUBLE" },
  },
  files: (p) => ({ model: p.model }),
  async run(ctx) {
    const { count, seed, batch } = ctx.params;
    const bytes = await readModelBytes(ctx.files.model);
    const info = inspectBytes(ctx.params.model, bytes);
    const input = info.inputs[0];
    const latent = input.dims[1];
    if (input.dims.length !== 2 || typeof latent !== "number") {
      throw new DissectError(
        "MODEL",
        `${ctx.params.model}: a generator takes one input [batch, latent]; "${input.name}" is ${
          input.dims.join("x")
        }`,
      );
    }
    const output = info.outputs[0].name;
    const session = await createSession(ctx.params.model, bytes, ctx.threads);
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
      const result = await session.run({
        [input.name]: new ort.Tensor("float32", zs, [n, latent]),
      });
      const t = result[output];
      const [, c, h, w] = t.dims as number[];
      if (t.dims.length !== 4 || c !== 3 || h !== w) {
        throw new DissectError(
          "MODEL",
          `${ctx.params.model}: output "${output}" is ${t.dims.join("x")}, expected Nx3xHxH RGB`,
        );
      }
      size = h;
      writer ??= new SplitWriter(ctx.outDir, {
        split: "generated",
        height: h,
        width: w,
        seed,
        labels: ["generated"],
        groundTruth: false,
      });
      const data = t.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const rgb = planarToRgb(data, i * 3 * h * w, h * w);
        writer.append({ width: w, height: h, rgb, label: 0 });
        if (gridRgb.length < ctx.params.grid) gridRgb.push(rgb);
        let norm = 0;
        for (let k = 0; k < latent; k++) norm += zs[i * latent + k] ** 2;
        samples.append({ image: start + i, z_norm: Math.sqrt(norm) });
      }
      bar.tick(n);
    }
    bar.done();
    writer!.finalize();
    await session.release();
    await Deno.writeFile(join(ctx.outDir, "grid.png"), squareGrid(gridRgb, size));
  },
});
