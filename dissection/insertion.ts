/**
 * Door insertion, measured (the paper's Fig. 7): the concept's pixels in each
 * sample before and after its units are forced on at one location, and the
 * object the unedited image shows there (the context the edit lands in).
 */
import { DissectError } from "../engine/errors.ts";
import { sqlString, tableRows } from "../engine/duck.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import { cellCenter, countClass } from "./generator_edit.ts";
import type { Head, Segmenter } from "./segmenter.ts";
import { layerWidth, unitsForConcept } from "./concept_units.ts";
import { THRESHOLDS_TABLE } from "./quantile.ts";
import { type UNIT_SCALES, unitsFor } from "./scaled_units.ts";

/** The forced units: rank among the concept's units, IoU, and the value forced. */
export const FORCED_UNITS_TABLE = {
  rank: "INTEGER",
  unit: "INTEGER",
  iou: "DOUBLE",
  value: "DOUBLE",
} as const;

/** One row per sample and location: context, and the concept's pixels before and after. */
export const INSERTIONS_TABLE = {
  image: "INTEGER",
  row: "INTEGER",
  col: "INTEGER",
  context: "VARCHAR",
  before: "INTEGER",
  after: "INTEGER",
} as const;

/** One insertion: sample, location, context, the concept's pixels before and after. */
export interface Insertion {
  image: number;
  row: number;
  col: number;
  context: string;
  before: number;
  after: number;
}

/**
 * The value each chosen unit is forced to: boost x its threshold t_u. A unit
 * without a threshold means the thresholds and the dissection disagree.
 */
export function forcedValues(
  chosen: readonly { unit: number }[],
  thresholds: ReadonlyMap<number, number>,
  boost: number,
  what: { thresholds: string; layer: string },
): { unit: number; value: number }[] {
  return chosen.map(({ unit }) => {
    const t = thresholds.get(unit);
    if (t === undefined) {
      throw new DissectError(
        "DATA",
        `${what.thresholds} has no threshold for unit ${unit} of ${what.layer}`,
        "were the thresholds and the dissection made from the same activations?",
      );
    }
    return { unit, value: boost * t };
  });
}

/**
 * The forced units as rows of FORCED_UNITS_TABLE: the concept's units at the
 * layer by IoU (`units` of them, scaled to the layer as `scale` says), each
 * with the value it is forced to, boost x t_u.
 */
export async function forcedUnits(
  inputs: { dissection: ArtifactRef; thresholds: ArtifactRef },
  p: {
    layer: string;
    concept: string;
    head: Head;
    units: number;
    scale: typeof UNIT_SCALES[number];
    boost: number;
  },
): Promise<{ rank: number; unit: number; iou: number; value: number }[]> {
  const chosen = await unitsForConcept(
    inputs.dissection,
    p.layer,
    p.concept,
    unitsFor(p.units, await layerWidth(inputs.dissection, p.layer), p.scale),
    p.head,
  );
  const thresholds = new Map(
    (await tableRows(
      inputs.thresholds.table("thresholds"),
      THRESHOLDS_TABLE,
      `WHERE layer = ${sqlString(p.layer)}`,
    )).map((r) => [r.unit!, r.threshold!]),
  );
  const forced = forcedValues(chosen, thresholds, p.boost, {
    thresholds: inputs.thresholds.node,
    layer: p.layer,
  });
  return chosen.map((u, rank) => ({ rank, unit: u.unit, iou: u.iou, value: forced[rank].value }));
}

/**
 * The figure's examples in a rendered batch, at most `room` of them: each
 * sample unedited, and with the units forced on at `at` (row, column); none
 * when `at` is off the layer.
 */
export function insertionExamples(
  batch: { base: { n: number; h: number; w: number }; rgb: Uint8Array; size: number },
  at: readonly [number, number],
  room: number,
): Uint8Array[][] {
  const { base: { n, h, w }, rgb, size } = batch, [y, x] = at;
  if (y >= h || x >= w) return [];
  const image = (k: number) => rgb.slice(k * size * size * 3, (k + 1) * size * size * 3);
  const copy = 1 + y * w + x;
  return Array.from(
    { length: Math.max(0, Math.min(n, room)) },
    (_, i) => [image(i), image(copy * n + i)],
  );
}

/**
 * A rendered batch's insertions: copy 0 of its n samples is unedited and copy
 * 1 + y*w + x has the units forced on at (y, x); copy c of sample i is image
 * c*n + i of `rgb`. Rows come sample by sample, locations in row order.
 */
export async function insertionsOf(
  batch: {
    start: number;
    base: { n: number; h: number; w: number };
    rgb: Uint8Array;
    size: number;
    segmenter: Pick<Segmenter, "maps" | "classId" | "labels">;
  },
  head: Head,
  concept: string,
): Promise<Insertion[]> {
  const { start, base: { n, h, w }, rgb, size: S, segmenter: seg } = batch;
  const px = S * S, target = seg.classId(head, concept);
  // The unedited copies give the context (objects) too; the edited ones only the concept's head.
  const heads: Head[] = head === "object" ? ["object"] : ["object", head];
  const unedited = await seg.maps(rgb.subarray(0, n * px * 3), n, heads);
  const edited = (await seg.maps(rgb.subarray(n * px * 3), h * w * n, [head]))[head];
  const rows: Insertion[] = [];
  for (let i = 0; i < n; i++) {
    const before = countClass(unedited[head], i, px, target);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // The context: the unedited object at the center of this location's cell.
        const [cy, cx] = cellCenter(y, x, h, w, S);
        const context = seg.labels.object[unedited.object[i * px + cy * S + cx]];
        const after = countClass(edited, (y * w + x) * n + i, px, target);
        rows.push({ image: start + i, row: y, col: x, context, before, after });
      }
    }
  }
  return rows;
}
