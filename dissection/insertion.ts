/**
 * Door insertion, measured (the paper's Fig. 7): the concept's pixels in each
 * sample before and after its units are forced on at one location, and the
 * object the unedited image shows there (the context the edit lands in).
 */
import { DissectError } from "../engine/errors.ts";
import { cellCenter, countClass } from "./generator_edit.ts";
import type { Head, Segmenter } from "./segmenter.ts";

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
