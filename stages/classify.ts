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
import { defineStage } from "../engine/stage.ts";
import { batches, openDataset } from "../data/open.ts";
import { createSession } from "../onnx/model.ts";
import {
  checkLogits,
  classifierFor,
  imageFeed,
  predictionRows,
  PREDICTIONS_TABLE,
} from "../onnx/classifier.ts";

export default defineStage({
  module: import.meta.url,
  name: "classify",
  description: "top-1 and top-5 predictions of a classifier on a data set",
  params: z.object({
    model: z.string(),
    ...MODEL_FACTS_PARAMS,
    batch: z.int().min(1).max(1024).default(64),
  }),
  inputs: ["data"],
  tables: {
    classes: { label: "INTEGER", name: "VARCHAR" },
    predictions: PREDICTIONS_TABLE,
  },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files),
  async run(ctx) {
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { count, height, width } = data.meta;
    // The data set's labels are matched to the model's by name, so a folder
    // of a few classes can be scored by a model that knows more.
    const opened = classifierFor(
      ctx.params.model,
      await readModelWithFacts(ctx.params, ctx.files),
      data.meta,
    );
    const { classes: modelLabels, toModel, output } = opened;
    const session = await createSession(ctx.params.model, opened.bytes, ctx.threads);
    const classes = await ctx.table("classes");
    modelLabels.forEach((name, label) => classes.append({ label, name }));
    const rows = await ctx.table("predictions");
    const k = modelLabels.length;
    const bar = ctx.progress("classifying", count);
    for (const [start, end] of batches(count, ctx.params.batch)) {
      const batch = data.read(start, end);
      const n = end - start;
      const feed = imageFeed(opened, batch.images, n, height, width);
      const logits = (await session.run(feed))[output].data as Float32Array;
      checkLogits(ctx.params.model, logits, n, k);
      const labels = Array.from(batch.labels, (l) => toModel[l]);
      for (const r of predictionRows(logits, k, labels, start)) rows.append(r);
      bar.tick(n);
    }
    bar.done();
    await session.release();
  },
});
