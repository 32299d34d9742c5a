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
import { CONCEPTS_TABLE, planesOf, writeConcepts } from "../dissection/concepts.ts";
import { writeSegmentationMeta } from "../dissection/segmentation.ts";
import { HEADS, Segmenter } from "../dissection/segmenter.ts";
import { COLORS } from "../dissection/colors.ts";
import {
  CONCEPT_FREQUENCY_TABLE,
  ConceptFrequency,
  scoredHeads,
  SEGMENTER_SCORES_TABLE,
  SegmenterScore,
} from "../dissection/segmenter_score.ts";

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
    concept_frequency: CONCEPT_FREQUENCY_TABLE,
    segmenter_scores: SEGMENTER_SCORES_TABLE,
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
    const scored = scoredHeads(HEADS, labels, {
      maps: meta.maps,
      lists: { object: meta.objects, part: meta.parts, material: meta.materials },
    });
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
    await writeSegmentationMeta(ctx.outDir, {
      count,
      height,
      width,
      labels: { ...labels, color: [...COLORS] },
      conceptPixels: Array.from(frequency.pixels),
    });
    const freq = await ctx.table("concept_frequency");
    for (const r of frequency.rows()) freq.append(r);
    const scores = await ctx.table("segmenter_scores");
    for (const r of score.rows()) scores.append(r);
  },
});
