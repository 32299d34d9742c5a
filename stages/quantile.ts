/**
 * quantile: each unit's threshold t_u, the top-q quantile of its activation
 * over all images and positions (q = 0.01 in the paper), in two streaming
 * passes over the activations with memory independent of the number of
 * images (see dissection/quantile.ts for the error bound). Sharded, each
 * pass is a round: shards count their images, the counts add. By default the
 * positions are the paper's: the activation bilinearly upsampled to the
 * segmentation's resolution, with the paper's zero padding at the edges.
 */
import { z } from "zod";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { openActivations } from "../dissection/recompute.ts";
import {
  countPass,
  loadPassCounts,
  mergePass,
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
    items: async (ctx) => (await definition(ctx)).acts.meta.count,
    rounds: () => 2,
    async part(ctx, range, round) {
      const { acts, def } = await definition(ctx);
      const states = round.state as (QuantileState | null)[] | null;
      const layers = acts.meta.layers;
      const bar = ctx.progress(
        `quantile pass ${round.index + 1}`,
        layers.length * (range.end - range.start),
      );
      const counts = await countPass(
        acts,
        layers.map(({ layer }, k) => ({ layer, state: states?.[k] ?? null })),
        def,
        range,
        {
          batch: ctx.params.batch,
          name: (layer) => `${ctx.node}: layer "${layer}"`,
          tick: (n) => bar.tick(n),
        },
      );
      for (const [k, c] of counts.entries()) await savePassCounts(ctx.outDir, k, c);
      bar.done();
    },
    async merge(ctx, parts, round) {
      const { acts, def } = await definition(ctx);
      const layers = acts.meta.layers;
      const states = (round.state as (QuantileState | null)[] | null) ?? layers.map(() => null);
      const table = round.index === round.count - 1 ? await ctx.table("thresholds") : null;
      const definitions = table ? await ctx.table("threshold_definition") : null;
      for (const [k, shape] of layers.entries()) {
        const counts = await loadPassCounts(parts.map((p) => p.dir), k);
        const merged = mergePass(
          shape,
          def,
          acts.meta.count,
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

/** The activations (computed again where not stored) and the thresholds' definition. */
async function definition(
  ctx: StageContext<z.infer<typeof params>, "activations" | "segmentation" | "data">,
) {
  const acts = await ctx.keep(
    "activations",
    () => openActivations(ctx.inputs.activations, ctx.inputs.data, ctx.threads, ctx.node),
    (a) => a.close(),
  );
  const segmentation = await SegmentationReader.open(ctx.inputs.segmentation.dir);
  segmentation.close();
  return {
    acts,
    def: thresholdDefinition(ctx.node, acts.meta.count, segmentation.meta, ctx.params),
  };
}
