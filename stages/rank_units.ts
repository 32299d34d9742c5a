/**
 * rank-units: how much each unit of a layer matters to each class. Each unit
 * is removed alone (forced to zero, no retraining) and every class's balanced
 * accuracy is measured on the training split; the drop from the unablated
 * model ranks the units of each class. Ties (a model that is right on nearly
 * every training image often flips no prediction when one unit goes) are
 * broken by the drop in soft balanced accuracy, from the same runs' class
 * probabilities. The head runs once per batch; only the tail reruns, for all
 * units at once.
 */
import { z } from "zod";
import {
  checkModel,
  factsFiles,
  MODEL_FACTS_PARAMS,
  readModelWithFacts,
} from "../onnx/model_facts.ts";
import { WEIGHTS_PARAM, withWeights } from "../onnx/randomize.ts";
import { join } from "node:path";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { batchSpan, openDataset, splitBatches } from "../data/open.ts";
import type { SplitMeta } from "../data/split_format.ts";
import { checkLogits, classifierFor, imageFeed } from "../onnx/classifier.ts";
import {
  Ablator,
  IMPORTANCE_TABLE,
  importanceRows,
  REMOVAL_COUNTS_TABLE,
  removalCountRows,
  RemovalTally,
  type TallyPart,
  tallySingleRemovals,
} from "../dissection/ablation.ts";

const params = z.object({
  model: z.string(),
  ...MODEL_FACTS_PARAMS,
  /** "trained", or { random: seed } for the random-weight control. */
  weights: WEIGHTS_PARAM,
  layer: z.string().min(1),
  batch: z.int().min(1).default(64),
  /** Units ablated per tail run (bounds memory: chunk x batch copies of the layer). */
  chunk: z.int().min(1).default(65),
});

export default defineStage({
  module: import.meta.url,
  name: "rank-units",
  description: "importance of every unit of a layer to every class, by single-unit removal",
  params,
  inputs: ["data"],
  tables: { counts: REMOVAL_COUNTS_TABLE, importance: IMPORTANCE_TABLE },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, [p.layer]),
  // Items are batches, so each batch's images are those of the unsharded run; tallies add exactly.
  shard: {
    items: (ctx) => splitBatches(ctx.inputs.data.dir, `input of ${ctx.node}`, ctx.params.batch),
    async part(ctx, range) {
      const { layer, model, batch } = ctx.params;
      const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
      const { count, height, width } = data.meta;
      const opened = await openClassifier(ctx, data.meta);
      // Counts are kept per model class: each data label is matched to the model's by name
      // (classifierFor refuses a label the model does not know).
      const { classes, toModel } = opened;
      const { start: from, end: to } = batchSpan(range, batch, count);
      const ablator = await Ablator.open(model, opened.bytes, layer, opened.output, ctx.threads);
      const bar = ctx.progress(`removing each unit of ${layer}`, to - from);
      const tally = await tallySingleRemovals(
        ablator,
        { count: to, read: (s, e) => data.read(s, e) },
        (rgb, n) => imageFeed(opened, rgb, n, height, width),
        {
          classes: classes.length,
          batch,
          chunk: ctx.params.chunk,
          check: (prob, n) => checkLogits(model, prob, n, classes.length),
          toModel,
          tick: (n) => bar.tick(n),
          from,
        },
      );
      bar.done();
      await ablator.release();
      await Deno.writeTextFile(join(ctx.outDir, "tally.json"), JSON.stringify(tally.save()));
    },
    async merge(ctx, parts) {
      const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
      const { classes } = await openClassifier(ctx, data.meta);
      let tally: RemovalTally | null = null;
      for (const p of parts) {
        const part: TallyPart = JSON.parse(await Deno.readTextFile(join(p.dir, "tally.json")));
        tally ??= new RemovalTally(part.settings, part.classes);
        tally.addPart(part);
      }
      const counts = await ctx.table("counts");
      for (const r of removalCountRows(tally!, classes)) counts.append(r);
      const importance = await ctx.table("importance");
      for (const r of importanceRows(tally!, ctx.params.layer, classes)) importance.append(r);
    },
  },
});

/** The classifier as this stage runs it (trained, or the random-weight control), matched to the data's labels. */
async function openClassifier(
  ctx: StageContext<z.infer<typeof params>, "data">,
  meta: SplitMeta,
) {
  const bytes = await readModelWithFacts(ctx.params, ctx.files);
  return classifierFor(
    ctx.params.model,
    withWeights(bytes, ctx.params.weights, ctx.params.model),
    meta,
  );
}
