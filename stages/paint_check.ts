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
import { batches } from "../data/open.ts";
import { checkLayers, readModelBytes } from "../onnx/model.ts";
import { Segmenter } from "../dissection/segmenter.ts";
import { gridPng } from "../dissection/unit_image.ts";
import { buildPalette, PALETTE_DEFAULTS } from "../paint/palette.ts";
import { PAINT_DEFAULTS, Painter, type Stroke } from "../paint/painter.ts";
import { cellPixels, outlineRegion, regionCells } from "../paint/brush.ts";
import { PAINTINGS_TABLE, paintingsOf, PALETTE_TABLE, paletteRows } from "../paint/check.ts";

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
  async run(ctx) {
    const p = ctx.params;
    const palette = await buildPalette(ctx.inputs.dissection, ctx.inputs.thresholds, p);
    const paletteTable = await ctx.table("palette");
    for (const r of paletteRows(palette)) paletteTable.append(r);
    const paintings = await ctx.table("paintings");

    const painter = await Painter.open({
      generator: p.generator,
      file: ctx.files.generator,
      latents: ctx.inputs.gan.file("latents.f32"),
      layer: p.layer,
      palette,
      boost: p.boost,
      threads: ctx.threads,
    });
    const { h, w, size } = painter.grid;
    const cells = regionCells(p.region, h, w);
    const inside = cellPixels(cells, h, w, size);
    const px = size * size;
    const seg = await Segmenter.open(
      p.segmenter,
      await readModelBytes(ctx.files.segmenter),
      size,
      ctx.threads,
    );
    const classes = palette.map((c) => seg.classId(c.category, c.name));
    // Copy 0 is unedited; copy 1 + k has concept k drawn over the region.
    const copies: Stroke[][] = [
      [],
      ...palette.map((c) => [{ concept: c.name, mode: "draw" as const, cells }]),
    ];
    const count = Math.min(p.samples, painter.samples);
    const examples: Uint8Array[][] = [];
    const bar = ctx.progress(`painting ${palette.length} concepts into each sample`, count);
    for (const [start, end] of batches(count, p.batch)) {
      const n = end - start;
      const { rgb } = await painter.render(await painter.layer(start, end), copies);
      const { maps } = await seg.segment(rgb, copies.length * n);
      for (const r of paintingsOf({ start, n, maps }, palette, classes, inside)) {
        paintings.append(r);
      }
      for (let i = 0; i < n && examples.length < p.examples; i++) {
        examples.push(copies.map((_, copy) => {
          const off = (copy * n + i) * px * 3;
          return outlineRegion(rgb.slice(off, off + px * 3), inside, size);
        }));
      }
      bar.tick(n);
    }
    bar.done();
    await painter.release();
    await seg.release();
    if (examples.length) {
      await ctx.figure("examples.png", () => gridPng(examples, size));
    }
  },
});
