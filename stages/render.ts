/**
 * render: one split of the synthetic world, rendered from its seed into the
 * split format of world/format.ts (images and exact ground-truth maps, read
 * back in batches by later stages), with an index table and the frequency of
 * every ground-truth concept.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { SplitWriter } from "../data/split_format.ts";
import { renderItem } from "../world/render.ts";
import { labelSpace, splitItem, SPLITS } from "../world/splits.ts";
import {
  GROUND_TRUTH_LABELS,
  MATERIALS,
  OBJECTS,
  PART_NAMES,
  WORLD_VERSIONS,
} from "../world/vocabulary.ts";
import { TRUTH_FREQUENCY_TABLE, TruthFrequency } from "../world/truth_frequency.ts";

export default defineStage({
  module: import.meta.url,
  name: "render",
  description: "render a split of the synthetic world with exact ground truth",
  params: z.object({
    split: z.enum(SPLITS),
    count: z.int().min(1),
    seed: z.int().min(0).default(1),
    size: z.int().min(16).max(512).default(64),
    /** The world's generation (world/vocabulary.ts). */
    version: z.union(WORLD_VERSIONS.map((v) => z.literal(v))).default(1),
  }),
  inputs: [],
  tables: {
    items: {
      image: "INTEGER",
      label: "INTEGER",
      label_name: "VARCHAR",
      seed: "BIGINT",
    },
    truth_frequency: TRUTH_FREQUENCY_TABLE,
  },
  async run(ctx) {
    const { split, count, seed, size, version } = ctx.params;
    const labels = labelSpace(split, version);
    const writer = new SplitWriter(ctx.outDir, {
      split,
      height: size,
      width: size,
      seed,
      labels,
      groundTruth: GROUND_TRUTH_LABELS,
    });
    const items = await ctx.table("items");
    const frequency = new TruthFrequency(
      { object: OBJECTS, part: PART_NAMES, material: MATERIALS },
      size * size,
    );
    const bar = ctx.progress(`rendering ${split}`, count);
    for (let i = 0; i < count; i++) {
      const item = splitItem(split, i, seed, version);
      const r = renderItem(split, item, size, version);
      writer.append(r);
      items.append({ image: i, label: r.label, label_name: labels[r.label], seed: item.seed });
      frequency.add(r);
      bar.tick();
    }
    bar.done();
    writer.finalize();
    // Ground truth, by name; the segment stage's concept_frequency is the segmenter's view.
    const freq = await ctx.table("truth_frequency");
    for (const row of frequency.rows()) freq.append(row);
  },
});
