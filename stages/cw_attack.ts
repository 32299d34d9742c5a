/**
 * cw-attack: the Carlini-Wagner L2 targeted attack on held-out images the
 * classifier gets right, each toward a target class drawn at random (seeded)
 * among the others, and how the attack moves the units of one layer: the
 * peak activation of every unit before and after. Gradients come from the
 * classifier's VJP graph (onnx/gradient.ts), run by onnxruntime.
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
import { classifierFor } from "../onnx/classifier.ts";
import { seededRandom } from "../stats/random.ts";
import {
  attackImages,
  ATTACKS_TABLE,
  LOGITS_TABLE,
  PEAKS_TABLE,
  writeAttacked,
} from "../attack/campaign.ts";
import { type AttackExample, attackFigure } from "../attack/figure.ts";
import { requireRanking } from "../dissection/ranking.ts";
import { AttackedModel, drawTargets, firstCorrect } from "../attack/target.ts";

export default defineStage({
  module: import.meta.url,
  name: "cw-attack",
  description: "Carlini-Wagner L2 targeted attacks, and the change they make to each unit's peak",
  params: z.object({
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
  }),
  inputs: ["data", "ranking"],
  tables: { attacks: ATTACKS_TABLE, logits: LOGITS_TABLE, peaks: PEAKS_TABLE },
  files: factsFiles,
  preflight: ({ params: p, files }) => checkModel(p, files, [p.layer]),
  async run(ctx) {
    const p = ctx.params;
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { height, width } = data.meta;
    // Labels are matched by name (a user's folder may hold a few of the model's classes).
    const opened = classifierFor(p.model, await readModelWithFacts(p, ctx.files), data.meta);
    const { classes, toModel } = opened, K = classes.length;
    // C12 reads the same ranking for the units this stage measures: they must be one layer.
    const ranking = await requireRanking(
      ctx.inputs.ranking.table("importance"),
      p.layer,
      classes,
      { node: ctx.node, stage: "cw-attack" },
      p.figureUnits,
    );
    const model = await AttackedModel.ofClassifier(
      p.model,
      opened,
      data.meta,
      p.layer,
      ctx.threads,
    );

    // The images to attack: the first the classifier labels correctly.
    const { images: chosen, source } = await firstCorrect(model, data, toModel, p.images);
    if (!chosen.length) {
      throw new DissectError("DATA", `${ctx.node}: the classifier gets no held-out image right`);
    }
    if (chosen.length < p.images) {
      ctx.log(`only ${chosen.length} held-out images are classified correctly; attacking those`);
    }
    const target = drawTargets(source, K, seededRandom(p.seed));

    const sinks = {
      attacks: await ctx.table("attacks"),
      logits: await ctx.table("logits"),
      peaks: await ctx.table("peaks"),
    };
    const examples: AttackExample[] = [];
    const bar = ctx.progress(`attacking ${chosen.length} images`, chosen.length);
    let successes = 0, evaluations = 0;
    const read = (i: number) => data.readImages(i, i + 1);
    for await (const batch of attackImages(model, { images: chosen, source, target }, read, p)) {
      evaluations += batch.evaluations;
      for (const a of batch.attacked) {
        if (a.success) successes++;
        writeAttacked(sinks, a, classes);
        if (a.success && examples.length < p.examples) {
          const units = [...(ranking.get(a.source) ?? []), ...(ranking.get(a.target) ?? [])];
          examples.push({ ...a.example, units });
        }
      }
      bar.tick(batch.attacked.length);
    }
    bar.done();
    await model.release();
    ctx.log(`${successes} of ${chosen.length} attacks succeeded (${evaluations} gradient batches)`);
    if (examples.length) {
      await ctx.figure("examples.png", () => attackFigure(examples, height, width));
    }
  },
});
