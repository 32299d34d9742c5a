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
import { UNIT_SCALES } from "../dissection/scaled_units.ts";
import { checkLayers } from "../onnx/model.ts";
import { defineStage } from "../engine/stage.ts";
import { concatTables } from "../engine/shard.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import type { Progress } from "../engine/progress.ts";
import {
  editedBatches,
  editSamples,
  editSource,
  forceAtLocation,
} from "../dissection/generator_edit.ts";
import {
  FORCED_UNITS_TABLE,
  forcedUnits,
  insertionExamples,
  INSERTIONS_TABLE,
  insertionsOf,
} from "../dissection/insertion.ts";
import { readExampleRows, writeExampleRows } from "../dissection/example_rows.ts";
import { beforeAfterPng } from "../dissection/unit_image.ts";

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
  // Batches of samples are items, not samples: the generator renders a batch of edits at once,
  // so each sample is rendered beside the same others however the stage is split.
  shard: {
    async items(ctx) {
      await forcedUnits(ctx.inputs, ctx.params); // a concept without units fails before any shard
      return batchCount(await editSamples(editSource(ctx.params, ctx)), ctx.params.batch);
    },
    async part(ctx, range) {
      const p = ctx.params;
      const forced = await forcedUnits(ctx.inputs, p);
      const table = await ctx.table("insertions");
      const examples: Uint8Array[][] = [];
      let size = 0;
      let bar: Progress | undefined;
      const source = editSource(p, ctx);
      const edits = editedBatches({
        ...source,
        range: batchSpan(range, p.batch, await editSamples(source)),
        // Copy 0 is unedited; copy 1 + y*w + x forces the units on at (y, x).
        copies: ({ h, w }) => 1 + h * w,
        edit: (layer, c, base) => forceAtLocation(layer, c, base, forced),
      });
      for await (const batch of edits) {
        bar ??= ctx.progress(
          `forcing ${forced.length} ${p.concept} units on, location by location`,
          batch.count,
        );
        size = batch.size;
        for (const r of await insertionsOf(batch, p.head, p.concept)) table.append(r);
        examples.push(...insertionExamples(batch, p.exampleAt, p.examples - examples.length));
        bar.tick(batch.base.n);
      }
      bar?.done();
      await writeExampleRows(ctx.outDir, { rows: examples, size });
    },
    async merge(ctx, parts) {
      const units = await ctx.table("units");
      for (const r of await forcedUnits(ctx.inputs, ctx.params)) units.append(r);
      await concatTables(await ctx.table("insertions"), INSERTIONS_TABLE, parts, "insertions");
      const { rows, size } = await readExampleRows(parts.map((p) => p.dir), ctx.params.examples);
      if (rows.length) await ctx.figure("examples.png", () => beforeAfterPng(rows, size));
    },
  },
});
