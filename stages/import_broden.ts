/**
 * import-broden: a split of a data set in Broden's format (data/broden.ts)
 * as a data set in the split format, with its annotations as ground truth:
 * the images, their classes (each image's first scene label, or none), and
 * object, part and material maps over the label lists of its c_*.csv files,
 * with half-box flags from the object map. Later stages read it as they
 * read the world's render; segment-truth turns its ground truth into the
 * dissection's segmentation. Images are decoded in batches.
 */
import { z } from "zod";
import { defineStage } from "../engine/stage.ts";
import { SplitWriter } from "../data/split_format.ts";
import { BRODEN_ITEMS_TABLE, brodenItemRows, BrodenReader } from "../data/broden.ts";
import { batches } from "../data/open.ts";
import { COLORS } from "../dissection/colors.ts";
import { halfBoxFlags } from "../dissection/half_parts.ts";
import type { ClassMap } from "../data/class_map.ts";

export default defineStage({
  module: import.meta.url,
  name: "import-broden",
  description: "a split of a Broden-format data set, with its annotations as ground truth",
  params: z.object({
    /** The Broden folder (index.csv, label.csv, c_*.csv, images/). */
    directory: z.string().min(1),
    /** The rows of index.csv whose split is this. */
    split: z.string().min(1).default("val"),
    /** Image classes: the first scene label of each image, or "none". */
    labels: z.enum(["none", "scene"]).default("none"),
    /** Keep each category's N most frequent labels, the rest unlabeled (default: all). */
    frequent: z.int().min(1).optional(),
    batch: z.int().min(1).max(1024).default(64),
  }),
  inputs: [],
  tables: { items: BRODEN_ITEMS_TABLE },
  files: (p) => ({ directory: p.directory }),
  async run(ctx) {
    const { split, labels, frequent, batch } = ctx.params;
    const reader = await BrodenReader.open(ctx.files.directory, {
      split,
      labels,
      ...(frequent !== undefined && { frequent }),
    });
    const { meta } = reader, px = meta.height * meta.width;
    const writer = new SplitWriter(ctx.outDir, {
      split,
      height: meta.height,
      width: meta.width,
      seed: 0,
      labels: meta.labels,
      groundTruth: {
        objects: meta.objects,
        parts: meta.parts,
        materials: meta.materials,
        colors: COLORS,
      },
    });
    const items = await ctx.table("items");
    const bar = ctx.progress(`importing Broden split ${split}`, meta.count);
    let overlaps = 0;
    for (const [s, e] of batches(meta.count, batch)) {
      const b = await reader.read(s, e);
      for (let k = 0; k < e - s; k++) {
        const at = <M extends ClassMap>(m: M) => m.subarray(k * px, (k + 1) * px) as M;
        writer.append({
          width: meta.width,
          height: meta.height,
          rgb: b.images.subarray(k * px * 3, (k + 1) * px * 3),
          label: b.labels[k],
          object: at(b.object),
          part: at(b.part),
          material: at(b.material),
          halfbox: halfBoxFlags(at(b.object), meta.width, meta.height),
        });
      }
      for (const row of brodenItemRows(reader, b)) items.append(row);
      overlaps += b.overlap.reduce((a, n) => a + n, 0);
      bar.tick(e - s);
    }
    bar.done();
    writer.finalize();
    if (overlaps > 0) {
      ctx.log(
        `${ctx.node}: ${overlaps} labeled pixels overlapped an earlier label of their category ` +
          `and were left out (the first label listed is kept; items.overlap_pixels counts them)`,
      );
    }
  },
});
