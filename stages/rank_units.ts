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
import { Ablator, rankByImportance, RemovalTally, singleRemovals } from "../dissection/ablation.ts";

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
  tables: {
    counts: {
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
    },
    importance: {
      layer: "VARCHAR",
      label: "INTEGER",
      class: "VARCHAR",
      rank: "INTEGER",
      unit: "INTEGER",
      drop: "DOUBLE",
      soft_drop: "DOUBLE",
    },
  },
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
    // Setting s = 0 is the unablated model, s = u + 1 removes unit u.
    let tally: RemovalTally | null = null;
    const bar = ctx.progress(`removing each unit of ${layer}`, count);
    for (const [start, end] of batches(count, ctx.params.batch)) {
      const n = end - start;
      const batch = data.read(start, end);
      const x = toTensorData(batch.images, n, height, width, pre);
      const boundary = await ablator.forwardHead({
        [input.name]: new ort.Tensor("float32", x, [n, 3, height, width]),
      });
      if (!tally) {
        units = boundary[0].dims[1] as number;
        tally = new RemovalTally(units + 1, K);
      }
      tally.addImages(batch.labels, n);
      for (let s0 = 0; s0 <= units; s0 += ctx.params.chunk) {
        const settings = singleRemovals(units, s0, Math.min(units + 1, s0 + ctx.params.chunk));
        const out = await ablator.predictWithProbabilities(boundary, settings);
        out.predicted.forEach((pred, j) => {
          const prob = out.probabilities[j], s = s0 + j;
          checkLogits(ctx.params.model, prob, n, K);
          tally!.add(s, batch.labels, pred, prob);
        });
      }
      bar.tick(n);
    }
    bar.done();
    await ablator.release();

    const counts = await ctx.table("counts");
    for (let s = 0; s <= units; s++) {
      for (let c = 0; c < K; c++) {
        counts.append({
          unit: s - 1,
          label: c,
          class: classes[c],
          tp: tally!.tp[s][c],
          fp: tally!.fp[s][c],
          p_positives: tally!.pPositives[s][c],
          p_all: tally!.pAll[s][c],
          positives: tally!.positives[c],
          images: count,
        });
      }
    }
    const importance = await ctx.table("importance");
    for (let c = 0; c < K; c++) {
      const drops = tally!.drops(c);
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
