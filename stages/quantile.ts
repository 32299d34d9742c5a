/**
 * quantile: each unit's threshold t_u, the top-q quantile of its activation
 * over all images and positions (q = 0.01 in the paper), in two streaming
 * passes over the stored activations with memory independent of the number
 * of images (see dissection/quantile.ts for the error bound).
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { ActivationReader } from "../dissection/activations.ts";
import { layerThresholds } from "../dissection/quantile.ts";

export default defineStage({
  module: import.meta.url,
  name: "quantile",
  description: "per-unit top-q activation thresholds",
  params: z.object({
    q: z.number().gt(0).lt(1).default(0.01),
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
    const bar = ctx.progress("quantile passes", layers.length * 2 * count);
    for (const { layer } of layers) {
      const thresholds = layerThresholds(acts, layer, ctx.params.q, {
        batch: ctx.params.batch,
        name: `${ctx.node}: layer "${layer}"`,
        tick: (n) => bar.tick(n),
      });
      thresholds.forEach((t, unit) =>
        table.append({ layer, unit, threshold: t.threshold, fraction_above: t.fractionAbove })
      );
    }
    bar.done();
  },
});
