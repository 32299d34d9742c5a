/**
 * cw-attack: the Carlini-Wagner L2 targeted attack on held-out images the
 * classifier gets right, each toward a target class drawn at random (seeded)
 * among the others, and how the attack moves the units of one layer: the
 * peak activation of every unit before and after. Gradients come from the
 * classifier's VJP graph (onnx/gradient.ts), run by onnxruntime.
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { batches, openDataset } from "../data/open.ts";
import { openClassifier } from "../onnx/classifier.ts";
import { PLAIN, toTensorData } from "../onnx/preprocess.ts";
import { concatBytes } from "../engine/bytes.ts";
import { seededRandom } from "../stats/random.ts";
import { carliniWagner } from "../attack/carlini_wagner.ts";
import { type AttackExample, attackFigure } from "../attack/figure.ts";
import { argmax } from "../stats/argmax.ts";
import { readRanking } from "../dissection/ranking.ts";
import {
  AttackedModel,
  drawTargets,
  firstCorrect,
  logitRows,
  peakChanges,
} from "../attack/target.ts";

export default defineStage({
  module: import.meta.url,
  name: "cw-attack",
  description: "Carlini-Wagner L2 targeted attacks, and the change they make to each unit's peak",
  params: z.object({
    model: z.string(),
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
  }),
  inputs: ["data", "ranking"],
  tables: {
    attacks: {
      image: "INTEGER",
      source: "INTEGER",
      source_class: "VARCHAR",
      target: "INTEGER",
      target_class: "VARCHAR",
      success: "BOOLEAN",
      l2: "DOUBLE",
      c: "DOUBLE",
      predicted_after: "INTEGER",
    },
    logits: {
      image: "INTEGER",
      version: "VARCHAR",
      label: "INTEGER",
      logit: "DOUBLE",
    },
    peaks: {
      image: "INTEGER",
      unit: "INTEGER",
      before: "DOUBLE",
      after: "DOUBLE",
    },
  },
  files: (p) => ({ model: p.model }),
  async run(ctx) {
    const p = ctx.params;
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { height, width } = data.meta;
    // Labels are matched by name (a user's folder may hold a few of the model's classes).
    const { bytes, input, output, pre, classes, toModel } = await openClassifier(
      p.model,
      ctx.files.model,
      data.meta,
    );
    const K = classes.length;
    // C12 reads the same ranking for the units this stage measures: they must be one layer.
    const ranking = await readRanking(
      ctx.inputs.ranking.table("importance"),
      p.layer,
      classes,
      p.figureUnits,
    );
    if (ranking.size === 0) {
      throw new DissectError(
        "DATA",
        `${ctx.node}: the ranking has no units of layer "${p.layer}"`,
        "give rank-units and cw-attack the same layer",
      );
    }

    const model = await AttackedModel.open({
      path: p.model,
      bytes,
      input: input.name,
      output,
      layer: p.layer,
      classes: K,
      height,
      width,
      pre,
      threads: ctx.threads,
    });
    const run = (pixels: Float32Array, n: number) => model.run(pixels, n);

    // The images to attack: the first the classifier labels correctly.
    const { images: chosen, source } = await firstCorrect(model, data, toModel, p.images);
    if (!chosen.length) {
      throw new DissectError("DATA", `${ctx.node}: the classifier gets no held-out image right`);
    }
    if (chosen.length < p.images) {
      ctx.log(`only ${chosen.length} held-out images are classified correctly; attacking those`);
    }
    const target = drawTargets(source, K, seededRandom(p.seed));

    const attacks = await ctx.table("attacks");
    const logitsTable = await ctx.table("logits");
    const peaks = await ctx.table("peaks");
    const examples: AttackExample[] = [];
    const bar = ctx.progress(`attacking ${chosen.length} images`, chosen.length);
    let successes = 0, evaluations = 0;
    for (const [start, end] of batches(chosen.length, p.batch)) {
      const n = end - start;
      const ids = chosen.slice(start, end);
      const rgb = concatBytes(ids.map((i) => data.readImages(i, i + 1)));
      // Planar pixels in [0, 1]: the space the attack works in.
      const x0 = toTensorData(rgb, n, height, width, PLAIN);
      const result = await carliniWagner(
        model.marginGradient,
        x0,
        n,
        K,
        target.slice(start, end),
        p,
      );
      evaluations += result.evaluations;
      const before = await run(x0, n), after = await run(result.adversarial, n);
      const [, units, h, w] = before.layer.dims as number[];
      const actsBefore = before.layer.data as Float32Array,
        actsAfter = after.layer.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const j = start + i;
        if (result.success[i]) successes++;
        attacks.append({
          image: ids[i],
          source: source[j],
          source_class: classes[source[j]],
          target: target[j],
          target_class: classes[target[j]],
          success: result.success[i],
          l2: result.l2[i],
          c: result.c[i],
          predicted_after: argmax(after.logits, i * K, K),
        });
        for (const r of logitRows(ids[i], before.logits, after.logits, i, K)) logitsTable.append(r);
        for (const r of peakChanges(actsBefore, actsAfter, i, before.layer.dims)) {
          peaks.append({ image: ids[i], ...r });
        }
        if (result.success[i] && examples.length < p.examples) {
          const D = 3 * height * width;
          examples.push({
            original: x0.subarray(i * D, (i + 1) * D),
            adversarial: result.adversarial.slice(i * D, (i + 1) * D),
            units: [...(ranking.get(source[j]) ?? []), ...(ranking.get(target[j]) ?? [])],
            before: actsBefore.subarray(i * units * h * w, (i + 1) * units * h * w),
            after: actsAfter.slice(i * units * h * w, (i + 1) * units * h * w),
            h,
            w,
          });
        }
      }
      bar.tick(n);
    }
    bar.done();
    await model.release();
    ctx.log(`${successes} of ${chosen.length} attacks succeeded (${evaluations} gradient batches)`);
    if (examples.length) {
      await Deno.writeFile(join(ctx.outDir, "examples.png"), attackFigure(examples, height, width));
    }
  },
});
