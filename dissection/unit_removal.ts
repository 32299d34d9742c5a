/**
 * Removing a concept's units from a generator (the paper's Fig. 4, tree
 * removal): copies of a batch's layer with the top n units zeroed, and
 * every object class's pixels in each output image, counted per image. A
 * shard also keeps its first examples (before and after) for the merge to
 * draw: the first of all shards, in order, are those one pass would draw.
 */
import { countClass } from "./generator_edit.ts";
import type { ClassMap } from "../data/class_map.ts";

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
  object: ClassMap,
  labels: readonly string[],
  batch: { start: number; n: number; px: number },
  steps: readonly number[],
): { n: number; image: number; object: string; pixels: number }[] {
  const { start, n, px } = batch, rows = [];
  // One count per class of the list, however many (16-bit maps hold more than 256).
  const counts = new Int32Array(labels.length);
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
  maps: ClassMap,
  image: number,
  px: number,
  cls: number,
  fraction: number,
): boolean {
  return countClass(maps, image, px, cls) >= fraction * px;
}

/**
 * What a removal run renders: the steps it can take with the `ranked` units
 * found (n = 0, the unedited copy, first), the units each copy zeroes, and
 * the copy examples show as "after": the largest step not above `exampleStep`.
 */
export function removalCopies(
  steps: readonly number[],
  ranked: readonly { unit: number }[],
  exampleStep: number,
): { usable: number[]; removed: number[][]; after: number } {
  const usable = [...new Set([0, ...steps])].sort((a, b) => a - b)
    .filter((n) => n <= ranked.length);
  return {
    usable,
    removed: usable.map((n) => ranked.slice(0, n).map((u) => u.unit)),
    after: usable.findLastIndex((n) => n <= exampleStep),
  };
}

/**
 * Adds to `examples`, until it holds `limit`, the samples of a batch whose
 * unedited image (copy 0) shows class `cls` on at least 5% of its pixels, in
 * sample order: each is its unedited image and its copy `after`.
 */
export function pickExamples(
  examples: Uint8Array[][],
  batch: { object: ClassMap; rgb: Uint8Array; n: number; px: number },
  cls: number,
  after: number,
  limit: number,
): void {
  const { object, rgb, n, px } = batch;
  const image = (k: number) => rgb.slice(k * px * 3, (k + 1) * px * 3);
  for (let i = 0; i < n && examples.length < limit; i++) {
    if (showsClass(object, i, px, cls, 0.05)) examples.push([image(i), image(after * n + i)]);
  }
}
