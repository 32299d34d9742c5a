/**
 * What every step of a cw-attack run opens: the held-out data, the
 * classifier (its labels matched to the data's by name, since a user's
 * folder may hold a few of the model's classes), the ranking of its units at
 * the attacked layer, and for the attacks themselves the model and the
 * campaign's attacks, which every shard recomputes to the same list.
 */
import type { ArtifactRef } from "../engine/stage.ts";
import { openDataset } from "../data/open.ts";
import { classifierFor } from "../onnx/classifier.ts";
import { readModelWithFacts } from "../onnx/model_facts.ts";
import type { Preprocess } from "../onnx/preprocess.ts";
import { requireRanking } from "../dissection/ranking.ts";
import { AttackedModel, chooseAttacks } from "./target.ts";

/** The stage's context as the setup reads it: node, parameters, files, inputs and threads. */
export interface CampaignContext {
  node: string;
  params: {
    model: string;
    labels?: string;
    preprocess?: Preprocess;
    layer: string;
    images: number;
    seed: number;
    figureUnits: number;
  };
  files: Record<string, string>;
  inputs: { data: ArtifactRef; ranking: ArtifactRef };
  threads: number;
}

/** The data, the classifier, and the top `figureUnits` units of each class at the layer. */
export async function openRankedClassifier(ctx: CampaignContext) {
  const p = ctx.params;
  const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
  const opened = classifierFor(p.model, await readModelWithFacts(p, ctx.files), data.meta);
  // C12 reads the same ranking for the units this stage measures: they must be one layer.
  const ranking = await requireRanking(
    ctx.inputs.ranking.table("importance"),
    p.layer,
    opened.classes,
    { node: ctx.node, stage: "cw-attack" },
    p.figureUnits,
  );
  return { data, opened, ranking };
}

/**
 * The classifier opened for attacks at the layer, and the campaign's
 * attacks; the checks come in the order a user fixes them: the ranking's
 * layer, the model, then an image it gets right.
 */
export async function openCampaign(ctx: CampaignContext) {
  const { data, opened } = await openRankedClassifier(ctx);
  const p = ctx.params;
  const model = await AttackedModel.ofClassifier(p.model, opened, data.meta, p.layer, ctx.threads);
  try {
    const chosen = await chooseAttacks(model, data, opened.toModel, p, ctx.node);
    return { data, classes: opened.classes, model, chosen };
  } catch (e) {
    await model.release();
    throw e;
  }
}
