/**
 * segment: the reference segmentation of a data set, as in the paper: a
 * segmenter model labels objects, parts and materials; colors are named from
 * the pixels; the four half-box parts are computed from each connected
 * component of the predicted objects. Writes the label planes (read in
 * batches by iou) and the concept table. When the data set has ground truth
 * (the synthetic world), it also scores the segmenter against it (claim M2).
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { writeAll } from "../engine/fs_atomic.ts";
import { DissectError } from "../engine/errors.ts";
import { batches, openDataset } from "../data/open.ts";
import { readModelBytes } from "../onnx/model.ts";
import { CONCEPTS_TABLE, PLANES, planesOf, writeConcepts } from "../dissection/concepts.ts";
import { HEADS, Segmenter } from "../dissection/segmenter.ts";
import { COLORS } from "../dissection/colors.ts";
import { ConceptFrequency, SegmenterScore } from "../dissection/segmenter_score.ts";

export default defineStage({
  module: import.meta.url,
  name: "segment",
  description: "segment a data set into objects, parts, materials and colors",
  params: z.object({
    model: z.string(),
    batch: z.int().min(1).max(512).default(32),
  }),
  inputs: ["data"],
  tables: {
    concepts: CONCEPTS_TABLE,
    concept_frequency: {
      concept: "INTEGER",
      name: "VARCHAR",
      category: "VARCHAR",
      pixel_fraction: "DOUBLE",
      image_fraction: "DOUBLE",
    },
    segmenter_scores: {
      category: "VARCHAR",
      concept: "VARCHAR",
      intersection: "BIGINT",
      union_: "BIGINT",
      gt_pixels: "BIGINT",
      predicted_pixels: "BIGINT",
      iou: "DOUBLE",
    },
  },
  files: (p) => ({ model: p.model }),
  async run(ctx) {
    const data = openDataset(ctx.inputs.data.dir, `input of ${ctx.node}`);
    const { count, height, width } = data.meta;
    if (height !== width) {
      throw new DissectError(
        "DATA",
        `${ctx.node}: images are ${width}x${height}; segment needs square images`,
      );
    }
    const px = height * width;
    const seg = await Segmenter.open(
      ctx.params.model,
      await readModelBytes(ctx.files.model),
      height,
      ctx.threads,
    );
    const { labels, vocab } = seg;
    writeConcepts(await ctx.table("concepts"), vocab);

    // Ground truth is comparable only when the data set uses the same label lists.
    const meta = data.meta;
    const gtNames = { object: meta.objects, part: meta.parts, material: meta.materials };
    const hasMap = new Set(meta.maps ?? HEADS);
    const scored = HEADS.filter((h) =>
      hasMap.has(h) && gtNames[h]?.join("\n") === labels[h].join("\n")
    );
    const score = new SegmenterScore(Object.fromEntries(scored.map((h) => [h, labels[h]])));
    // How often each concept appears: pixels (exact, for the IoU's concept areas), and images.
    const frequency = new ConceptFrequency(vocab, px);

    using out = await Deno.open(join(ctx.outDir, "planes.u8"), { write: true, create: true });
    const bar = ctx.progress("segmenting", count);
    for (const [start, end] of batches(count, ctx.params.batch)) {
      const n = end - start;
      const batch = data.read(start, end);
      const { planes, maps } = await seg.segment(batch.images, n);
      for (let i = 0; i < n; i++) frequency.add(planesOf(planes, i, px));
      await writeAll(out, planes);
      for (const h of scored) score.add(h, maps[h], batch[h]!, n * px);
      bar.tick(n);
    }
    bar.done();
    await seg.release();
    await Deno.writeTextFile(
      join(ctx.outDir, "planes.json"),
      JSON.stringify(
        {
          count,
          height,
          width,
          planes: PLANES,
          labels: { ...labels, color: COLORS },
          conceptPixels: Array.from(frequency.pixels),
        },
        null,
        2,
      ),
    );

    const freq = await ctx.table("concept_frequency");
    for (const c of vocab.concepts) {
      if (c.name.match(/-(top|bottom|left|right)$/)) continue; // halves repeat their object
      freq.append({
        concept: c.id,
        name: c.name,
        category: c.category,
        pixel_fraction: frequency.pixels[c.id] / (count * px),
        image_fraction: frequency.images[c.id] / count,
      });
    }

    const scores = await ctx.table("segmenter_scores");
    for (const c of score.scores()) {
      scores.append({
        category: c.category,
        concept: c.concept,
        intersection: c.intersection,
        union_: c.union,
        gt_pixels: c.gtPixels,
        predicted_pixels: c.predictedPixels,
        iou: c.iou,
      });
    }
  },
});
