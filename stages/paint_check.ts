/**
 * paint-check: the paint page's edit, measured (claim C13). For every sample and
 * every concept of the palette (the page's palette, built by the same code),
 * the concept is painted into one fixed region through the page's own code
 * path (paint/painter.ts); the result is segmented, and the concept's pixels
 * inside and outside the region are counted, against the unedited image.
 */
import { z } from "zod";
import { UNIT_SCALES } from "../dissection/scaled_units.ts";
import { defineStage } from "../engine/stage.ts";
import { concatTables } from "../engine/shard.ts";
import { batchCount, batches, batchSpan } from "../data/open.ts";
import { checkLayers } from "../onnx/model.ts";
import { gridPng } from "../dissection/unit_image.ts";
import { editSamples, editSource } from "../dissection/generator_edit.ts";
import { readExampleRows, writeExampleRows } from "../dissection/example_rows.ts";
import { buildPalette, PALETTE_DEFAULTS } from "../paint/palette.ts";
import { PAINT_DEFAULTS } from "../paint/painter.ts";
import { PaintCheck, PAINTINGS_TABLE, PALETTE_TABLE, paletteRows } from "../paint/check.ts";

const Fraction = z.number().min(0).max(1);

export default defineStage({
  module: import.meta.url,
  name: "paint-check",
  description: "paint each palette concept into a fixed region; does the concept appear there?",
  params: z.object({
    generator: z.string(),
    segmenter: z.string(),
    layer: z.string().min(1),
    /** Palette size: the most frequent concepts of the segmenter with units at the layer. */
    concepts: z.int().min(1).default(PALETTE_DEFAULTS.concepts),
    /** Units per concept: the paper's count for a 512-unit layer, scaled to the layer unless `scale` is "absolute". */
    units: z.int().min(1).default(PALETTE_DEFAULTS.units),
    scale: z.enum(UNIT_SCALES).default(PALETTE_DEFAULTS.scale),
    boost: z.number().positive().default(PAINT_DEFAULTS.boost),
    samples: z.int().min(1).default(100),
    /** The painted rectangle [top, left, bottom, right], in fractions of the image. */
    region: z.tuple([Fraction, Fraction, Fraction, Fraction])
      .refine(([t, l, b, r]) => t < b && l < r, "region is [top, left, bottom, right]")
      .default([0.25, 0.25, 0.75, 0.75]),
    batch: z.int().min(1).default(4),
    /** Samples drawn as examples: each unedited, then painted with every concept. */
    examples: z.int().min(0).default(4),
  }),
  inputs: ["gan", "dissection", "thresholds"],
  tables: { palette: PALETTE_TABLE, paintings: PAINTINGS_TABLE },
  files: (p) => ({ generator: p.generator, segmenter: p.segmenter }),
  preflight: ({ params: p, files }) => checkLayers(p.generator, files.generator, [p.layer]),
  // Batches of samples are items, not samples: the generator renders a batch of paintings at
  // once, so each sample is painted beside the same others however the stage is split.
  shard: {
    async items(ctx) {
      // An empty palette fails here, before any shard starts.
      await buildPalette(ctx.inputs.dissection, ctx.inputs.thresholds, ctx.params);
      return batchCount(await editSamples(editSource(ctx.params, ctx)), ctx.params.batch);
    },
    async part(ctx, range) {
      const p = ctx.params;
      const palette = await buildPalette(ctx.inputs.dissection, ctx.inputs.thresholds, p);
      const check = await PaintCheck.open({
        ...editSource(p, ctx),
        palette,
        boost: p.boost,
        region: p.region,
      });
      const paintings = await ctx.table("paintings");
      const mine = batchSpan(range, p.batch, Math.min(p.samples, check.samples));
      const examples: Uint8Array[][] = [];
      const bar = ctx.progress(
        `painting ${palette.length} concepts into each sample`,
        Math.max(0, mine.end - mine.start),
      );
      for (const [start, end] of batches(mine.end, p.batch, mine.start)) {
        const painted = await check.paint(start, end, p.examples - examples.length);
        for (const r of painted.rows) paintings.append(r);
        examples.push(...painted.examples);
        bar.tick(end - start);
      }
      bar.done();
      await check.release();
      await writeExampleRows(ctx.outDir, { rows: examples, size: check.size });
    },
    async merge(ctx, parts) {
      const p = ctx.params;
      const palette = await ctx.table("palette");
      const concepts = await buildPalette(ctx.inputs.dissection, ctx.inputs.thresholds, p);
      for (const r of paletteRows(concepts)) palette.append(r);
      await concatTables(await ctx.table("paintings"), PAINTINGS_TABLE, parts, "paintings");
      const { rows, size } = await readExampleRows(parts.map((part) => part.dir), p.examples);
      if (rows.length) await ctx.figure("examples.png", () => gridPng(rows, size));
    },
  },
});
