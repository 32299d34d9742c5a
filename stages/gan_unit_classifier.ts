/**
 * gan-unit-classifier: does a generator unit predict whether the generated
 * image will contain its concept? (The paper: window unit 314's peak
 * activation against windows covering more than 5% of the image.) The unit
 * is the one of highest IoU with the concept at the layer; presence comes
 * from the segmenter's reading of each generated image. The threshold is
 * fitted on one random half and its accuracy judged on the other.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { openActivations } from "../dissection/recompute.ts";
import { PLANES } from "../dissection/concepts.ts";
import { unitsForConcept } from "../dissection/concept_units.ts";
import { seededRandom } from "../stats/random.ts";
import {
  fitThreshold,
  type Half,
  halfOf,
  PEAK_COLUMNS,
  presenceIn,
  UNIT_COLUMNS,
  unitPeaks,
} from "../dissection/threshold.ts";
import { SegmentationReader } from "../dissection/segmentation.ts";

export default defineStage({
  module: import.meta.url,
  name: "gan-unit-classifier",
  description: "a generator unit's peak activation as a predictor of its concept in the output",
  params: z.object({
    concept: z.string().default("window"),
    head: z.enum(["object", "part", "material"]).default("part"),
    layer: z.string().min(1),
    /** Present means the concept covers more than this fraction of the image. */
    minFraction: z.number().gt(0).lt(1).default(0.05),
    seed: z.int().default(1),
    batch: z.int().min(1).default(64),
  }),
  inputs: ["activations", "dissection", "segmentation", "data"],
  tables: {
    unit: { ...UNIT_COLUMNS, min_fraction: "DOUBLE" },
    peaks: { image: "INTEGER", fraction: "DOUBLE", ...PEAK_COLUMNS },
  },
  async run(ctx) {
    const p = ctx.params;
    const [best] = await unitsForConcept(ctx.inputs.dissection, p.layer, p.concept, 1, p.head);
    const segmentation = await SegmentationReader.open(ctx.inputs.segmentation.dir);
    const seg = segmentation.meta;
    const cls = (seg.labels[p.head] as string[]).indexOf(p.concept);
    if (cls < 0) {
      throw new DissectError("DATA", `the segmentation has no ${p.head} class "${p.concept}"`);
    }
    const plane = PLANES.indexOf(p.head);
    const px = seg.height * seg.width;
    const acts = await openActivations(
      ctx.inputs.activations,
      ctx.inputs.data,
      ctx.threads,
      ctx.node,
    );
    const rand = seededRandom(p.seed);
    const rows: {
      image: number;
      fraction: number;
      present: boolean;
      peak: number;
      half: Half;
    }[] = [];
    for await (const { start, peaks } of unitPeaks(acts, p.layer, best.unit, p.batch)) {
      const buf = segmentation.read(start, start + peaks.length);
      peaks.forEach((peak, i) => {
        const { fraction, present } = presenceIn(buf, i, plane, px, cls, p.minFraction);
        rows.push({ image: start + i, fraction, present, peak, half: halfOf(rand) });
      });
    }
    segmentation.close();
    await acts.close();
    const threshold = fitThreshold(rows);
    const unit = await ctx.table("unit");
    unit.append({
      layer: p.layer,
      unit: best.unit,
      concept: p.concept,
      iou: best.iou,
      threshold,
      min_fraction: p.minFraction,
    });
    const peaks = await ctx.table("peaks");
    for (const r of rows) peaks.append(r);
  },
});
