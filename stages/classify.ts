/**
 * classify: the classifier's predictions on a data set (claim M1: it is a
 * real, working scene classifier). One row per image: the true label, the
 * top-1 prediction, whether the label is in the top 5, and the confidence.
 */
import { z } from "zod";
import * as ort from "onnxruntime-node";
import { defineStage } from "../engine/stage.ts";
import { batches, openDataset } from "../data/open.ts";
import { createSession } from "../onnx/model.ts";
import { checkLogits, openClassifier } from "../onnx/classifier.ts";
import { toTensorData } from "../onnx/preprocess.ts";

export default defineStage({
  module: import.meta.url,
  name: "classify",
  description: "top-1 and top-5 predictions of a classifier on a data set",
  params: z.object({
    model: z.string(),
    batch: z.int().min(1).max(1024).default(64),
  }),
  inputs: ["data"],
  tables: {
    classes: { label: "INTEGER", name: "VARCHAR" },
    predictions: {
      image: "INTEGER",
      label: "INTEGER",
      predicted: "INTEGER",
      correct: "BOOLEAN",
      top5: "BOOLEAN",
      confidence: "DOUBLE",
    },
  },
  files: (p) => ({ model: p.model }),
  async run(ctx) {
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { count, height, width } = data.meta;
    // The data set's labels are matched to the model's by name, so a folder
    // of a few classes can be scored by a model that knows more.
    const { bytes, input, output, pre, classes: modelLabels, toModel } = await openClassifier(
      ctx.params.model,
      ctx.files.model,
      data.meta,
    );
    const session = await createSession(ctx.params.model, bytes, ctx.threads);
    const classes = await ctx.table("classes");
    modelLabels.forEach((name, label) => classes.append({ label, name }));
    const rows = await ctx.table("predictions");
    const k = modelLabels.length;
    const bar = ctx.progress("classifying", count);
    for (const [start, end] of batches(count, ctx.params.batch)) {
      const batch = data.read(start, end);
      const n = end - start;
      const x = new ort.Tensor("float32", toTensorData(batch.images, n, height, width, pre), [
        n,
        3,
        height,
        width,
      ]);
      const logits = (await session.run({ [input.name]: x }))[output].data as Float32Array;
      checkLogits(ctx.params.model, logits, n, k);
      for (let i = 0; i < n; i++) {
        const row = logits.subarray(i * k, (i + 1) * k);
        const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]);
        const max = row[order[0]];
        let z = 0;
        for (const v of row) z += Math.exp(v - max);
        const label = toModel[batch.labels[i]];
        rows.append({
          image: start + i,
          label,
          predicted: order[0],
          correct: order[0] === label,
          top5: order.slice(0, 5).includes(label),
          confidence: 1 / z,
        });
      }
      bar.tick(n);
    }
    bar.done();
    await session.release();
  },
});
