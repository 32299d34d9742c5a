/**
 * door-insertion: force a concept's units on at one place and see where the
 * concept appears (the paper forces the 20 door units of layer4 to their
 * t_u). For every sample and every location of the layer's feature map, the
 * units are set to boost x t_u at that location; the output is segmented and
 * the concept's pixels compared with the unedited image. Each edit is
 * attributed to the context at that location in the unedited image: the
 * object the segmenter sees at the location's center.
 */
import { z } from "zod";
import { UNIT_SCALES, unitsFor } from "../dissection/scaled_units.ts";
import { checkLayers } from "../onnx/model.ts";
import { defineStage } from "../engine/stage.ts";
import { sqlString, tableRows } from "../engine/duck.ts";
import type { Progress } from "../engine/progress.ts";
import { editedBatches, editSource, forceAtLocation } from "../dissection/generator_edit.ts";
import {
  FORCED_UNITS_TABLE,
  forcedValues,
  INSERTIONS_TABLE,
  insertionsOf,
} from "../dissection/insertion.ts";
import { layerWidth, unitsForConcept } from "../dissection/concept_units.ts";
import { beforeAfterPng } from "../dissection/unit_image.ts";
import quantile from "./quantile.ts";

export default defineStage({
  module: import.meta.url,
  name: "door-insertion",
  description: "force a concept's units on at each location; where does the concept appear?",
  params: z.object({
    generator: z.string(),
    segmenter: z.string(),
    layer: z.string().min(1),
    concept: z.string().default("door"),
    /** Segmenter head the concept belongs to (door is a part of buildings). */
    head: z.enum(["object", "part", "material"]).default("part"),
    /** The paper's 20 door units of layer4's 512, scaled to the layer unless `scale` is "absolute". */
    units: z.int().min(1).default(20),
    scale: z.enum(UNIT_SCALES).default("layer"),
    /** Units are forced to boost x t_u (their top-1% threshold). */
    boost: z.number().positive().default(1),
    samples: z.int().min(1).default(40),
    batch: z.int().min(1).default(4),
    /** The location whose edits are drawn as examples (row, column of the feature map). */
    exampleAt: z.tuple([z.int().min(0), z.int().min(0)]).default([5, 3]),
    examples: z.int().min(0).default(8),
  }),
  inputs: ["gan", "dissection", "thresholds"],
  tables: { units: FORCED_UNITS_TABLE, insertions: INSERTIONS_TABLE },
  files: (p) => ({ generator: p.generator, segmenter: p.segmenter }),
  preflight: ({ params: p, files }) => checkLayers(p.generator, files.generator, [p.layer]),
  async run(ctx) {
    const p = ctx.params;
    const chosen = await unitsForConcept(
      ctx.inputs.dissection,
      p.layer,
      p.concept,
      unitsFor(p.units, await layerWidth(ctx.inputs.dissection, p.layer), p.scale),
      p.head,
    );
    const thresholds = new Map(
      (await tableRows(
        ctx.inputs.thresholds.table("thresholds"),
        quantile.tables.thresholds,
        `WHERE layer = ${sqlString(p.layer)}`,
      )).map((r) => [r.unit!, r.threshold!]),
    );
    const forced = forcedValues(chosen, thresholds, p.boost, {
      thresholds: ctx.inputs.thresholds.node,
      layer: p.layer,
    });
    const unitsTable = await ctx.table("units");
    chosen.forEach((u, rank) =>
      unitsTable.append({ rank, unit: u.unit, iou: u.iou, value: forced[rank].value })
    );

    const table = await ctx.table("insertions");
    const examples: Uint8Array[][] = [];
    let size = 0;
    let bar: Progress | undefined;
    const edits = editedBatches({
      ...editSource(p, ctx),
      // Copy 0 is unedited; copy 1 + y*w + x forces the units on at (y, x).
      copies: ({ h, w }) => 1 + h * w,
      edit: (layer, c, base) => forceAtLocation(layer, c, base, forced),
    });
    for await (const batch of edits) {
      bar ??= ctx.progress(
        `forcing ${chosen.length} ${p.concept} units on, location by location`,
        batch.count,
      );
      const { base: { n, h, w }, rgb } = batch;
      const px3 = batch.size * batch.size * 3;
      size = batch.size;
      for (const r of await insertionsOf(batch, p.head, p.concept)) table.append(r);
      // Examples: each sample unedited, and with the units forced on at one location.
      const [y, x] = p.exampleAt, c = 1 + y * w + x;
      for (let i = 0; i < n && y < h && x < w && examples.length < p.examples; i++) {
        const image = (k: number) => rgb.slice(k * px3, (k + 1) * px3);
        examples.push([image(i), image(c * n + i)]);
      }
      bar.tick(n);
    }
    bar?.done();
    if (examples.length) {
      await ctx.figure("examples.png", () => beforeAfterPng(examples, size));
    }
  },
});
