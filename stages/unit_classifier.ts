/**
 * unit-classifier: one unit as a detector of one concept on images it never
 * saw in dissection (the paper's unit 150 tested on ImageNet airplanes; the
 * object-centric split here). The unit is the one of highest IoU with the
 * concept; its peak activation over the image is the score. The threshold
 * is chosen on one random half (best balanced accuracy), and judged on the
 * other half.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { openDataset } from "../data/open.ts";
import { unitsForConcept } from "../dissection/concept_units.ts";
import { openActivations } from "../dissection/recompute.ts";
import { seededRandom } from "../stats/random.ts";
import {
  fitThreshold,
  type Half,
  halfOf,
  PEAK_COLUMNS,
  UNIT_COLUMNS,
  unitPeaks,
} from "../dissection/threshold.ts";

export default defineStage({
  module: import.meta.url,
  name: "unit-classifier",
  description: "the best unit for a concept as a binary classifier on held-out images",
  params: z.object({
    concept: z.string().min(1),
    layer: z.string().min(1),
    seed: z.int().default(1),
    batch: z.int().min(1).default(64),
  }),
  inputs: ["activations", "dissection", "data"],
  tables: {
    unit: { ...UNIT_COLUMNS },
    peaks: { image: "INTEGER", label: "VARCHAR", ...PEAK_COLUMNS },
  },
  async run(ctx) {
    const { concept, layer } = ctx.params;
    const [best] = await unitsForConcept(ctx.inputs.dissection, layer, concept, 1, "object");
    const data = openDataset(ctx.inputs.data.dir, `data input of ${ctx.node}`);
    const labels = data.meta.labels;
    if (!labels.includes(concept)) {
      throw new DissectError(
        "DATA",
        `${ctx.node}: the data set has no images labeled "${concept}"`,
        `its labels: ${labels.join(", ")}`,
      );
    }
    const acts = await openActivations(
      ctx.inputs.activations,
      ctx.inputs.data,
      ctx.threads,
      ctx.node,
    );
    const rand = seededRandom(ctx.params.seed);
    const rows: { image: number; label: string; present: boolean; peak: number; half: Half }[] = [];
    for await (const { start, peaks } of unitPeaks(acts, layer, best.unit, ctx.params.batch)) {
      const lab = data.read(start, start + peaks.length).labels;
      peaks.forEach((peak, i) => {
        const label = labels[lab[i]];
        rows.push({
          image: start + i,
          label,
          present: label === concept,
          peak,
          half: halfOf(rand),
        });
      });
    }
    await acts.close();
    const threshold = fitThreshold(rows);
    const unit = await ctx.table("unit");
    unit.append({ layer, unit: best.unit, concept, iou: best.iou, threshold });
    const peaks = await ctx.table("peaks");
    for (const r of rows) peaks.append(r);
  },
});
