/**
 * tree-removal: remove a concept's units from a generator layer and measure
 * what disappears (the paper removes the 20 tree units of layer4). Units are
 * ranked by IoU with the concept; for each n in `steps` the top n are zeroed
 * between head and tail on the same latents; the outputs are segmented and
 * every object class's pixels counted per image, against the unedited (n = 0).
 */
import { z } from "zod";
import { checkLayers } from "../onnx/model.ts";
import { defineStage } from "../engine/stage.ts";
import type { Progress } from "../engine/progress.ts";
import { editedBatches, editSource } from "../dissection/generator_edit.ts";
import { unitsForConcept } from "../dissection/concept_units.ts";
import { beforeAfterPng } from "../dissection/unit_image.ts";
import {
  OBJECT_PIXELS_TABLE,
  objectPixelRows,
  REMOVED_UNITS_TABLE,
  showsClass,
  zeroUnits,
} from "../dissection/unit_removal.ts";

export default defineStage({
  module: import.meta.url,
  name: "tree-removal",
  description: "zero a concept's top units in a generator layer; count what each output loses",
  params: z.object({
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
  }),
  inputs: ["gan", "dissection"],
  tables: { units: REMOVED_UNITS_TABLE, pixels: OBJECT_PIXELS_TABLE },
  files: (p) => ({ generator: p.generator, segmenter: p.segmenter }),
  preflight: ({ params: p, files }) => checkLayers(p.generator, files.generator, [p.layer]),
  async run(ctx) {
    const p = ctx.params;
    const steps = [...new Set([0, ...p.steps])].sort((a, b) => a - b);
    const ranked = await unitsForConcept(
      ctx.inputs.dissection,
      p.layer,
      p.concept,
      Math.max(...steps),
      "object",
    );
    const units = await ctx.table("units");
    ranked.forEach((u, rank) => units.append({ rank, unit: u.unit, iou: u.iou }));
    const usable = steps.filter((n) => n <= ranked.length);
    // The copy drawn as "after" in the examples (usable is ascending and starts at 0).
    const after = usable.findLastIndex((n) => n <= p.exampleStep);
    const removed = usable.map((n) => ranked.slice(0, n).map((u) => u.unit));

    const pixels = await ctx.table("pixels");
    const examples: Uint8Array[][] = [];
    let size = 0;
    let bar: Progress | undefined;
    const edits = editedBatches({
      ...editSource(p, ctx),
      // Copy s has the top usable[s] units zeroed.
      copies: () => usable.length,
      edit: (layer, s, base) => zeroUnits(layer, base, removed[s]),
    });
    for await (const { start, count, base: { n }, rgb, size: S, segmenter: seg } of edits) {
      bar ??= ctx.progress(`removing up to ${Math.max(...usable)} ${p.concept} units`, count);
      size = S;
      const px = S * S;
      const { maps } = await seg.segment(rgb, usable.length * n);
      const conceptId = seg.labels.object.indexOf(p.concept);
      const rows = objectPixelRows(maps.object, seg.labels.object, { start, n, px }, usable);
      for (const r of rows) pixels.append(r);
      // Examples: samples whose unedited image has the concept on at least 5% of its pixels.
      for (let i = 0; i < n && examples.length < p.examples; i++) {
        if (!showsClass(maps.object, i, px, conceptId, 0.05)) continue;
        const image = (k: number) => rgb.slice(k * px * 3, (k + 1) * px * 3);
        examples.push([image(i), image(after * n + i)]);
      }
      bar.tick(n);
    }
    bar?.done();
    if (examples.length) {
      await ctx.figure("examples.png", () => beforeAfterPng(examples, size));
    }
  },
});
