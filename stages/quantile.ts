/**
 * quantile: each unit's threshold t_u, the top-q quantile of its activation
 * over all images and positions (q = 0.01 in the paper), in two or three
 * streaming passes over the stored activations with memory independent of the number
 * of images (see dissection/quantile.ts for the error bound). By default the
 * positions are the paper's: the activation bilinearly upsampled to the
 * segmentation's resolution, with the paper's zero padding at the edges.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { ActivationReader } from "../dissection/activations.ts";
import {
  layerThresholds,
  passesOver,
  QUANTILE_OVER,
  THRESHOLD_DEFINITION_TABLE,
  THRESHOLDS_TABLE,
} from "../dissection/quantile.ts";
import { SegmentationReader } from "../dissection/segmentation.ts";
import { BORDERS } from "../dissection/upsample.ts";

export default defineStage({
  module: import.meta.url,
  name: "quantile",
  description: "per-unit top-q activation thresholds",
  params: z.object({
    q: z.number().gt(0).lt(1).default(0.01),
    /** Positions the quantile is over: the upsampled map (the paper's) or the layer's grid. */
    over: z.enum(QUANTILE_OVER).default("upsampled"),
    /** Edge handling of the upsampling: "zeros" (the paper's code) or "border" (clamped). */
    border: z.enum(BORDERS).default("zeros"),
    batch: z.int().min(1).default(64),
  }),
  inputs: ["activations", "segmentation"],
  tables: { thresholds: THRESHOLDS_TABLE, threshold_definition: THRESHOLD_DEFINITION_TABLE },
  async run(ctx) {
    const acts = new ActivationReader(ctx.inputs.activations.dir);
    const { count, layers } = acts.meta;
    // The upsampled positions are the segmentation's: the pixels IoU counts.
    const segmentation = await SegmentationReader.open(ctx.inputs.segmentation.dir);
    const { height, width, count: segCount } = segmentation.meta;
    segmentation.close();
    if (segCount !== count) {
      throw new DissectError(
        "DATA",
        `${ctx.node}: activations (${count} images) and segmentation (${segCount}) must describe the same images`,
      );
    }
    const { q, over, border } = ctx.params;
    const table = await ctx.table("thresholds");
    const definition = await ctx.table("threshold_definition");
    const def = { q, over, border, height, width };
    const passes = layers.map((l) => passesOver(l.height, l.width, def));
    const bar = ctx.progress("quantile passes", passes.reduce((a, b) => a + b, 0) * count);
    for (const { layer } of layers) {
      const thresholds = layerThresholds(acts, layer, def, {
        batch: ctx.params.batch,
        name: `${ctx.node}: layer "${layer}"`,
        tick: (n) => bar.tick(n),
      });
      thresholds.forEach((t, unit) =>
        table.append({ layer, unit, threshold: t.threshold, fraction_above: t.fractionAbove })
      );
      definition.append({ layer, ...def });
    }
    bar.done();
  },
});
