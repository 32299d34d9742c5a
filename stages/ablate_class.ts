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
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { openDataset } from "../data/open.ts";
import { classifierFor, imageFeed } from "../onnx/classifier.ts";
import {
  Ablator,
  predictUnderSettings,
  removalSettings,
  SETTING_PREDICTIONS_TABLE,
  SETTINGS_TABLE,
} from "../dissection/ablation.ts";
import { rankedLayers, readRanking } from "../dissection/ranking.ts";

export default defineStage({
  module: import.meta.url,
  name: "ablate-class",
  description: "class and overall accuracy with a class's most (or least) important units removed",
  params: z.object({
    model: z.string(),
    ...MODEL_FACTS_PARAMS,
    layer: z.string().min(1),
    sizes: z.array(z.int().min(1)).min(1).default([1, 2, 3, 4, 5, 10, 20, 40, 80]),
    batch: z.int().min(1).default(16),
    /** Settings per tail run (bounds memory). */
    chunk: z.int().min(1).default(64),
  }),
  inputs: ["data", "ranking"],
  tables: { settings: SETTINGS_TABLE, predictions: SETTING_PREDICTIONS_TABLE },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, [p.layer]),
  async run(ctx) {
    const { layer, model } = ctx.params;
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { count, height, width } = data.meta;
    // The data's labels must be classes of the model (matched by name); predictions are
    // stored as the model's class indices, as are the ranking's labels.
    const opened = classifierFor(
      ctx.params.model,
      await readModelWithFacts(ctx.params, ctx.files),
      data.meta,
    );
    const order = await readRanking(ctx.inputs.ranking.table("importance"), layer, opened.classes);
    const units = order.values().next().value?.length ?? 0;
    if (units < 2) {
      const layers = await rankedLayers(ctx.inputs.ranking.table("importance"));
      throw new DissectError(
        "DATA",
        `${ctx.node}: the ranking has ${units ? "one unit" : "no units"} of layer "${layer}"`,
        `the ranking covers: ${layers.join(", ") || "nothing"}; ` +
          "give rank-units and ablate-class the same layer",
      );
    }
    // Setting 0 is the unablated model; then every (class, mode, k).
    const settings = removalSettings(order, ctx.params.sizes);
    const table = await ctx.table("settings");
    settings.forEach((s, setting) =>
      table.append({ setting, label: s.label, mode: s.mode, k: s.k })
    );

    const ablator = await Ablator.open(model, opened.bytes, layer, opened.output, ctx.threads);
    const preds = await ctx.table("predictions");
    const bar = ctx.progress(`${settings.length} ablation settings`, count);
    const batches = predictUnderSettings(
      ablator,
      { count, readImages: (start, end) => data.readImages(start, end) },
      (rgb, n) => imageFeed(opened, rgb, n, height, width),
      settings.map((s) => s.zero),
      ctx.params,
    );
    for await (const { start, n, predicted } of batches) {
      predicted.forEach((pred, setting) => {
        for (let i = 0; i < n; i++) preds.append({ setting, image: start + i, predicted: pred[i] });
      });
      bar.tick(n);
    }
    bar.done();
    await ablator.release();
  },
});
