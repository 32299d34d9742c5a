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
import * as ort from "onnxruntime-node";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { batches, openDataset } from "../data/open.ts";
import { checkLogits, openClassifier } from "../onnx/classifier.ts";
import { toTensorData } from "../onnx/preprocess.ts";
import {
  Ablator,
  balancedAccuracy,
  rankByImportance,
  softBalancedAccuracy,
} from "../dissection/ablation.ts";

export default defineStage({
  module: import.meta.url,
  name: "rank-units",
  description: "importance of every unit of a layer to every class, by single-unit removal",
  params: z.object({
    model: z.string(),
    layer: z.string().min(1),
    batch: z.int().min(1).default(64),
    /** Units ablated per tail run (bounds memory: chunk x batch copies of the layer). */
    chunk: z.int().min(1).default(65),
  }),
  inputs: ["data"],
  outputs: ["counts", "importance"],
  files: (p) => ({ model: p.model }),
  async run(ctx) {
    const { layer } = ctx.params;
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { count, height, width, labels } = data.meta;
    const { bytes, input, output, pre, classes } = await openClassifier(
      ctx.params.model,
      ctx.files.model,
      data.meta,
    );
    // Counts are kept per data label and read as the model's classes: one list, one order.
    if (classes.join("\n") !== labels.join("\n")) {
      throw new DissectError(
        "MODEL",
        `${ctx.params.model}: its classes are not the data set's labels in the same order`,
        `model: ${classes.slice(0, 8).join(", ")}...; data: ${labels.slice(0, 8).join(", ")}...`,
      );
    }
    const ablator = await Ablator.open(ctx.params.model, bytes, layer, output, ctx.threads);
    const K = classes.length;
    let units = 0;
    // tp[s][c], fp[s][c]: setting s = 0 is the unablated model, s = u + 1 removes unit u.
    // pPos[s][c], pAll[s][c]: summed probability of class c over its images, over all images.
    let tp: Float64Array[] = [], fp: Float64Array[] = [];
    let pPos: Float64Array[] = [], pAll: Float64Array[] = [];
    const positives = new Float64Array(K);
    const bar = ctx.progress(`removing each unit of ${layer}`, count);
    for (const [start, end] of batches(count, ctx.params.batch)) {
      const n = end - start;
      const batch = data.read(start, end);
      const x = toTensorData(batch.images, n, height, width, pre);
      const boundary = await ablator.forwardHead({
        [input.name]: new ort.Tensor("float32", x, [n, 3, height, width]),
      });
      if (!units) {
        units = boundary[0].dims[1] as number;
        tp = Array.from({ length: units + 1 }, () => new Float64Array(K));
        fp = Array.from({ length: units + 1 }, () => new Float64Array(K));
        pPos = Array.from({ length: units + 1 }, () => new Float64Array(K));
        pAll = Array.from({ length: units + 1 }, () => new Float64Array(K));
      }
      for (let i = 0; i < n; i++) positives[batch.labels[i]]++;
      for (let s0 = 0; s0 <= units; s0 += ctx.params.chunk) {
        const settings: Uint8Array[] = [];
        for (let s = s0; s < Math.min(units + 1, s0 + ctx.params.chunk); s++) {
          const zero = new Uint8Array(units);
          if (s > 0) zero[s - 1] = 1;
          settings.push(zero);
        }
        const out = await ablator.predictWithProbabilities(boundary, settings);
        out.predicted.forEach((pred, j) => {
          const prob = out.probabilities[j], s = s0 + j;
          checkLogits(ctx.params.model, prob, n, K);
          for (let i = 0; i < n; i++) {
            if (pred[i] === batch.labels[i]) tp[s][pred[i]]++;
            else fp[s][pred[i]]++;
            pPos[s][batch.labels[i]] += prob[i * K + batch.labels[i]];
            for (let c = 0; c < K; c++) pAll[s][c] += prob[i * K + c];
          }
        });
      }
      bar.tick(n);
    }
    bar.done();
    await ablator.release();

    const counts = await ctx.table("counts", {
      unit: "INTEGER",
      label: "INTEGER",
      class: "VARCHAR",
      tp: "INTEGER",
      fp: "INTEGER",
      /** Summed probability of the class over its images, and over all images. */
      p_positives: "DOUBLE",
      p_all: "DOUBLE",
      positives: "INTEGER",
      images: "INTEGER",
    });
    for (let s = 0; s <= units; s++) {
      for (let c = 0; c < K; c++) {
        counts.append({
          unit: s - 1,
          label: c,
          class: classes[c],
          tp: tp[s][c],
          fp: fp[s][c],
          p_positives: pPos[s][c],
          p_all: pAll[s][c],
          positives: positives[c],
          images: count,
        });
      }
    }
    const importance = await ctx.table("importance", {
      layer: "VARCHAR",
      label: "INTEGER",
      class: "VARCHAR",
      rank: "INTEGER",
      unit: "INTEGER",
      drop: "DOUBLE",
      soft_drop: "DOUBLE",
    });
    for (let c = 0; c < K; c++) {
      if (!positives[c]) continue;
      const base = balancedAccuracy(tp[0][c], fp[0][c], positives[c], count);
      const softBase = softBalancedAccuracy(pPos[0][c], pAll[0][c], positives[c], count);
      const drops = Array.from({ length: units }, (_, u) => ({
        unit: u,
        drop: base - balancedAccuracy(tp[u + 1][c], fp[u + 1][c], positives[c], count),
        softDrop: softBase -
          softBalancedAccuracy(pPos[u + 1][c], pAll[u + 1][c], positives[c], count),
      }));
      rankByImportance(drops).forEach((d, rank) =>
        importance.append({
          layer,
          label: c,
          class: classes[c],
          rank,
          unit: d.unit,
          drop: d.drop,
          soft_drop: d.softDrop,
        })
      );
    }
  },
});
