/**
 * tree-removal: remove a concept's units from a generator layer and measure
 * what disappears (the paper removes the 20 tree units of layer4). Units are
 * ranked by IoU with the concept; for each n in `steps` the top n are zeroed
 * between head and tail on the same latents; the outputs are segmented and
 * every object class's pixels counted per image, against the unedited (n = 0).
 */
import { z } from "zod";
import { checkLayers } from "../onnx/model.ts";
import { defineStage, type StageContext } from "../engine/stage.ts";
import { concatTables } from "../engine/shard.ts";
import { batchCount, batchSpan } from "../data/open.ts";
import { editedBatches, editSamples, editSource } from "../dissection/generator_edit.ts";
import { unitsForConcept } from "../dissection/concept_units.ts";
import { readExampleRows, writeExampleRows } from "../dissection/example_rows.ts";
import { beforeAfterPng } from "../dissection/unit_image.ts";
import {
  OBJECT_PIXELS_TABLE,
  objectPixelRows,
  pickExamples,
  removalCopies,
  REMOVED_UNITS_TABLE,
  zeroUnits,
} from "../dissection/unit_removal.ts";

const params = z.object({
  generator: z.string(),
  segmenter: z.string(),
  layer: z.string().min(1),
  concept: z.string().default("tree"),
  steps: z.array(z.int().min(0)).min(2).default([0, 1, 2, 3, 4, 5, 10, 15, 20, 25, 30]),
  samples: z.int().min(1).default(1000),
  batch: z.int().min(1).default(8),
  /** Before/after examples to draw: the first samples whose unedited image shows the concept. */
  examples: z.int().min(0).default(6),
  /** Examples show the largest step run that does not exceed this one. */
  exampleStep: z.int().min(1).default(20),
});
type Ctx = StageContext<z.infer<typeof params>, "gan" | "dissection">;

export default defineStage({
  module: import.meta.url,
  name: "tree-removal",
  description: "zero a concept's top units in a generator layer; count what each output loses",
  params,
  inputs: ["gan", "dissection"],
  tables: { units: REMOVED_UNITS_TABLE, pixels: OBJECT_PIXELS_TABLE },
  files: (p) => ({ generator: p.generator, segmenter: p.segmenter }),
  preflight: ({ params: p, files }) => checkLayers(p.generator, files.generator, [p.layer]),
  // Batches are items, so the generator and the segmenter see the same batches
  // whatever the split; pixel rows concatenate, and the merge draws the first
  // examples the shards saved, in sample order.
  shard: {
    async items(ctx) {
      await removal(ctx); // a concept no unit matches fails here, before any shard
      return batchCount(await editSamples(editSource(ctx.params, ctx)), ctx.params.batch);
    },
    async part(ctx, range) {
      const p = ctx.params;
      const { usable, removed, after } = await removal(ctx);
      const source = editSource(p, ctx);
      const span = batchSpan(range, p.batch, await editSamples(source));
      const pixels = await ctx.table("pixels");
      const examples: Uint8Array[][] = [];
      let size = 0;
      const bar = ctx.progress(
        `removing up to ${usable.at(-1)} ${p.concept} units`,
        span.end - span.start,
      );
      const edits = editedBatches({
        ...source,
        range: span,
        // Copy s has the top usable[s] units zeroed.
        copies: () => usable.length,
        edit: (layer, s, base) => zeroUnits(layer, base, removed[s]),
      });
      for await (const { start, base: { n }, rgb, size: S, segmenter: seg } of edits) {
        size = S;
        const px = S * S;
        const { maps } = await seg.segment(rgb, usable.length * n);
        const rows = objectPixelRows(maps.object, seg.labels.object, { start, n, px }, usable);
        for (const r of rows) pixels.append(r);
        const concept = seg.labels.object.indexOf(p.concept);
        pickExamples(examples, { object: maps.object, rgb, n, px }, concept, after, p.examples);
        bar.tick(n);
      }
      bar.done();
      await writeExampleRows(ctx.outDir, { rows: examples, size });
    },
    async merge(ctx, parts) {
      const units = await ctx.table("units");
      (await removal(ctx)).ranked.forEach((u, rank) =>
        units.append({ rank, unit: u.unit, iou: u.iou })
      );
      await concatTables(await ctx.table("pixels"), OBJECT_PIXELS_TABLE, parts, "pixels");
      const { rows, size } = await readExampleRows(parts.map((p) => p.dir), ctx.params.examples);
      if (rows.length) {
        await ctx.figure("examples.png", () => beforeAfterPng(rows, size));
      }
    },
  },
});

/** The concept's top units by IoU, and what each rendered copy zeroes. */
async function removal(ctx: Ctx) {
  const p = ctx.params;
  const ranked = await unitsForConcept(
    ctx.inputs.dissection,
    p.layer,
    p.concept,
    Math.max(0, ...p.steps),
    "object",
  );
  return { ranked, ...removalCopies(p.steps, ranked, p.exampleStep) };
}
