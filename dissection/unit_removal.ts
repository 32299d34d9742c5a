/**
 * Removing a concept's units from a generator (the paper's Fig. 4, tree
 * removal): copies of a batch's layer with the top n units zeroed, and
 * every object class's pixels in each output image, counted per image.
 */
import { countClass } from "./generator_edit.ts";

/** The removed units: rank by IoU with the concept, unit, IoU. */
export const REMOVED_UNITS_TABLE = { rank: "INTEGER", unit: "INTEGER", iou: "DOUBLE" } as const;

/** Per step n, image and object class (but "none"): its pixels in the output. */
export const OBJECT_PIXELS_TABLE = {
  n: "INTEGER",
  image: "INTEGER",
  object: "VARCHAR",
  pixels: "INTEGER",
} as const;

/**
 * Copy `copy` of a batch's layer ([n, units, h, w], in place) with its
 * listed units zeroed in every image.
 */
export function zeroUnits(
  layer: Float32Array,
  base: { n: number; units: number; h: number; w: number },
  units: readonly number[],
): void {
  const { n, h, w } = base, hw = h * w;
  for (let i = 0; i < n; i++) {
    for (const u of units) layer.fill(0, (i * base.units + u) * hw, (i * base.units + u + 1) * hw);
  }
}

/**
 * Every object class's pixels in each image of a batch of object maps, copy
 * by copy: copy s of sample i is map s*n + i, and its rows carry step
 * steps[s] and image start + i. Class 0 ("none") is left out.
 */
export function objectPixelRows(
  object: Uint8Array,
  labels: readonly string[],
  batch: { start: number; n: number; px: number },
  steps: readonly number[],
): { n: number; image: number; object: string; pixels: number }[] {
  const { start, n, px } = batch, rows = [];
  const counts = new Int32Array(256);
  for (const [s, step] of steps.entries()) {
    for (let i = 0; i < n; i++) {
      counts.fill(0);
      // Classes in order of first appearance, as the pixels are scanned.
      const seen: number[] = [];
      for (let q = (s * n + i) * px, end = q + px; q < end; q++) {
        if (counts[object[q]]++ === 0) seen.push(object[q]);
      }
      for (const cls of seen) {
        if (cls === 0) continue;
        rows.push({ n: step, image: start + i, object: labels[cls], pixels: counts[cls] });
      }
    }
  }
  return rows;
}

/** Whether class `cls` covers at least `fraction` of map `image`'s pixels (an example worth drawing). */
export function showsClass(
  maps: Uint8Array,
  image: number,
  px: number,
  cls: number,
  fraction: number,
): boolean {
  return countClass(maps, image, px, cls) >= fraction * px;
}
