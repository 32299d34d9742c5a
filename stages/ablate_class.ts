/**
 * ablate-class: on held-out data, for every class, remove its k most
 * important units (descending order), its k least important (ascending), or
 * keep only its k most important (remove all others), for every k in `sizes`
 * and k = all but one. Writes every image's prediction under every setting,
 * so accuracies and their intervals are computed from images downstream.
 */
import { z } from "zod";
import {
  checkModel,
  factsFiles,
  MODEL_FACTS_PARAMS,
  readModelWithFacts,
} from "../onnx/model_facts.ts";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { concatTables } from "../engine/shard.ts";
import { DissectError } from "../engine/errors.ts";
import { batchCount, batchSpan, openDataset } from "../data/open.ts";
import { classifierFor, imageFeed } from "../onnx/classifier.ts";
import {
  Ablator,
  predictUnderSettings,
  removalSettings,
  SETTING_PREDICTIONS_TABLE,
  SETTINGS_TABLE,
} from "../dissection/ablation.ts";
import { rankedLayers, readRanking } from "../dissection/ranking.ts";

const params = z.object({
  model: z.string(),
  ...MODEL_FACTS_PARAMS,
  layer: z.string().min(1),
  sizes: z.array(z.int().min(1)).min(1).default([1, 2, 3, 4, 5, 10, 20, 40, 80]),
  batch: z.int().min(1).default(16),
  /** Settings per tail run (bounds memory). */
  chunk: z.int().min(1).default(64),
});

export default defineStage({
  module: import.meta.url,
  name: "ablate-class",
  description: "class and overall accuracy with a class's most (or least) important units removed",
  params,
  inputs: ["data", "ranking"],
  tables: { settings: SETTINGS_TABLE, predictions: SETTING_PREDICTIONS_TABLE },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, [p.layer]),
  // Items are batches, so each batch's images and rows are those of the unsharded run.
  shard: {
    items: async (ctx) => batchCount((await setup(ctx)).data.meta.count, ctx.params.batch),
    async part(ctx, range) {
      const { data, opened, settings } = await setup(ctx);
      const { height, width } = data.meta;
      const { batch } = ctx.params;
      const { start: from, end: to } = batchSpan(range, batch, data.meta.count);
      const ablator = await Ablator.open(
        ctx.params.model,
        opened.bytes,
        ctx.params.layer,
        opened.output,
        ctx.threads,
      );
      const preds = await ctx.table("predictions");
      const bar = ctx.progress(`${settings.length} ablation settings`, to - from);
      const batches = predictUnderSettings(
        ablator,
        { count: to, readImages: (start, end) => data.readImages(start, end) },
        (rgb, n) => imageFeed(opened, rgb, n, height, width),
        settings.map((s) => s.zero),
        { ...ctx.params, from },
      );
      for await (const { start, n, predicted } of batches) {
        predicted.forEach((pred, setting) => {
          for (let i = 0; i < n; i++) {
            preds.append({ setting, image: start + i, predicted: pred[i] });
          }
        });
        bar.tick(n);
      }
      bar.done();
      await ablator.release();
    },
    async merge(ctx, parts) {
      const table = await ctx.table("settings");
      (await setup(ctx)).settings.forEach((s, setting) =>
        table.append({ setting, label: s.label, mode: s.mode, k: s.k })
      );
      const preds = await ctx.table("predictions");
      await concatTables(preds, SETTING_PREDICTIONS_TABLE, parts, "predictions");
    },
  },
});

/** The data, the classifier and the ablation settings (setting 0 unablated, then every class, mode and k). */
async function setup(ctx: StageContext<z.infer<typeof params>, "data" | "ranking">) {
  const { layer } = ctx.params;
  const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
  // The data's labels must be classes of the model (matched by name); predictions are
  // stored as the model's class indices, as are the ranking's labels.
  const opened = classifierFor(
    ctx.params.model,
    await readModelWithFacts(ctx.params, ctx.files),
    data.meta,
  );
  const importance = ctx.inputs.ranking.table("importance");
  const order = await readRanking(importance, layer, opened.classes);
  const units = order.values().next().value?.length ?? 0;
  if (units < 2) {
    throw new DissectError(
      "DATA",
      `${ctx.node}: the ranking has ${units ? "one unit" : "no units"} of layer "${layer}"`,
      `the ranking covers: ${(await rankedLayers(importance)).join(", ") || "nothing"}; ` +
        "give rank-units and ablate-class the same layer",
    );
  }
  return { data, opened, settings: removalSettings(order, ctx.params.sizes) };
}
