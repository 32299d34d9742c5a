/**
 * tree-removal: remove a concept's units from a generator layer and measure
 * what disappears (the paper removes the 20 tree units of layer4). Units are
 * ranked by IoU with the concept; for each n in `steps` the top n are zeroed
 * between head and tail on the same latents; the outputs are segmented and
 * every object class's pixels counted per image, against the unedited (n = 0).
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { batches } from "../data/open.ts";
import { readModelBytes } from "../onnx/model.ts";
import { openGeneratorEdit } from "../dissection/generator_edit.ts";
import { Segmenter } from "../dissection/segmenter.ts";
import { unitsForConcept } from "../dissection/concept_units.ts";
import { beforeAfterPng } from "../dissection/unit_image.ts";

export default defineStage({
  module: import.meta.url,
  name: "tree-removal",
  description: "zero a concept's top units in a generator layer; count what each output loses",
  params: z.object({
    generator: z.string(),
    segmenter: z.string(),
    layer: z.string().default("layer4"),
    concept: z.string().default("tree"),
    steps: z.array(z.int().min(0)).min(2).default([0, 1, 2, 3, 4, 5, 10, 15, 20, 25, 30]),
    samples: z.int().min(1).default(1000),
    batch: z.int().min(1).default(8),
    /** Before/after examples to draw: the first samples whose unedited image shows the concept. */
    examples: z.int().min(0).default(6),
    exampleStep: z.int().min(1).default(20),
  }),
  inputs: ["gan", "dissection"],
  outputs: ["units", "pixels"],
  files: (p) => ({ generator: p.generator, segmenter: p.segmenter }),
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
    const units = await ctx.table("units", { rank: "INTEGER", unit: "INTEGER", iou: "DOUBLE" });
    ranked.forEach((u, rank) => units.append({ rank, unit: u.unit, iou: u.iou }));
    const usable = steps.filter((n) => n <= ranked.length);

    const { editor, latents, input } = await openGeneratorEdit(
      p.generator,
      ctx.files.generator,
      ctx.inputs.gan.file("latents.f32"),
      p.layer,
    );
    const segBytes = await readModelBytes(ctx.files.segmenter);
    let seg: Segmenter | null = null;
    const pixels = await ctx.table("pixels", {
      n: "INTEGER",
      image: "INTEGER",
      object: "VARCHAR",
      pixels: "INTEGER",
    });
    const count = Math.min(p.samples, latents.count);
    const examples: Uint8Array[][] = [];
    let size = 0;
    const bar = ctx.progress(`removing up to ${Math.max(...usable)} ${p.concept} units`, count);
    for (const [start, end] of batches(count, p.batch)) {
      const n = end - start;
      const base = await editor.layer(input, latents.read(start, end), n);
      const per = base.units * base.h * base.w, hw = base.h * base.w;
      const stacked = new Float32Array(usable.length * base.data.length);
      usable.forEach((k, s) => {
        const off = s * base.data.length;
        stacked.set(base.data, off);
        for (let i = 0; i < n; i++) {
          for (const { unit } of ranked.slice(0, k)) {
            stacked.fill(0, off + i * per + unit * hw, off + i * per + (unit + 1) * hw);
          }
        }
      });
      const { rgb, size: S } = await editor.render(base, stacked, usable.length);
      size = S;
      seg ??= await Segmenter.open(p.segmenter, segBytes, S);
      const px = S * S;
      const { maps } = await seg.segment(rgb, usable.length * n);
      const conceptId = seg.labels.object.indexOf(p.concept);
      usable.forEach((k, s) => {
        for (let i = 0; i < n; i++) {
          const counts = new Map<number, number>();
          const o = (s * n + i) * px;
          for (let q = 0; q < px; q++) {
            counts.set(maps.object[o + q], (counts.get(maps.object[o + q]) ?? 0) + 1);
          }
          for (const [cls, c] of counts) {
            if (cls === 0) continue;
            pixels.append({ n: k, image: start + i, object: seg!.labels.object[cls], pixels: c });
          }
        }
      });
      // Examples: samples whose unedited image has the concept on at least 5% of its pixels.
      const after = usable.indexOf(Math.min(p.exampleStep, Math.max(...usable)));
      for (let i = 0; i < n && examples.length < p.examples; i++) {
        let c = 0;
        for (let q = 0; q < px; q++) if (maps.object[i * px + q] === conceptId) c++;
        if (c < 0.05 * px) continue;
        examples.push([
          rgb.slice(i * px * 3, (i + 1) * px * 3),
          rgb.slice((after * n + i) * px * 3, (after * n + i + 1) * px * 3),
        ]);
      }
      bar.tick(n);
    }
    bar.done();
    await editor.release();
    await seg?.release();
    if (examples.length) {
      await Deno.writeFile(join(ctx.outDir, "examples.png"), beforeAfterPng(examples, size));
    }
  },
});
