/**
 * classify: the classifier's predictions on a data set (claim M1: it is a
 * real, working scene classifier). One row per image: the true label, the
 * top-1 prediction, whether the label is in the top 5, and the confidence.
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
import { batches, batchSpan, openDataset, splitBatches } from "../data/open.ts";
import { createSession } from "../onnx/model.ts";
import {
  checkLogits,
  classifierFor,
  imageFeed,
  predictionRows,
  PREDICTIONS_TABLE,
} from "../onnx/classifier.ts";

const params = z.object({
  model: z.string(),
  ...MODEL_FACTS_PARAMS,
  batch: z.int().min(1).max(1024).default(64),
});

export default defineStage({
  module: import.meta.url,
  name: "classify",
  description: "top-1 and top-5 predictions of a classifier on a data set",
  params,
  inputs: ["data"],
  tables: {
    classes: { label: "INTEGER", name: "VARCHAR" },
    predictions: PREDICTIONS_TABLE,
  },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files),
  // Batches are items, so each batch through the model holds the same images whatever the
  // split; per-image rows concatenate in image order.
  shard: {
    items: (ctx) => splitBatches(ctx.inputs.data.dir, `input of ${ctx.node}`, ctx.params.batch),
    async part(ctx, range) {
      const { data, opened } = await openClassifier(ctx);
      const { start, end } = batchSpan(range, ctx.params.batch, data.meta.count);
      const { height, width } = data.meta;
      const { classes: modelLabels, toModel, output } = opened;
      const session = await createSession(ctx.params.model, opened.bytes, ctx.threads);
      const rows = await ctx.table("predictions");
      const k = modelLabels.length;
      const bar = ctx.progress("classifying", end - start);
      for (const [s, e] of batches(end, ctx.params.batch, start)) {
        const batch = data.read(s, e);
        const feed = imageFeed(opened, batch.images, e - s, height, width);
        const logits = (await session.run(feed))[output].data as Float32Array;
        checkLogits(ctx.params.model, logits, e - s, k);
        const labels = Array.from(batch.labels, (l) => toModel[l]);
        for (const r of predictionRows(logits, k, labels, s)) rows.append(r);
        bar.tick(e - s);
      }
      bar.done();
      await session.release();
    },
    async merge(ctx, parts) {
      const classes = await ctx.table("classes");
      (await openClassifier(ctx)).opened.classes.forEach((name, label) =>
        classes.append({ label, name })
      );
      await concatTables(await ctx.table("predictions"), PREDICTIONS_TABLE, parts, "predictions");
    },
  },
});

/**
 * The data and the classifier, their labels matched by name, so that a
 * folder of a few classes can be scored by a model that knows more.
 */
async function openClassifier(ctx: StageContext<z.infer<typeof params>, "data">) {
  const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
  const opened = classifierFor(
    ctx.params.model,
    await readModelWithFacts(ctx.params, ctx.files),
    data.meta,
  );
  return { data, opened };
}
