/**
 * iou: network dissection proper. For every (layer, unit, concept): the
 * intersection of the unit's mask (activation upsampled to the segmentation,
 * above t_u) with the concept's pixels, the two areas and their IoU, as exact
 * counts over all images. Per unit: its best concept. Per unit: the images of
 * highest peak activation, drawn in the paper's style for chosen layers.
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { openDataset } from "../data/open.ts";
import { tableRows } from "../engine/duck.ts";
import { ActivationReader } from "../dissection/activations.ts";
import { countConcepts } from "../dissection/count_concepts.ts";
import { unitResults } from "../dissection/iou.ts";
import { CONCEPTS_TABLE, writeConcepts } from "../dissection/concepts.ts";
import { checkAligned, SegmentationReader, vocabularyOf } from "../dissection/segmentation.ts";
import { unitStripPng } from "../dissection/unit_image.ts";
import quantile from "./quantile.ts";
import { edgeModeOf, thresholdsByLayer } from "../dissection/quantile.ts";

export default defineStage({
  module: import.meta.url,
  name: "iou",
  description: "IoU of every unit with every concept; unit labels; top images",
  params: z.object({
    topk: z.int().min(1).max(50).default(5),
    /** Layers whose units get top-image strips (PNG); the last dissected layer when empty. */
    visualize: z.array(z.string()).default([]),
    batch: z.int().min(1).default(32),
  }),
  inputs: ["activations", "thresholds", "segmentation", "data"],
  tables: {
    concepts: CONCEPTS_TABLE,
    unit_concept: {
      layer: "VARCHAR",
      unit: "INTEGER",
      concept: "INTEGER",
      intersection: "BIGINT",
      unit_area: "BIGINT",
      concept_area: "BIGINT",
      iou: "DOUBLE",
    },
    unit_labels: {
      layer: "VARCHAR",
      unit: "INTEGER",
      concept: "INTEGER",
      name: "VARCHAR",
      category: "VARCHAR",
      iou: "DOUBLE",
    },
    topk: {
      layer: "VARCHAR",
      unit: "INTEGER",
      rank: "INTEGER",
      image: "INTEGER",
      peak: "DOUBLE",
    },
  },
  async run(ctx) {
    const acts = new ActivationReader(ctx.inputs.activations.dir);
    const data = openDataset(ctx.inputs.data.dir, `data input of ${ctx.node}`);
    const segmentation = await SegmentationReader.open(ctx.inputs.segmentation.dir);
    const seg = segmentation.meta;
    const { count } = acts.meta;
    checkAligned(ctx.node, count, seg, data.meta);
    const H = seg.height, W = seg.width;
    const vocab = vocabularyOf(seg);
    const C = vocab.concepts.length;
    writeConcepts(await ctx.table("concepts"), vocab);

    const thresholdRows = await tableRows(
      ctx.inputs.thresholds.table("thresholds"),
      quantile.tables.thresholds,
      "ORDER BY layer, unit",
    );
    const layers = acts.meta.layers;
    const definitions = await tableRows(
      ctx.inputs.thresholds.table("threshold_definition"),
      quantile.tables.threshold_definition,
    );
    const border = edgeModeOf(definitions, layers.map((l) => l.layer), H, W, ctx.node);
    const thresholds = thresholdsByLayer(thresholdRows, layers, ctx.node);
    // Concept areas do not depend on the units: the segment stage counted them.
    const conceptArea = seg.conceptPixels;
    if (conceptArea?.length !== C) {
      throw new DissectError(
        "DATA",
        `${ctx.node}: the segmentation in ${ctx.inputs.segmentation.dir} has no concept areas ` +
          `for its ${C} concepts (made by an older segment stage?)`,
      );
    }
    const bar = ctx.progress("counting", count);
    let counted;
    try {
      counted = countConcepts({
        acts,
        segmentation,
        vocab,
        thresholds,
        border,
        conceptArea,
        topk: ctx.params.topk,
        batch: ctx.params.batch,
        tick: (n) => bar.tick(n),
      });
    } finally {
      segmentation.close();
    }
    bar.done();
    const counters = counted.map((c) => c.counter), tops = counted.map((c) => c.top);

    const pairs = await ctx.table("unit_concept");
    const labels = await ctx.table("unit_labels");
    layers.forEach(({ layer }, k) => {
      const found = unitResults(counters[k]);
      for (const p of found.pairs) {
        pairs.append({
          layer,
          unit: p.unit,
          concept: p.concept,
          intersection: p.intersection,
          unit_area: p.unitArea,
          concept_area: p.conceptArea,
          iou: p.iou,
        });
      }
      for (const l of found.labels) {
        const c = vocab.concepts[l.concept];
        labels.append({
          layer,
          unit: l.unit,
          concept: c.id,
          name: c.name,
          category: c.category,
          iou: l.iou,
        });
      }
    });

    const topTable = await ctx.table("topk");
    const visualize = new Set(
      ctx.params.visualize.length ? ctx.params.visualize : [layers.at(-1)!.layer],
    );
    await Deno.mkdir(join(ctx.outDir, "units"), { recursive: true });
    for (const [k, { layer, units, height, width }] of layers.entries()) {
      for (let u = 0; u < units; u++) {
        tops[k].best[u].forEach((t, rank) =>
          topTable.append({ layer, unit: u, rank, image: t.image, peak: t.peak })
        );
      }
      if (!visualize.has(layer)) continue;
      for (let u = 0; u < units; u++) {
        const images = tops[k].best[u].map((t) => ({
          rgb: data.readImages(t.image, t.image + 1),
          acts: acts.read(layer, t.image, t.image + 1),
        }));
        const png = unitStripPng(images, H, u, { height, width }, thresholds[k][u], border);
        await Deno.writeFile(join(ctx.outDir, "units", `${layer}-${u}.png`), png);
      }
    }
  },
});
