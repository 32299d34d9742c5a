/**
 * cw-attack: the Carlini-Wagner L2 targeted attack on held-out images the
 * classifier gets right, each toward a target class drawn at random (seeded)
 * among the others, and how the attack moves the units of one layer: the
 * peak activation of every unit before and after. Gradients come from the
 * classifier's VJP graph (onnx/gradient.ts), run by onnxruntime.
 */
import { z } from "zod";
import { checkModel, factsFiles, MODEL_FACTS_PARAMS } from "../onnx/model_facts.ts";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { concatTables } from "../engine/shard.ts";
import {
  attackImages,
  ATTACKS_TABLE,
  LOGITS_TABLE,
  PEAKS_TABLE,
  writeAttacked,
} from "../attack/campaign.ts";
import { attackFigure } from "../attack/figure.ts";
import { openCampaign, openRankedClassifier } from "../attack/setup.ts";
import { batchSlice, CampaignTally } from "../attack/tally.ts";
import { batchCount } from "../data/open.ts";

const params = z.object({
  model: z.string(),
  ...MODEL_FACTS_PARAMS,
  layer: z.string().min(1),
  /** Correctly classified held-out images to attack (the first ones, in order). */
  images: z.int().min(1).default(200),
  /** Far fewer steps than Carlini and Wagner's thousands, hence a larger learning rate. */
  steps: z.int().min(1).default(50),
  searchSteps: z.int().min(1).default(4),
  confidence: z.number().min(0).default(0),
  learningRate: z.number().positive().default(0.05),
  initialC: z.number().positive().default(1),
  batch: z.int().min(1).default(25),
  /** Seeds the choice of target classes. */
  seed: z.int().default(1),
  /** Attacks drawn in the figure, with this many top units of each class. */
  examples: z.int().min(0).default(4),
  figureUnits: z.int().min(1).default(4),
});

export default defineStage({
  module: import.meta.url,
  name: "cw-attack",
  description: "Carlini-Wagner L2 targeted attacks, and the change they make to each unit's peak",
  params,
  inputs: ["data", "ranking"],
  tables: { attacks: ATTACKS_TABLE, logits: LOGITS_TABLE, peaks: PEAKS_TABLE },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, [p.layer]),
  // Batches of attacks are items, not images: C&W optimizes a batch at once, so each image
  // must be attacked beside the same others however the campaign is split.
  shard: {
    async items(ctx) {
      const { chosen } = await campaign(ctx);
      if (chosen.images.length < ctx.params.images) {
        ctx.log(
          `only ${chosen.images.length} held-out images are classified correctly; attacking those`,
        );
      }
      return batchCount(chosen.images.length, ctx.params.batch);
    },
    async part(ctx, range) {
      const p = ctx.params;
      const { data, classes, model, chosen } = await campaign(ctx);
      const mine = batchSlice(chosen, range, p.batch);
      const sinks = {
        attacks: await ctx.table("attacks"),
        logits: await ctx.table("logits"),
        peaks: await ctx.table("peaks"),
      };
      const tally = CampaignTally.of(chosen, p.examples);
      const bar = ctx.progress(`attacking ${mine.images.length} images`, mine.images.length);
      const read = (i: number) => data.readImages(i, i + 1);
      for await (const batch of attackImages(model, mine, read, p)) {
        tally.add(batch);
        for (const a of batch.attacked) writeAttacked(sinks, a, classes);
        bar.tick(batch.attacked.length);
      }
      bar.done();
      await tally.write(ctx.outDir);
    },
    async merge(ctx, parts) {
      const { data, ranking } = await openRankedClassifier(ctx);
      await concatTables(await ctx.table("attacks"), ATTACKS_TABLE, parts, "attacks");
      await concatTables(await ctx.table("logits"), LOGITS_TABLE, parts, "logits");
      await concatTables(await ctx.table("peaks"), PEAKS_TABLE, parts, "peaks");
      const tally = await CampaignTally.merge(parts.map((p) => p.dir), ctx.params.examples);
      const { successes, attacks, evaluations } = tally;
      ctx.log(`${successes} of ${attacks} attacks succeeded (${evaluations} gradient batches)`);
      if (tally.kept.length) {
        const { height, width } = data.meta;
        await ctx.figure(
          "examples.png",
          () => attackFigure(tally.examples(ranking), height, width),
        );
      }
    },
  },
});

/**
 * The attacked model and the campaign's attacks (the first correct images,
 * the seeded targets), chosen once per stage run in this process: items and
 * the parts here share them; a shard on another node chooses the same again.
 */
function campaign(ctx: StageContext<z.infer<typeof params>, "data" | "ranking">) {
  return ctx.keep("campaign", () => openCampaign(ctx), ({ model }) => model.release());
}
