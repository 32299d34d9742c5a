/**
 * door-insertion: force a concept's units on at one place and see where the
 * concept appears (the paper forces the 20 door units of layer4 to their
 * t_u). For every sample and every location of the layer's feature map, the
 * units are set to boost x t_u at that location; the output is segmented and
 * the concept's pixels compared with the unedited image. Each edit is
 * attributed to the context at that location in the unedited image: the
 * object the segmenter sees at the location's center.
 */
import { z } from "zod";
import { join } from "node:path";
import { defineStage } from "../engine/stage.ts";
import { DissectError } from "../engine/errors.ts";
import { sqlString, tableRows } from "../engine/duck.ts";
import type { Progress } from "../engine/progress.ts";
import {
  cellCenter,
  countClass,
  editedBatches,
  editSource,
  forceAtLocation,
} from "../dissection/generator_edit.ts";
import type { Head } from "../dissection/segmenter.ts";
import { unitsForConcept } from "../dissection/concept_units.ts";
import { beforeAfterPng } from "../dissection/unit_image.ts";
import quantile from "./quantile.ts";

export default defineStage({
  module: import.meta.url,
  name: "door-insertion",
  description: "force a concept's units on at each location; where does the concept appear?",
  params: z.object({
    generator: z.string(),
    segmenter: z.string(),
    layer: z.string().min(1),
    concept: z.string().default("door"),
    /** Segmenter head the concept belongs to (door is a part of buildings). */
    head: z.enum(["object", "part", "material"]).default("part"),
    units: z.int().min(1).default(20),
    /** Units are forced to boost x t_u (their top-1% threshold). */
    boost: z.number().positive().default(1),
    samples: z.int().min(1).default(40),
    batch: z.int().min(1).default(4),
    /** The location whose edits are drawn as examples (row, column of the feature map). */
    exampleAt: z.tuple([z.int().min(0), z.int().min(0)]).default([5, 3]),
    examples: z.int().min(0).default(8),
  }),
  inputs: ["gan", "dissection", "thresholds"],
  tables: {
    units: {
      rank: "INTEGER",
      unit: "INTEGER",
      iou: "DOUBLE",
      value: "DOUBLE",
    },
    insertions: {
      image: "INTEGER",
      row: "INTEGER",
      col: "INTEGER",
      context: "VARCHAR",
      before: "INTEGER",
      after: "INTEGER",
    },
  },
  files: (p) => ({ generator: p.generator, segmenter: p.segmenter }),
  async run(ctx) {
    const p = ctx.params;
    const chosen = await unitsForConcept(
      ctx.inputs.dissection,
      p.layer,
      p.concept,
      p.units,
      p.head,
    );
    const thresholds = new Map(
      (await tableRows(
        ctx.inputs.thresholds.table("thresholds"),
        quantile.tables.thresholds,
        `WHERE layer = ${sqlString(p.layer)}`,
      )).map((r) => [r.unit!, r.threshold!]),
    );
    for (const u of chosen) {
      if (!thresholds.has(u.unit)) {
        throw new DissectError(
          "DATA",
          `${ctx.inputs.thresholds.node} has no threshold for unit ${u.unit} of ${p.layer}`,
          "were the thresholds and the dissection made from the same activations?",
        );
      }
    }
    const unitsTable = await ctx.table("units");
    const forced = chosen.map((u) => ({ unit: u.unit, value: p.boost * thresholds.get(u.unit)! }));
    chosen.forEach((u, rank) =>
      unitsTable.append({ rank, unit: u.unit, iou: u.iou, value: forced[rank].value })
    );

    const table = await ctx.table("insertions");
    const examples: Uint8Array[][] = [];
    let size = 0;
    let bar: Progress | undefined;
    const edits = editedBatches({
      ...editSource(p, ctx),
      // Copy 0 is unedited; copy 1 + y*w + x forces the units on at (y, x).
      copies: ({ h, w }) => 1 + h * w,
      edit: (layer, c, base) => forceAtLocation(layer, c, base, forced),
    });
    for await (const { start, count, base, rgb, size: S, segmenter: seg } of edits) {
      bar ??= ctx.progress(
        `forcing ${chosen.length} ${p.concept} units on, location by location`,
        count,
      );
      const { n, h, w } = base;
      const copies = 1 + h * w;
      size = S;
      const px = S * S;
      const head = p.head as Head;
      const target = seg.classId(head, p.concept);
      // The unedited copies give the context (objects) too; the edited ones only the concept's head.
      const heads: Head[] = head === "object" ? ["object"] : ["object", head];
      const unedited = await seg.maps(rgb.subarray(0, n * px * 3), n, heads);
      const edited = (await seg.maps(rgb.subarray(n * px * 3), (copies - 1) * n, [head]))[head];
      const countIn = (img: number) =>
        img < n
          ? countClass(unedited[head], img, px, target)
          : countClass(edited, img - n, px, target);
      for (let i = 0; i < n; i++) {
        const before = countIn(i);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const c = 1 + y * w + x;
            // The context: the unedited object at the center of this location's cell.
            const [cy, cx] = cellCenter(y, x, h, w, S);
            const context = seg.labels.object[unedited.object[i * px + cy * S + cx]];
            table.append({
              image: start + i,
              row: y,
              col: x,
              context,
              before,
              after: countIn(c * n + i),
            });
            if (y === p.exampleAt[0] && x === p.exampleAt[1] && examples.length < p.examples) {
              examples.push([
                rgb.slice(i * px * 3, (i + 1) * px * 3),
                rgb.slice((c * n + i) * px * 3, (c * n + i + 1) * px * 3),
              ]);
            }
          }
        }
      }
      bar.tick(n);
    }
    bar?.done();
    if (examples.length) {
      await Deno.writeFile(join(ctx.outDir, "examples.png"), beforeAfterPng(examples, size));
    }
  },
});
