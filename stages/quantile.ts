/**
 * quantile: each unit's threshold t_u, the top-q quantile of its activation
 * over all images and positions (q = 0.01 in the paper), in two or three
 * streaming passes over the stored activations with memory independent of the number
 * of images (see dissection/quantile.ts for the error bound). Sharded, each
 * pass is a round: shards count their images, the counts add. By default the
 * positions are the paper's: the activation bilinearly upsampled to the
 * segmentation's resolution, with the paper's zero padding at the edges.
 */
import { z } from "zod";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { openActivations } from "../dissection/recompute.ts";
import {
  activeLayers,
  countPass,
  loadPassCounts,
  mergePass,
  passesOver,
  QUANTILE_OVER,
  type QuantileState,
  savePassCounts,
  THRESHOLD_DEFINITION_TABLE,
  thresholdDefinition,
  THRESHOLDS_TABLE,
} from "../dissection/quantile.ts";
import { SegmentationReader } from "../dissection/segmentation.ts";
import { BORDERS } from "../dissection/upsample.ts";

const params = z.object({
  q: z.number().gt(0).lt(1).default(0.01),
  /** Positions the quantile is over: the upsampled map (the paper's) or the layer's grid. */
  over: z.enum(QUANTILE_OVER).default("upsampled"),
  /** Edge handling of the upsampling: "zeros" (the paper's code) or "border" (clamped). */
  border: z.enum(BORDERS).default("zeros"),
  batch: z.int().min(1).default(64),
});

export default defineStage({
  module: import.meta.url,
  name: "quantile",
  description: "per-unit top-q activation thresholds",
  params,
  inputs: ["activations", "segmentation", "data"],
  tables: { thresholds: THRESHOLDS_TABLE, threshold_definition: THRESHOLD_DEFINITION_TABLE },
  // Images are items; each pass is a round: shards count it, the merge hands the next pass its state.
  shard: {
    items: async (ctx) => (await definition(ctx)).count,
    rounds: async (ctx) => Math.max(...(await definition(ctx)).passes),
    async part(ctx, range, round) {
      const { acts, def, passes } = await definition(ctx);
      const states = round.state as (QuantileState | null)[] | null;
      const active = activeLayers(passes, round);
      const bar = ctx.progress(
        `quantile pass ${round.index + 1}`,
        active.length * (range.end - range.start),
      );
      const counts = await countPass(
        acts,
        active.map((k) => ({ layer: acts.meta.layers[k].layer, state: states?.[k] ?? null })),
        def,
        range,
        {
          batch: ctx.params.batch,
          name: (layer) => `${ctx.node}: layer "${layer}"`,
          tick: (n) => bar.tick(n),
        },
      );
      for (const [i, k] of active.entries()) await savePassCounts(ctx.outDir, k, counts[i]);
      bar.done();
    },
    async merge(ctx, parts, round) {
      const { acts, def, passes } = await definition(ctx);
      const states = (round.state as (QuantileState | null)[] | null) ?? passes.map(() => null);
      const table = round.index === round.count - 1 ? await ctx.table("thresholds") : null;
      const definitions = table ? await ctx.table("threshold_definition") : null;
      for (const k of activeLayers(passes, round)) {
        const shape = acts.meta.layers[k];
        const counts = await loadPassCounts(parts.map((p) => p.dir), k);
        const merged = mergePass(
          shape,
          def,
          states[k],
          counts,
          `${ctx.node}: layer "${shape.layer}"`,
        );
        if ("state" in merged) states[k] = merged.state;
        else {
          merged.thresholds.forEach((t, unit) =>
            table!.append({
              layer: shape.layer,
              unit,
              threshold: t.threshold,
              fraction_above: t.fractionAbove,
            })
          );
          definitions!.append({ layer: shape.layer, ...def });
        }
      }
      return states;
    },
  },
});

/** The activations (computed again where not stored), the thresholds' definition, the passes. */
async function definition(
  ctx: StageContext<z.infer<typeof params>, "activations" | "segmentation" | "data">,
) {
  const acts = await ctx.keep(
    "activations",
    () => openActivations(ctx.inputs.activations, ctx.inputs.data, ctx.threads, ctx.node),
    (a) => a.close(),
  );
  const { count, layers } = acts.meta;
  const segmentation = await SegmentationReader.open(ctx.inputs.segmentation.dir);
  segmentation.close();
  const def = thresholdDefinition(ctx.node, count, segmentation.meta, ctx.params);
  return { acts, count, def, passes: layers.map((l) => passesOver(l.height, l.width, def)) };
}
