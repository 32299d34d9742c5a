/**
 * quantile: each unit's threshold t_u, the top-q quantile of its activation
 * over all images and positions (q = 0.01 in the paper), in three streaming
 * passes over the stored activations with memory independent of the number
 * of images (see dissection/quantile.ts for the error bound).
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { batches } from "../data/open.ts";
import { ActivationReader } from "../dissection/activations.ts";
import { TopQuantile } from "../dissection/quantile.ts";

export default defineStage({
  module: import.meta.url,
  name: "quantile",
  description: "per-unit top-q activation thresholds",
  params: z.object({
    q: z.number().gt(0).lt(1).default(0.01),
    bins: z.int().min(16).max(65536).default(1024),
    batch: z.int().min(1).default(64),
  }),
  inputs: ["activations"],
  outputs: ["thresholds"],
  async run(ctx) {
    const acts = new ActivationReader(ctx.inputs.activations.dir);
    const { count, layers } = acts.meta;
    const table = await ctx.table("thresholds", {
      layer: "VARCHAR",
      unit: "INTEGER",
      threshold: "DOUBLE",
      fraction_above: "DOUBLE",
    });
    const bar = ctx.progress("quantile passes", layers.length * 3 * count);
    for (const { layer, units, height, width } of layers) {
      const hw = height * width;
      const tq = new TopQuantile(units, ctx.params.q, ctx.params.bins);
      const pass = (
        observe: (u: number, data: Float32Array, start: number, len: number) => void,
      ) => {
        for (const [start, end] of batches(count, ctx.params.batch)) {
          const data = acts.read(layer, start, end);
          for (let i = 0; i < end - start; i++) {
            for (let u = 0; u < units; u++) observe(u, data, (i * units + u) * hw, hw);
          }
          bar.tick(end - start);
        }
      };
      pass((u, d, s, n) => tq.observeRange(u, d, s, n));
      tq.beginRefine();
      pass((u, d, s, n) => tq.observeRefine(u, d, s, n));
      tq.narrow();
      pass((u, d, s, n) => tq.observeRefine(u, d, s, n));
      tq.thresholds().forEach((t, unit) =>
        table.append({ layer, unit, threshold: t.threshold, fraction_above: t.fractionAbove })
      );
    }
    bar.done();
  },
});
